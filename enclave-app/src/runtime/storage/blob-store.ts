// The storage adapter of the pipeline: the five blob operations it needs. The real implementation
// wraps @azure/storage-blob's BlobServiceClient (a TokenCredential on Azure, the Azurite connection
// string locally; the SDK's own retry policies apply); tests can wrap it to inject failures.
import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";

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
    async download(container, blobName, etag) {
      const res = await blob(container, blobName).download(0, undefined, etag ? { conditions: { ifMatch: etag } } : {});
      if (!res.readableStreamBody) throw new Error(`download of ${container}/${blobName} returned no body`);
      return res.readableStreamBody;
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
      const names: string[] = [];
      try {
        for await (const b of containerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return [];
        throw err;
      }
      return names.sort();
    },
  };
}
