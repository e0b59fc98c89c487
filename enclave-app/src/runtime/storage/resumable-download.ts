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

  async function* bytes(): AsyncGenerator<Buffer> {
    let offset = 0;
    let resumes = 0;
    let body: NodeJS.ReadableStream | undefined = first.body;
    for (;;) {
      let reason = "the answer ended early";
      let cause: unknown;
      try {
        for await (const chunk of body!) {
          const buf: Buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
          offset += buf.length;
          if (offset > total) throw new DownloadBrokenError(`${opts.what}: received more than the ${total} bytes announced`, { cause: undefined });
          yield buf;
        }
      } catch (err) {
        if (err instanceof DownloadBrokenError) throw err;
        cause = err;
        reason = err instanceof Error ? err.message : String(err);
      }
      if (offset === total) return;
      (body as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      if (resumes >= maxResumes) {
        throw new DownloadBrokenError(`${opts.what}: broke off at byte ${offset} of ${total} after ${resumes} resume(s): ${reason}`, { cause });
      }
      resumes++;
      opts.onResume?.({ offset, total, resumes, reason });
      body = (await opts.open(offset, etag)).body;
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
