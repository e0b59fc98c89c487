// Step 9, commit: upload every sealed result, then the signed receipt last: the receipt is the
// commit marker, so a reader that finds it finds every result it lists. Blobs are created with
// If-None-Match: * (never overwritten; a lost answer whose blob holds what was sent counts as written). If anything fails, every blob this step uploaded is removed
// again (`cleanup` events) before the error leaves, so a failed run leaves the output container as
// it found it.
import { RuntimeError, errorMessage } from "../errors.ts";
import { buildReceipt, type BuildReceiptInput } from "../receipt/build.ts";
import { signReceipt } from "../receipt/sign.ts";
import type { Receipt, ReceiptOutput } from "../../receipt/index.ts";
import type { BlobStore } from "../storage/blob-store.ts";
import { BlobConflictError, uploadIdempotent } from "../storage/idempotent-upload.ts";
import { receiptBlobName } from "./output-names.ts";
import type { RunReporter } from "./reporter.ts";
import type { SealedResult } from "./seal.ts";
import type { Attester } from "../attest/attester.ts";

export interface CommitInput {
  sealed: readonly SealedResult[];
  storage: BlobStore;
  outputContainer: string;
  /** Everything the receipt states except the outputs and the finishing time, known only here. */
  receipt: Omit<BuildReceiptInput, "outputs" | "finishedAt">;
  /** The ephemeral key bound into the attestation that signs the receipt. */
  signing: Attester["signing"];
}

export interface Committed {
  outputs: ReceiptOutput[];
  receipt: Receipt;
  receiptBlobName: string;
}

interface UploadedBlob {
  container: string;
  blobName: string;
}

export async function commitOutputs(input: CommitInput, reporter: RunReporter): Promise<Committed> {
  const { storage, outputContainer } = input;
  const uploaded: UploadedBlob[] = [];
  try {
    const outputs: ReceiptOutput[] = [];
    for (const s of input.sealed) {
      await reporter.timed("upload", () => uploadTracked(storage, uploaded, outputContainer, s.blobName, s.data, s.metadata), { recipient: s.recipient, bytes: s.data.length });
      outputs.push({ recipient: s.recipient, container: outputContainer, blobName: s.blobName, ciphertextSha256: s.sha256, ciphertextLength: s.data.length });
    }
    const name = receiptBlobName(input.receipt.contractHash, input.receipt.runId);
    const receipt = await reporter.timed("receipt", async () => {
      const body = buildReceipt({ ...input.receipt, outputs, finishedAt: reporter.clock() });
      const signed = await signReceipt(body, input.signing.privateKey, input.signing.kid);
      await uploadTracked(storage, uploaded, outputContainer, name, Buffer.from(`${JSON.stringify(signed, null, 2)}\n`, "utf8"), {});
      return signed;
    });
    return { outputs, receipt, receiptBlobName: name };
  } catch (err) {
    await removeUploaded(storage, uploaded, reporter);
    throw err;
  }
}

/**
 * Uploads a new blob and records it for cleanup *before* the call (a timeout may hide a blob that
 * was created). A lost answer whose blob holds exactly what was sent is our write (sealed results
 * carry a fresh content key, so no other run writes the same bytes). A blob with other content
 * belongs to someone else and must not be deleted by our cleanup.
 */
async function uploadTracked(storage: BlobStore, uploaded: UploadedBlob[], container: string, blobName: string, data: Buffer, metadata: Record<string, string>): Promise<void> {
  const entry = { container, blobName };
  uploaded.push(entry);
  try {
    await uploadIdempotent(storage, container, blobName, data, metadata);
  } catch (err) {
    if (err instanceof BlobConflictError) {
      uploaded.splice(uploaded.indexOf(entry), 1);
      throw new RuntimeError("OUTPUT_FAILED", `${container}/${blobName} already exists: outputs are never overwritten (other content: ${err.why}; is the run id reused?)`, { step: "upload", cause: err });
    }
    throw err;
  }
}

/** Newest first; a blob that cannot be removed is reported, and the others are still tried. */
async function removeUploaded(storage: BlobStore, uploaded: UploadedBlob[], reporter: RunReporter): Promise<void> {
  for (const u of [...uploaded].reverse()) {
    try {
      await storage.deleteIfExists(u.container, u.blobName);
      reporter.emit({ level: "warn", step: "cleanup", event: "output-removed", detail: u.blobName });
    } catch (cleanupErr) {
      reporter.emit({ level: "error", step: "cleanup", event: "output-removal-failed", detail: `${u.blobName}: ${errorMessage(cleanupErr)}` });
    }
  }
}
