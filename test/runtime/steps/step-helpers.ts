// Small fakes for testing one pipeline step alone: an in-memory BlobStore, a reporter that records
// events, a flow (b) attester that unwraps with the parties' private KEKs, and encrypted datasets.
import { constants, privateDecrypt } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { encryptStream, serializeEncryptionData, type EncryptionData } from "../../../enclave-app/src/envelope/index.ts";
import type { Contract, DatasetSpec, IsolationMode } from "../../../enclave-app/src/protocol/index.ts";
import { generateSigningKey, type Attestation, type Attester, type UnwrapContentKeysRequest } from "../../../enclave-app/src/runtime/attest/attester.ts";
import type { RunEvent } from "../../../enclave-app/src/runtime/events.ts";
import type { BlobProperties, BlobStore } from "../../../enclave-app/src/runtime/storage/blob-store.ts";
import { createRunReporter, type RunReporter } from "../../../enclave-app/src/runtime/steps/reporter.ts";
import type { InspectedDataset } from "../../../enclave-app/src/runtime/steps/inspect.ts";
import type { TestParty } from "../helpers/contract.ts";

export interface StoredBlob {
  data: Buffer;
  metadata: Record<string, string>;
  etag: string;
}

/** A BlobStore in a Map, keyed "<container>/<blob>"; `failUpload` lets a test refuse one name. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, StoredBlob>();
  failUpload?: (blobName: string) => Error | undefined;
  #etag = 0;

  put(container: string, blobName: string, data: Buffer, metadata: Record<string, string>): void {
    this.blobs.set(`${container}/${blobName}`, { data, metadata, etag: `"${++this.#etag}"` });
  }

  async getProperties(container: string, blobName: string): Promise<BlobProperties> {
    const b = this.blobs.get(`${container}/${blobName}`);
    if (!b) throw Object.assign(new Error(`BlobNotFound: ${container}/${blobName}`), { statusCode: 404 });
    return { contentLength: b.data.length, metadata: b.metadata, etag: b.etag };
  }

  async download(container: string, blobName: string): Promise<NodeJS.ReadableStream> {
    const b = this.blobs.get(`${container}/${blobName}`);
    if (!b) throw Object.assign(new Error(`BlobNotFound: ${container}/${blobName}`), { statusCode: 404 });
    return Readable.from([b.data]);
  }

  async uploadNew(container: string, blobName: string, data: Buffer, metadata: Record<string, string>): Promise<void> {
    const refusal = this.failUpload?.(blobName);
    if (refusal) throw refusal;
    if (this.blobs.has(`${container}/${blobName}`)) throw Object.assign(new Error("BlobAlreadyExists"), { statusCode: 409 });
    this.put(container, blobName, data, metadata);
  }

  async deleteIfExists(container: string, blobName: string): Promise<void> {
    this.blobs.delete(`${container}/${blobName}`);
  }

  async list(container: string, prefix: string): Promise<string[]> {
    return this.names()
      .filter((n) => n.startsWith(`${container}/${prefix}`))
      .map((n) => n.slice(container.length + 1));
  }

  names(): string[] {
    return [...this.blobs.keys()].sort();
  }
}

export function recordingReporter(runId = "step-test"): { reporter: RunReporter; events: RunEvent[]; names: () => string[] } {
  const events: RunEvent[] = [];
  const reporter = createRunReporter(runId, () => new Date("2026-01-01T00:00:00Z"), (e) => events.push(e));
  return { reporter, events, names: () => events.map((e) => `${e.step}:${e.event}`) };
}

/** Flow (b) as AzureAttestSKR does it: RSA-OAEP-256 unwrap with the party's KEK, raw 40-byte values. */
export function toolAttester(parties: TestParty[], opts: { mode?: IsolationMode; claims?: Record<string, unknown> } = {}): Attester & { requests: UnwrapContentKeysRequest[] } {
  const requests: UnwrapContentKeysRequest[] = [];
  return {
    kind: "cvm-skr",
    mode: opts.mode ?? "confidential-node",
    keyBinding: "client-payload-nonce",
    signing: generateSigningKey(),
    requests,
    async attest(): Promise<Attestation> {
      return { token: "header.payload.signature", claims: opts.claims ?? {} };
    },
    async unwrapContentKeys(req: UnwrapContentKeysRequest): Promise<Map<string, Buffer>> {
      requests.push(req);
      const party = parties.find((p) => req.keyId.includes(`/keys/${p.name}-kek`));
      if (!party) throw new Error(`no KEK for ${req.keyId}`);
      return new Map(req.keys.map((k) => [k.id, privateDecrypt({ key: party.kek.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, k.encryptedKey)]));
    },
  };
}

/** Encrypts a CSV as its owner would and stores it; returns the contract's dataset entry. */
export async function storeDataset(
  store: MemoryBlobStore,
  owner: TestParty,
  spec: Omit<DatasetSpec, "ciphertextSha256" | "plaintextLength" | "owner" | "format">,
  csv: string,
): Promise<{ spec: DatasetSpec; encryptionData: EncryptionData }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const plaintext = Buffer.from(csv, "utf8");
  const res = await encryptStream(Readable.from([plaintext]), sink, { kek: owner.kek.publicJwk, keyId: owner.kek.keyId, algorithm: "RSA-OAEP-256" });
  const [container, ...rest] = spec.blobPath.split("/");
  store.put(container!, rest.join("/"), Buffer.concat(chunks), { encryptiondata: serializeEncryptionData(res.encryptionData) });
  return { spec: { ...spec, owner: owner.name, format: "csv", ciphertextSha256: res.ciphertextSha256, plaintextLength: plaintext.length }, encryptionData: res.encryptionData };
}

export function inspected(stored: { spec: DatasetSpec; encryptionData: EncryptionData }): InspectedDataset {
  const [container, ...rest] = stored.spec.blobPath.split("/");
  return { spec: stored.spec, container: container!, blobName: rest.join("/"), encryptionData: stored.encryptionData };
}

export async function scratchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "cleanroom-step-"));
}

export const SALES_CSV = "customer_id,region\n1,north\n2,north\n3,south\n";
export const SALES_SCHEMA: DatasetSpec["schema"] = [
  { name: "customer_id", type: "BIGINT" },
  { name: "region", type: "VARCHAR" },
];

export type { Contract };
