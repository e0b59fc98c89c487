// The storage adapter of the pipeline: the four blob operations it needs. The real implementation
// wraps @azure/storage-blob's BlobServiceClient (a TokenCredential on Azure, the Azurite connection
// string locally; the SDK's own retry policies apply); tests can wrap it to inject failures.
import type { BlobServiceClient } from "@azure/storage-blob";
import { resumableDownload } from "./resumable-download.ts";

export interface BlobProperties {
  contentLength: number;
  metadata: Record<string, string>;
  /** Lets the download insist on the very version whose metadata was read. */
  etag?: string;
}

export interface BlobStore {
  getProperties(container: string, blobName: string): Promise<BlobProperties>;
  /** A stream of the blob's bytes (of version `etag` when given). */
  download(container: string, blobName: string, etag?: string): Promise<NodeJS.ReadableStream>;
  /** Creates the blob; fails if it already exists (outputs are never overwritten). */
  uploadNew(container: string, blobName: string, data: Buffer, metadata: Record<string, string>): Promise<void>;
  deleteIfExists(container: string, blobName: string): Promise<void>;
}

/** Splits a contract blobPath "<container>/<blob name>". */
export function splitBlobPath(blobPath: string): { container: string; blobName: string } {
  const slash = blobPath.indexOf("/");
  if (slash <= 0 || slash === blobPath.length - 1) throw new TypeError(`blob path "${blobPath}" is not "<container>/<blob name>"`);
  return { container: blobPath.slice(0, slash), blobName: blobPath.slice(slash + 1) };
}

export function blobStoreFromServiceClient(client: BlobServiceClient): BlobStore {
  const blob = (container: string, name: string) => client.getContainerClient(container).getBlockBlobClient(name);
  return {
    async getProperties(container, blobName) {
      const props = await blob(container, blobName).getProperties();
      return { contentLength: props.contentLength ?? 0, metadata: props.metadata ?? {}, ...(props.etag ? { etag: props.etag } : {}) };
    },
    download(container, blobName, etag) {
      return resumableDownload(
        {
          what: `download of ${container}/${blobName}`,
          async open(offset, version) {
            // maxRetryRequests 0: the SDK's own resuming stream cannot survive a reset (see resumable-download.ts).
            const res = await blob(container, blobName).download(offset, undefined, { maxRetryRequests: 0, ...(version ? { conditions: { ifMatch: version } } : {}) });
            if (!res.readableStreamBody) throw new Error(`download of ${container}/${blobName} returned no body`);
            return { body: res.readableStreamBody, contentLength: res.contentLength ?? 0, ...(res.etag ? { etag: res.etag } : {}) };
          },
        },
        etag,
      );
    },
    async uploadNew(container, blobName, data, metadata) {
      await blob(container, blobName).uploadData(data, {
        metadata,
        conditions: { ifNoneMatch: "*" },
        blobHTTPHeaders: { blobContentType: "application/octet-stream" },
      });
    },
    async deleteIfExists(container, blobName) {
      await blob(container, blobName).deleteIfExists({ deleteSnapshots: "include" });
    },
  };
}
