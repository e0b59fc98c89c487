// Step 3, inspect: every dataset's blob properties and encryption metadata, before any key is
// released (cheap, and fails early). The metadata must name the owner's KEK, and the blob's length
// must be what the contract's plaintext length implies.
import { ciphertextLength, parseEncryptionData, type EncryptionData } from "../../envelope/index.ts";
import { sameKeyVaultKey, type Contract, type DatasetSpec } from "../../protocol/index.ts";
import { RuntimeError, errorMessage } from "../errors.ts";
import { splitBlobPath, type BlobStore } from "../storage/blob-store.ts";
import type { RunReporter } from "./reporter.ts";

/** A dataset located and checked, ready for its content key and its download. */
export interface InspectedDataset {
  spec: DatasetSpec;
  container: string;
  blobName: string;
  /** The version whose metadata was read; the download insists on it. */
  etag?: string;
  encryptionData: EncryptionData;
}

export interface InspectInput {
  contract: Contract;
  storage: BlobStore;
}

export async function inspectDatasets(input: InspectInput, reporter: RunReporter): Promise<InspectedDataset[]> {
  const out: InspectedDataset[] = [];
  for (const spec of input.contract.datasets) {
    out.push(await reporter.timed("download", () => inspectDataset(input.storage, input.contract, spec), { dataset: spec.name, party: spec.owner }));
  }
  return out;
}

async function inspectDataset(storage: BlobStore, contract: Contract, spec: DatasetSpec): Promise<InspectedDataset> {
  const { container, blobName } = splitBlobPath(spec.blobPath);
  const props = await storage.getProperties(container, blobName).catch((err: unknown) => {
    throw new RuntimeError("DATASET_FETCH_FAILED", `dataset "${spec.name}": cannot read ${spec.blobPath}: ${errorMessage(err)}`, { step: "download", dataset: spec.name, party: spec.owner, cause: err });
  });
  const raw = Object.entries(props.metadata).find(([k]) => k.toLowerCase() === "encryptiondata")?.[1];
  if (raw === undefined) {
    throw new RuntimeError("DATASET_METADATA_INVALID", `dataset "${spec.name}": ${spec.blobPath} has no "encryptiondata" metadata (not client-side encrypted)`, { step: "download", dataset: spec.name, party: spec.owner });
  }
  let encryptionData: EncryptionData;
  try {
    encryptionData = parseEncryptionData(raw);
  } catch (err) {
    throw new RuntimeError("DATASET_METADATA_INVALID", `dataset "${spec.name}": encryptiondata is not usable: ${errorMessage(err)}`, { step: "download", dataset: spec.name, party: spec.owner, cause: err });
  }
  const owner = contract.parties.find((p) => p.name === spec.owner);
  if (!owner || !sameKeyVaultKey(encryptionData.WrappedContentKey.KeyId, owner.kek.keyId)) {
    throw new RuntimeError(
      "DATASET_METADATA_INVALID",
      `dataset "${spec.name}": its content key is wrapped by ${encryptionData.WrappedContentKey.KeyId}, not by its owner "${spec.owner}"'s KEK ${owner?.kek.keyId ?? "(unknown party)"}`,
      { step: "download", dataset: spec.name, party: spec.owner },
    );
  }
  const expected = ciphertextLength(spec.plaintextLength, encryptionData.EncryptedRegionInfo.DataLength);
  if (props.contentLength !== expected) {
    throw new RuntimeError("DATASET_INTEGRITY", `dataset "${spec.name}": blob is ${props.contentLength} bytes, the contract's plaintext length ${spec.plaintextLength} means ${expected}`, {
      step: "download",
      dataset: spec.name,
      party: spec.owner,
    });
  }
  return { spec, container, blobName, encryptionData, ...(props.etag ? { etag: props.etag } : {}) };
}
