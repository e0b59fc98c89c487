// A BlobStore whose every operation is retried while Storage answers 403
// AuthorizationPermissionMismatch/AuthorizationFailure (the enclave identity's data-plane role not yet
// propagated), within the retry policy's bound. Anything else fails at once, as before.
import { storageAuthorizationPending } from "../retry/authorization.ts";
import { withRetry, type RetryClock, type RetryNotice, type RetryPolicyOptions } from "../retry/policy.ts";
import type { BlobStore } from "./blob-store.ts";

export type BlobOperation = "getProperties" | "download" | "uploadNew" | "deleteIfExists" | "list";

export interface BlobRetryNotice extends RetryNotice {
  operation: BlobOperation;
  container: string;
  blobName: string;
}

export function retryingBlobStore(store: BlobStore, policy: RetryPolicyOptions, onRetry?: (notice: BlobRetryNotice) => void, clock?: RetryClock): BlobStore {
  const run = <T>(operation: BlobOperation, container: string, blobName: string, fn: () => Promise<T>): Promise<T> =>
    withRetry(
      fn,
      policy,
      {
        what: `storage ${operation} of ${container}/${blobName}`,
        classify: storageAuthorizationPending,
        ...(onRetry ? { onRetry: (n: RetryNotice) => onRetry({ ...n, operation, container, blobName }) } : {}),
      },
      clock,
    );
  return {
    getProperties: (container, blobName) => run("getProperties", container, blobName, () => store.getProperties(container, blobName)),
    download: (container, blobName, etag) => run("download", container, blobName, () => store.download(container, blobName, etag)),
    uploadNew: (container, blobName, data, metadata) => run("uploadNew", container, blobName, () => store.uploadNew(container, blobName, data, metadata)),
    deleteIfExists: (container, blobName) => run("deleteIfExists", container, blobName, () => store.deleteIfExists(container, blobName)),
    list: (container, prefix) => run("list", container, `${prefix}*`, () => store.list(container, prefix)),
  };
}
