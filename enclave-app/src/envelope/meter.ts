/** A pass-through stage that counts bytes and, optionally, hashes them on the way. */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

export class ByteMeter extends Transform {
  #bytes = 0;
  readonly #hash: Hash | undefined;
  readonly #onBytes: ((total: number) => void) | undefined;
  #digest: string | undefined;

  constructor(opts: { sha256?: boolean; onBytes?: (total: number) => void } = {}) {
    super();
    this.#hash = opts.sha256 === true ? createHash("sha256") : undefined;
    this.#onBytes = opts.onBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Hex sha256 of everything that passed, once the stream has finished. */
  get sha256(): string | undefined {
    return this.#digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    this.#hash?.update(chunk);
    this.#onBytes?.(this.#bytes);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = this.#hash?.digest("hex");
    callback();
  }
}
