// Create-only uploads that survive a lost answer. A PUT can reach Storage and write the blob while
// its answer is lost (connection reset, timeout); the SDK's own retry then meets 409/412, or the
// caller sees a network error. Whatever the error, if the blob now exists with exactly the bytes
// and metadata that were sent, the write happened: it counts as written. Any other content is
// someone else's blob and fails, naming it. The check re-downloads and hashes (a content MD5 is
// only kept for single-shot PUTs, and metadata digests would be the writer's own claim).
import { createHash } from "node:crypto";
import type { BlobStore } from "./blob-store.ts";

export type UploadOutcome = "written" | "found-written";

/** The blob exists with other content than the upload sent: never overwritten, never ours to delete. */
export class BlobConflictError extends Error {
  readonly container: string;
  readonly blobName: string;
  /** What differs (sizes, metadata names, "sha256"), never values. */
  readonly why: string;
  constructor(container: string, blobName: string, why: string, cause: unknown) {
    super(`${container}/${blobName} already exists with other content (${why}): blobs are never overwritten`, { cause });
    this.name = "BlobConflictError";
    this.container = container;
    this.blobName = blobName;
    this.why = why;
  }
}

export async function uploadIdempotent(store: BlobStore, container: string, blobName: string, data: Buffer, metadata: Record<string, string>): Promise<UploadOutcome> {
  try {
    await store.uploadNew(container, blobName, data, metadata);
    return "written";
  } catch (uploadErr) {
    const existing = await store.getProperties(container, blobName).catch(() => undefined);
    // Not there (or unreadable): the upload failed as it said.
    if (existing === undefined) throw uploadErr;
    const why = await differs(store, container, blobName, existing, data, metadata).catch(() => undefined);
    if (why === undefined) throw uploadErr;
    if (why === "") return "found-written";
    throw new BlobConflictError(container, blobName, why, uploadErr);
  }
}

/** "" when the stored blob is exactly what was sent, else what differs (names only, no values). */
async function differs(store: BlobStore, container: string, blobName: string, existing: { contentLength: number; metadata: Record<string, string>; etag?: string }, data: Buffer, metadata: Record<string, string>): Promise<string> {
  if (existing.contentLength !== data.length) return `${existing.contentLength} bytes, ${data.length} sent`;
  const stored = lowerKeys(existing.metadata);
  const sent = lowerKeys(metadata);
  const keys = new Set([...Object.keys(stored), ...Object.keys(sent)]);
  const changed = [...keys].filter((k) => stored[k] !== sent[k]).sort();
  if (changed.length > 0) return `metadata ${changed.join(", ")} differs`;
  const hash = createHash("sha256");
  for await (const chunk of await store.download(container, blobName, existing.etag)) hash.update(chunk as Buffer);
  return hash.digest("hex") === createHash("sha256").update(data).digest("hex") ? "" : "sha256 differs";
}

// Storage treats metadata names case-insensitively and may return them in another case.
function lowerKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]));
}
