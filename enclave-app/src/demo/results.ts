import { Writable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import { decryptStream, parseEncryptionData, unwrapContentKey, METADATA_KEY } from "../envelope/index.ts";
import { JSON_MAX_BYTES, parseJsonStrict } from "../protocol/index.ts";
import type { DemoParty } from "./parties.ts";

export interface DecryptedResult {
  recipient: string;
  blobName: string;
  csv: string;
  ciphertextSha256: string;
}

/** Every blob name under a prefix of the output container (what a recipient sees when it looks). */
export async function listBlobs(container: ContainerClient, prefix?: string): Promise<string[]> {
  if (!(await container.exists())) return [];
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat(prefix !== undefined ? { prefix } : {})) names.push(blob.name);
  return names.sort();
}

export interface CommittedRun {
  /** The receipt as stored, parsed once, strictly (what `cleanroom receipt verify` checks). */
  receipt: unknown;
  outputs: { recipient: string; blobName: string }[];
}

/**
 * A run's result is what its receipt lists. The receipt is written last, as the commit marker: a
 * run prefix without one holds staged blobs of an attempt that did not finish, which are not a
 * result (the next attempt with that run id removes them). Undefined when there is no receipt.
 */
export async function readCommittedRun(container: ContainerClient, receiptBlobName: string): Promise<CommittedRun | undefined> {
  const blob = container.getBlockBlobClient(receiptBlobName);
  if (!(await blob.exists())) return undefined;
  const receipt = parseJsonStrict((await blob.downloadToBuffer()).toString("utf8"), { what: `receipt ${receiptBlobName}`, maxBytes: JSON_MAX_BYTES.receipt });
  const outputs = (receipt as { outputs?: { recipient?: unknown; blobName?: unknown }[] } | null)?.outputs;
  if (!Array.isArray(outputs)) throw new Error(`Receipt ${receiptBlobName} lists no outputs.`);
  return {
    receipt,
    outputs: outputs.map((o, i) => {
      if (typeof o?.recipient !== "string" || typeof o.blobName !== "string") throw new Error(`Receipt ${receiptBlobName}: outputs[${i}] has no recipient or blob name.`);
      return { recipient: o.recipient, blobName: o.blobName };
    }),
  };
}

/**
 * What a recipient does with its result blob: read the `encryptiondata` metadata, unwrap the
 * content key with its own private KEK (in a real collaboration that is a Key Vault unwrapKey
 * call or `cleanroom decrypt`; the demo holds the key itself), then decrypt region by region.
 * Any key but the recipient's fails at the unwrap step.
 */
export async function decryptResultBlob(container: ContainerClient, blobName: string, recipient: DemoParty): Promise<DecryptedResult> {
  const blob = container.getBlockBlobClient(blobName);
  const props = await blob.getProperties();
  const raw = props.metadata?.[METADATA_KEY];
  if (raw === undefined) throw new Error(`Result blob ${blobName} has no "${METADATA_KEY}" metadata; it is not client-side encrypted.`);
  const encryptionData = parseEncryptionData(raw);
  const cek = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
    kek: recipient.kek.privateKey,
    algorithm: encryptionData.WrappedContentKey.Algorithm,
    protocol: encryptionData.EncryptionAgent.Protocol,
  });
  const download = await blob.download();
  if (!download.readableStreamBody) throw new Error(`Result blob ${blobName} returned no body.`);
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      callback();
    },
  });
  const result = await decryptStream(download.readableStreamBody, sink, { cek, encryptionData });
  return { recipient: recipient.name, blobName, csv: Buffer.concat(parts).toString("utf8"), ciphertextSha256: result.ciphertextSha256 };
}
