// A BlobStore over a local directory: the benchmark's "ciphertext in storage" without a network,
// so the enclave pipeline can be timed with the storage emulator's HTTP cost taken out. A benchmark
// fixture, not a product adapter. Layout:
//   <root>/blobs/<container>/<blob name>        the blob's bytes
//   <root>/meta/<container>/<blob name>.json    {"metadata": {...}}
// The ETag is the data file's size, mtime and inode, so a download pinned to an ETag fails if the
// file was replaced after its properties were read (as a storage account answers 412).
import { createReadStream } from "node:fs";
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import type { BlobProperties, BlobStore } from "../../enclave-app/src/runtime/index.ts";

export interface FileBlobStoreOptions {
  /** Read size of download streams (default 64 KiB, Node's default: close to what an HTTP body delivers). */
  readChunkBytes?: number;
}

export class FileBlobStoreError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = "FileBlobStoreError";
    this.statusCode = statusCode;
    this.code = code;
  }
}

const CONTAINER = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/;

function checkedPath(root: string, kind: "blobs" | "meta", container: string, blobName: string, suffix = ""): string {
  if (!CONTAINER.test(container)) throw new FileBlobStoreError(400, "InvalidResourceName", `container name "${container}" is not valid`);
  const segments = blobName.split("/");
  if (blobName.length === 0 || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new FileBlobStoreError(400, "InvalidResourceName", `blob name "${blobName}" is not valid here`);
  }
  const base = resolve(root, kind, container);
  const path = resolve(base, ...segments) + suffix;
  if (!path.startsWith(base + sep)) throw new FileBlobStoreError(400, "InvalidResourceName", `blob name "${blobName}" leaves its container`);
  return path;
}

function etagOf(s: { size: number; mtimeMs: number; ino: number }): string {
  return `"${s.size.toString(16)}-${Math.floor(s.mtimeMs * 1000).toString(16)}-${s.ino.toString(16)}"`;
}

async function statOrNotFound(path: string, container: string, blobName: string) {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new FileBlobStoreError(404, "BlobNotFound", `${container}/${blobName} does not exist`);
    throw err;
  }
}

export class FileBlobStore implements BlobStore {
  readonly root: string;
  readonly #chunk: number;

  constructor(root: string, opts: FileBlobStoreOptions = {}) {
    this.root = resolve(root);
    this.#chunk = opts.readChunkBytes ?? 64 * 1024;
  }

  async getProperties(container: string, blobName: string): Promise<BlobProperties> {
    const s = await statOrNotFound(checkedPath(this.root, "blobs", container, blobName), container, blobName);
    let metadata: Record<string, string> = {};
    try {
      const parsed = JSON.parse(await readFile(checkedPath(this.root, "meta", container, blobName, ".json"), "utf8")) as { metadata?: Record<string, string> };
      metadata = parsed.metadata ?? {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return { contentLength: s.size, metadata, etag: etagOf(s) };
  }

  async download(container: string, blobName: string, etag?: string): Promise<NodeJS.ReadableStream> {
    const path = checkedPath(this.root, "blobs", container, blobName);
    const s = await statOrNotFound(path, container, blobName);
    if (etag !== undefined && etag !== etagOf(s)) throw new FileBlobStoreError(412, "ConditionNotMet", `${container}/${blobName} changed since its properties were read`);
    return createReadStream(path, { highWaterMark: this.#chunk });
  }

  async uploadNew(container: string, blobName: string, data: Buffer, metadata: Record<string, string>): Promise<void> {
    const path = checkedPath(this.root, "blobs", container, blobName);
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, data, { flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new FileBlobStoreError(409, "BlobAlreadyExists", `${container}/${blobName} already exists`);
      throw err;
    }
    await this.#writeMetadata(container, blobName, metadata);
  }

  async deleteIfExists(container: string, blobName: string): Promise<void> {
    await rm(checkedPath(this.root, "blobs", container, blobName), { force: true });
    await rm(checkedPath(this.root, "meta", container, blobName, ".json"), { force: true });
  }

  async list(container: string, prefix: string): Promise<string[]> {
    if (!CONTAINER.test(container)) throw new FileBlobStoreError(400, "InvalidResourceName", `container name "${container}" is not valid`);
    const base = resolve(this.root, "blobs", container);
    let entries;
    try {
      entries = await readdir(base, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return entries
      .filter((e) => e.isFile())
      .map((e) => resolve(e.parentPath, e.name).slice(base.length + 1).split(sep).join("/"))
      .filter((n) => n.startsWith(prefix))
      .sort();
  }

  /** Fixture set-up: makes an existing file a blob without copying it (a hard link; same file system). */
  async linkExisting(container: string, blobName: string, file: string, metadata: Record<string, string>): Promise<void> {
    const path = checkedPath(this.root, "blobs", container, blobName);
    await mkdir(dirname(path), { recursive: true });
    await link(file, path);
    await this.#writeMetadata(container, blobName, metadata);
  }

  async #writeMetadata(container: string, blobName: string, metadata: Record<string, string>): Promise<void> {
    const meta = checkedPath(this.root, "meta", container, blobName, ".json");
    await mkdir(dirname(meta), { recursive: true });
    await writeFile(meta, JSON.stringify({ metadata }));
  }
}

export function fileBlobStorePaths(root: string, container: string, blobName: string): { data: string; meta: string } {
  return { data: checkedPath(root, "blobs", container, blobName), meta: checkedPath(root, "meta", container, blobName, ".json") };
}

