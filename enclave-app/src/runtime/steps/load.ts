// Step 5, load: per dataset, stream-download the version whose metadata was inspected through the
// envelope reader into a file in the (memory-backed) scratch directory, with the contract's
// ciphertext SHA-256 and plaintext length enforced; a region is written only after its tag verified.
// Each content key is zeroed as soon as its dataset is decrypted.
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { decryptStream, isIntegrityFailure } from "../../envelope/index.ts";
import { RuntimeError, errorMessage } from "../errors.ts";
import type { SqlDatasetInput } from "../sql/runner.ts";
import type { BlobStore } from "../storage/blob-store.ts";
import type { InspectedDataset } from "./inspect.ts";
import type { ContentKeys } from "./release.ts";
import type { RunReporter } from "./reporter.ts";

export interface LoadInput {
  datasets: readonly InspectedDataset[];
  contentKeys: ContentKeys;
  storage: BlobStore;
  /** An existing directory of this run only (mode 0700); the caller removes it. */
  scratch: string;
}

/** A decrypted dataset on disk: what the compute step reads. */
export type LoadedDataset = SqlDatasetInput;

/**
 * All datasets at once (download and AES of one overlap those of the others). The first failure
 * aborts the rest, and the step rejects with it only once every dataset has stopped writing, so the
 * caller can remove the scratch directory safely.
 */
export async function loadDatasets(input: LoadInput, reporter: RunReporter): Promise<LoadedDataset[]> {
  const abort = new AbortController();
  let first: unknown;
  const settled = await Promise.allSettled(
    input.datasets.map(async (dataset) => {
      const { spec } = dataset;
      const path = join(input.scratch, `${spec.name}.${spec.format}`);
      const cek = input.contentKeys.get(spec.name);
      try {
        await reporter.timed("decrypt", () => downloadAndDecrypt(input.storage, dataset, cek, path, abort.signal), { dataset: spec.name, party: spec.owner, bytes: spec.plaintextLength });
      } catch (err) {
        if (!abort.signal.aborted) {
          first = err;
          abort.abort();
        }
        throw err;
      } finally {
        cek?.fill(0);
      }
      return { name: spec.name, format: spec.format, schema: spec.schema, path } satisfies LoadedDataset;
    }),
  );
  if (first !== undefined) throw first;
  return settled.map((s) => (s as PromiseFulfilledResult<LoadedDataset>).value);
}

async function downloadAndDecrypt(storage: BlobStore, dataset: InspectedDataset, cek: Buffer | undefined, path: string, signal: AbortSignal): Promise<void> {
  const { spec } = dataset;
  if (!cek) throw new RuntimeError("INTERNAL", `dataset "${spec.name}": no content key`, { step: "decrypt", dataset: spec.name });
  let input: NodeJS.ReadableStream;
  try {
    input = await storage.download(dataset.container, dataset.blobName, dataset.etag);
  } catch (err) {
    throw new RuntimeError("DATASET_FETCH_FAILED", `dataset "${spec.name}": download of ${spec.blobPath} failed: ${errorMessage(err)}`, { step: "download", dataset: spec.name, party: spec.owner, cause: err });
  }
  // "wx": never follow or reuse a file that is already there.
  const output = createWriteStream(path, { flags: "wx", mode: 0o600 });
  try {
    await decryptStream(input, output, {
      cek,
      encryptionData: dataset.encryptionData,
      expectedSha256: spec.ciphertextSha256,
      expectedLength: spec.plaintextLength,
      signal,
    });
  } catch (err) {
    (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    const integrity = isIntegrityFailure(err);
    const code = (err as { code?: unknown }).code;
    throw new RuntimeError(
      integrity ? "DATASET_INTEGRITY" : "DATASET_FETCH_FAILED",
      `dataset "${spec.name}": ${integrity ? `${String(code)}: ` : ""}${errorMessage(err)}`,
      { step: "decrypt", dataset: spec.name, party: spec.owner, cause: err },
    );
  }
}
