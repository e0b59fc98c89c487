// Both region streams do their work in synchronous steps that throw EnvelopeErrors naming the region.
import type { TransformCallback } from "node:stream";

/**
 * Runs one `_transform`/`_flush` step and reports it to the stream: a throw becomes the stream's
 * error (so a pipeline rejects with the EnvelopeError) instead of escaping into Node's stream
 * machinery, and the callback is called exactly once either way.
 */
export function runStep(callback: TransformCallback, step: () => void): void {
  try {
    step();
  } catch (error) {
    callback(error as Error);
    return;
  }
  callback();
}
