import { Readable, Writable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import { DEFAULT_NONCE_SCHEME, encryptStream, serializeEncryptionData, type EncryptResult } from "../envelope/index.ts";
import { blobStoreForContainer } from "../runtime/storage/blob-store.ts";
import { uploadIdempotent } from "../runtime/storage/idempotent-upload.ts";
import type { DemoParty } from "./parties.ts";
import type { GeneratedDataset, ScenarioDataset } from "./scenarios/index.ts";

export interface UploadedDataset {
  dataset: ScenarioDataset;
  format: "csv" | "parquet";
  blobPath: string;
  ciphertextSha256: string;
  plaintextLength: number;
  ciphertextLength: number;
  rows: number;
}

/**
 * What a data owner does on its own premises: encrypt the CSV with a fresh content key wrapped
 * under its KEK (client-side encryption v2, RSA-OAEP-256 because AzureAttestSKR only offers
 * SHA-256 OAEP; the java nonce layout, which every SDK reader accepts), then upload the ciphertext (create-only) with the `encryptiondata` metadata the SDKs write.
 * The ciphertext is collected in memory first because the metadata (which holds the wrapped key)
 * must accompany the upload, and a demo-sized dataset fits comfortably.
 */
export async function encryptAndUpload(opts: {
  container: ContainerClient;
  dataset: ScenarioDataset;
  data: GeneratedDataset;
  owner: DemoParty;
  /** Default csv; parquet datasets are stored as <blob name>.parquet. */
  format?: "csv" | "parquet";
  onProgress?: (plaintextBytes: number) => void;
}): Promise<UploadedDataset> {
  const { container, data, owner } = opts;
  const format = opts.format ?? "csv";
  const dataset = format === "csv" ? opts.dataset : { ...opts.dataset, blobName: `${opts.dataset.blobName.replace(/\.csv$/, "")}.parquet` };
  if (owner.kek.keyId === undefined) throw new Error(`Party "${owner.name}" has no KEK in its vault yet; create it before encrypting.`);
  const ciphertext: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      ciphertext.push(chunk);
      callback();
    },
  });
  const result: EncryptResult = await encryptStream(Readable.from(data.chunks), sink, {
    kek: owner.kek.publicKey,
    keyId: owner.kek.keyId,
    algorithm: "RSA-OAEP-256",
    nonceScheme: DEFAULT_NONCE_SCHEME,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const body = Buffer.concat(ciphertext);
  await container.createIfNotExists();
  // Create-only: an approved dataset is never silently replaced; a lost answer whose blob holds
  // exactly this ciphertext counts as uploaded.
  await uploadIdempotent(blobStoreForContainer(container), container.containerName, dataset.blobName, body, { encryptiondata: serializeEncryptionData(result.encryptionData) });
  return {
    dataset,
    format,
    blobPath: `${dataset.container}/${dataset.blobName}`,
    ciphertextSha256: result.ciphertextSha256,
    plaintextLength: result.plaintextLength,
    ciphertextLength: result.ciphertextLength,
    rows: data.rows,
  };
}

/**
 * The --tamper scenario: someone with write access to the storage account (an operator, another
 * party) flips one byte of an approved ciphertext after approval. The metadata is kept, so only
 * the contract's pinned digest and the GCM tags stand between the change and the result.
 */
export async function flipOneByte(container: ContainerClient, blobName: string): Promise<{ offset: number }> {
  const blob = container.getBlockBlobClient(blobName);
  const [body, props] = await Promise.all([blob.downloadToBuffer(), blob.getProperties()]);
  const offset = Math.floor(body.length / 2);
  body[offset] = (body[offset] ?? 0) ^ 0x01;
  await blob.uploadData(body, { metadata: props.metadata ?? {}, blobHTTPHeaders: { blobContentType: "application/octet-stream" } });
  return { offset };
}
