import { describe, expect, it } from "vitest";
import { RuntimeError } from "../../../enclave-app/src/runtime/errors.ts";
import { inspectDatasets } from "../../../enclave-app/src/runtime/steps/inspect.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { MemoryBlobStore, SALES_CSV, SALES_SCHEMA, recordingReporter, storeDataset } from "./step-helpers.ts";

const bank = makeParty("bank");
const other = makeParty("other", "https://other.vault.azure.net/keys/other-kek");

async function setup(owner = bank) {
  const store = new MemoryBlobStore();
  const stored = await storeDataset(store, owner, { name: "sales", blobPath: "bank-in/sales.csv.enc", schema: SALES_SCHEMA }, SALES_CSV);
  const contract = makeContract({ parties: [bank, other], datasets: [{ ...stored.spec, owner: "bank" }], sql: "SELECT 1 AS n", recipients: ["bank"], authority: "https://maa.example.test" });
  return { store, stored, contract };
}

async function refusal(promise: Promise<unknown>): Promise<RuntimeError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RuntimeError);
  return err as RuntimeError;
}

describe("inspect step", () => {
  it("reads each dataset's metadata and etag, one download start/done per dataset", async () => {
    const { store, contract, stored } = await setup();
    const { reporter, names, events } = recordingReporter();
    const [ds] = await inspectDatasets({ contract, storage: store }, reporter);
    expect(ds).toMatchObject({ container: "bank-in", blobName: "sales.csv.enc", etag: '"1"', encryptionData: stored.encryptionData });
    expect(names()).toEqual(["download:start", "download:done"]);
    expect(events[0]).toMatchObject({ dataset: "sales", party: "bank" });
  });

  it("accepts metadata naming the owner's KEK in other letter case (Key Vault ids are case-insensitive)", async () => {
    const { store, contract } = await setup();
    const blob = store.blobs.get("bank-in/sales.csv.enc")!;
    blob.metadata = { EncryptionData: blob.metadata["encryptiondata"]!.replace("https://bank.vault.azure.net/keys/bank-kek", "https://BANK.vault.azure.net/keys/Bank-KEK") };
    await expect(inspectDatasets({ contract, storage: store }, recordingReporter().reporter)).resolves.toHaveLength(1);
  });

  it("refuses a missing blob, missing metadata, another party's KEK and a wrong length", async () => {
    const { store, contract } = await setup();
    const missing = makeContract({ ...contract, parties: [bank], datasets: [{ ...contract.datasets[0]!, blobPath: "bank-in/none" }], sql: "SELECT 1 AS n", recipients: ["bank"], authority: "https://maa.example.test" });
    expect(await refusal(inspectDatasets({ contract: missing, storage: store }, recordingReporter().reporter))).toMatchObject({ code: "DATASET_FETCH_FAILED", step: "download", dataset: "sales" });

    store.blobs.get("bank-in/sales.csv.enc")!.metadata = {};
    expect(await refusal(inspectDatasets({ contract, storage: store }, recordingReporter().reporter))).toMatchObject({ code: "DATASET_METADATA_INVALID", dataset: "sales", party: "bank" });

    const foreign = await setup(other);
    expect(await refusal(inspectDatasets({ contract: foreign.contract, storage: foreign.store }, recordingReporter().reporter))).toMatchObject({ code: "DATASET_METADATA_INVALID" });

    const short = await setup();
    const b = short.store.blobs.get("bank-in/sales.csv.enc")!;
    b.data = b.data.subarray(0, b.data.length - 1);
    expect(await refusal(inspectDatasets({ contract: short.contract, storage: short.store }, recordingReporter().reporter))).toMatchObject({ code: "DATASET_INTEGRITY", step: "download" });
  });
});
