// The storage adapter of the pipeline: the five blob operations it needs. The real implementation
// wraps @azure/storage-blob's BlobServiceClient (a TokenCredential on Azure, the Azurite connection
// string locally; the SDK's own retry policies apply); tests can wrap it to inject failures.
import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
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
  /** Names of the blobs whose name starts with `prefix`, sorted; none when the container does not exist. */
  list(container: string, prefix: string): Promise<string[]>;
}

/** Splits a contract blobPath "<container>/<blob name>". */
export function splitBlobPath(blobPath: string): { container: string; blobName: string } {
  const slash = blobPath.indexOf("/");
  if (slash <= 0 || slash === blobPath.length - 1) throw new TypeError(`blob path "${blobPath}" is not "<container>/<blob name>"`);
  return { container: blobPath.slice(0, slash), blobName: blobPath.slice(slash + 1) };
}

export function blobStoreFromServiceClient(client: BlobServiceClient): BlobStore {
  return blobStoreFromContainers((name) => client.getContainerClient(name));
}

/** A store over one container client (a party that may write only its own container); other containers are refused. */
export function blobStoreForContainer(only: ContainerClient): BlobStore {
  return blobStoreFromContainers((name) => {
    if (name !== only.containerName) throw new TypeError(`this store reaches only container "${only.containerName}", not "${name}"`);
    return only;
  });
}

function blobStoreFromContainers(containerClient: (name: string) => ContainerClient): BlobStore {
  const blob = (container: string, name: string) => containerClient(container).getBlockBlobClient(name);
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
    async list(container, prefix) {
      return wholeReadRetried(`listing of ${container}/${prefix}`, async () => {
        const names: string[] = [];
        try {
          for await (const b of containerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) return [];
          throw err;
        }
        return names.sort();
      });
    },
  };
}

const WHOLE_READ_ATTEMPTS = 4;

/**
 * An idempotent read redone from the start when its answer broke off while being read. The SDK
 * retries failed requests and 5xx answers, but not a body cut mid-way ("Error reading response as
 * text: aborted", seen with test/e2e/storage-faults.test.ts): such an error carries no HTTP status.
 */
async function wholeReadRetried<T>(what: string, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (typeof status === "number" || attempt >= WHOLE_READ_ATTEMPTS) {
        if (attempt > 1) throw new Error(`${what} failed after ${attempt} attempts: ${(err as Error).message}`, { cause: err });
        throw err;
      }
    }
  }
}
