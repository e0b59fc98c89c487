// A blob download that picks up where it broke off. The SDK retries a request that fails before its
// answer, but once the body is streaming it gives up on a reset connection: its resuming stream
// treats Node's "aborted" event as the caller aborting (AbortError, no retry), so one reset midway
// through a multi-MiB dataset failed the whole run (found by test/e2e/storage-faults.test.ts). Here
// each break (error or early end) re-requests the remaining range, pinned to the first answer's
// ETag so the pieces are of one version, a bounded number of times.
import { Readable } from "node:stream";

export interface RangeAnswer {
  body: NodeJS.ReadableStream;
  /** Bytes this answer carries (the remaining range). */
  contentLength: number;
  etag?: string;
}

export interface ResumableDownloadOptions {
  /** Names the blob in errors. */
  what: string;
  /** Opens the blob from `offset` to its end; `etag` pins the version once known. */
  open(offset: number, etag: string | undefined): Promise<RangeAnswer>;
  /** Re-requests after a break before giving up. Default 5. */
  maxResumes?: number;
  onResume?(notice: { offset: number; total: number; resumes: number; reason: string }): void;
}

export class DownloadBrokenError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "DownloadBrokenError";
  }
}

/** Resolves once the first answer is in (so a missing blob or a 412 fails here, as before). */
export async function resumableDownload(opts: ResumableDownloadOptions, initialEtag?: string): Promise<NodeJS.ReadableStream> {
  const maxResumes = opts.maxResumes ?? 5;
  const first = await opts.open(0, initialEtag);
  const total = first.contentLength;
  const etag = initialEtag ?? first.etag;
  let offset = 0;
  let resumes = 0;
  let current: NodeJS.ReadableStream = first.body;

  // A plain Readable rather than an async generator: destroying it must close the answer being read
  // at once, even while that answer is stalled (a generator cannot be returned while it awaits).
  const out = new Readable({
    read() {
      current.resume();
    },
    destroy(err, callback) {
      destroyStream(current);
      callback(err);
    },
  });

  const attach = (body: NodeJS.ReadableStream): void => {
    current = body;
    let done = false;
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      offset += buf.length;
      if (offset > total) {
        finish();
        out.destroy(new DownloadBrokenError(`${opts.what}: received more than the ${total} bytes announced`, { cause: undefined }));
        return;
      }
      if (!out.push(buf)) body.pause();
    };
    const finish = () => {
      done = true;
      body.removeListener("data", onData);
      body.removeListener("end", onEnd);
      body.removeListener("error", onBreak);
      body.removeListener("close", onEnd);
      // A late error from an answer already given up on must not become an uncaught exception.
      body.on("error", () => undefined);
    };
    const onEnd = () => onBreak(undefined);
    function onBreak(err: unknown): void {
      if (done) return;
      finish();
      if (out.destroyed) return;
      if (offset === total) {
        out.push(null);
        return;
      }
      destroyStream(body);
      const reason = err === undefined ? "the answer ended early" : err instanceof Error ? err.message : String(err);
      if (resumes >= maxResumes) {
        out.destroy(new DownloadBrokenError(`${opts.what}: broke off at byte ${offset} of ${total} after ${resumes} resume(s): ${reason}`, { cause: err }));
        return;
      }
      resumes++;
      opts.onResume?.({ offset, total, resumes, reason });
      opts.open(offset, etag).then(
        (answer) => (out.destroyed ? destroyStream(answer.body) : attach(answer.body)),
        (openErr: unknown) => out.destroy(openErr instanceof Error ? openErr : new Error(String(openErr))),
      );
    }
    body.on("data", onData);
    body.once("end", onEnd);
    body.once("error", onBreak);
    // A stream destroyed without an error emits only "close".
    body.once("close", onEnd);
  };
  attach(first.body);
  return out;
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
