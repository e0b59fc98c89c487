import { readFile, rm, stat } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeError } from "../../../enclave-app/src/runtime/errors.ts";
import { loadDatasets } from "../../../enclave-app/src/runtime/steps/load.ts";
import { releaseKeys } from "../../../enclave-app/src/runtime/steps/release.ts";
import type { AttestedEnclave } from "../../../enclave-app/src/runtime/steps/attest.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { MemoryBlobStore, SALES_CSV, SALES_SCHEMA, inspected, recordingReporter, scratchDir, storeDataset, toolAttester } from "./step-helpers.ts";

const bank = makeParty("bank");
const attested = { attestation: { token: "t", claims: {} }, nonce: "n", releasePolicyPreview: { allowed: true } } as AttestedEnclave;
let scratch: string | undefined;

afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function setup() {
  const store = new MemoryBlobStore();
  const stored = await storeDataset(store, bank, { name: "sales", blobPath: "bank-in/sales.enc", schema: SALES_SCHEMA }, SALES_CSV);
  const contract = makeContract({ parties: [bank], datasets: [stored.spec], sql: "SELECT 1 AS n", recipients: ["bank"], authority: "https://maa.example.test" });
  const datasets = [inspected(stored)];
  const { contentKeys } = await releaseKeys({ contract, datasets, attester: toolAttester([bank]), attested }, recordingReporter().reporter);
  scratch = await scratchDir();
  return { store, datasets, contentKeys, scratch };
}

describe("load step", () => {
  it("decrypts each dataset into a 0600 file in the scratch directory and zeroes its content key", async () => {
    const { store, datasets, contentKeys, scratch } = await setup();
    const { reporter, names, events } = recordingReporter();
    const [loaded] = await loadDatasets({ datasets, contentKeys, storage: store, scratch }, reporter);
    expect(loaded).toMatchObject({ name: "sales", format: "csv", schema: SALES_SCHEMA, path: `${scratch}/sales.csv` });
    expect(await readFile(loaded!.path, "utf8")).toBe(SALES_CSV);
    expect((await stat(loaded!.path)).mode & 0o777).toBe(0o600);
    expect(contentKeys.get("sales")!.every((b) => b === 0)).toBe(true);
    expect(names()).toEqual(["decrypt:start", "decrypt:done"]);
    expect(events[0]).toMatchObject({ dataset: "sales", party: "bank", bytes: SALES_CSV.length });
  });

  it("reports a tampered ciphertext as DATASET_INTEGRITY naming party and dataset", async () => {
    const { store, datasets, contentKeys, scratch } = await setup();
    const blob = store.blobs.get("bank-in/sales.enc")!;
    blob.data = Buffer.from(blob.data);
    blob.data[20]! ^= 1;
    const err = await loadDatasets({ datasets, contentKeys, storage: store, scratch }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: "DATASET_INTEGRITY", step: "decrypt", party: "bank", dataset: "sales" });
    expect((err as Error).message).toMatch(/^dataset "sales": (DIGEST_MISMATCH|AUTH_TAG_MISMATCH): /);
  });

  it("refuses a dataset without a content key", async () => {
    const { store, datasets, scratch } = await setup();
    const err = await loadDatasets({ datasets, contentKeys: new Map(), storage: store, scratch }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INTERNAL", step: "decrypt", dataset: "sales" });
  });
});

describe("load step, several datasets", () => {
  const insurer = makeParty("insurer");
  const big = `${"region,amount\n"}${"north,12.50\n".repeat(200_000)}`;

  async function setupTwo() {
    const store = new MemoryBlobStore();
    const a = await storeDataset(store, bank, { name: "sales", blobPath: "bank-in/sales.enc", schema: SALES_SCHEMA }, big);
    const b = await storeDataset(store, insurer, { name: "claims", blobPath: "insurer-in/claims.enc", schema: SALES_SCHEMA }, SALES_CSV);
    const contract = makeContract({ parties: [bank, insurer], datasets: [a.spec, b.spec], sql: "SELECT 1 AS n", recipients: ["bank"], authority: "https://maa.example.test" });
    const datasets = [inspected(a), inspected(b)];
    const { contentKeys } = await releaseKeys({ contract, datasets, attester: toolAttester([bank, insurer]), attested }, recordingReporter().reporter);
    scratch = await scratchDir();
    return { store, datasets, contentKeys, scratch };
  }

  it("decrypts them concurrently, each into its own file, every key zeroed", async () => {
    const { store, datasets, contentKeys, scratch } = await setupTwo();
    const { reporter, names } = recordingReporter();
    const loaded = await loadDatasets({ datasets, contentKeys, storage: store, scratch }, reporter);
    expect(loaded.map((d) => d.name)).toEqual(["sales", "claims"]);
    expect(await readFile(loaded[0]!.path, "utf8")).toBe(big);
    expect(await readFile(loaded[1]!.path, "utf8")).toBe(SALES_CSV);
    // Both start before either is done.
    expect(names().slice(0, 2)).toEqual(["decrypt:start", "decrypt:start"]);
    for (const key of contentKeys.values()) expect(key.every((b) => b === 0)).toBe(true);
  });

  it("rejects with the first failure only after the other dataset stopped, and zeroes every key", async () => {
    const { store, datasets, contentKeys, scratch } = await setupTwo();
    const blob = store.blobs.get("insurer-in/claims.enc")!;
    blob.data = Buffer.from(blob.data);
    blob.data[20]! ^= 1;
    const err = await loadDatasets({ datasets, contentKeys, storage: store, scratch }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DATASET_INTEGRITY", dataset: "claims", party: "insurer" });
    for (const key of contentKeys.values()) expect(key.every((b) => b === 0)).toBe(true);
    // Nothing is still writing: the directory can be removed and stays removed.
    await rm(scratch, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 50));
    await expect(stat(scratch)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
