import { describe, expect, it } from "vitest";
import { generateSigningKey } from "../../../enclave-app/src/runtime/attest/attester.ts";
import { RuntimeError } from "../../../enclave-app/src/runtime/errors.ts";
import { commitOutputs, type CommitInput } from "../../../enclave-app/src/runtime/steps/commit.ts";
import { receiptBlobName } from "../../../enclave-app/src/runtime/steps/output-names.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { MemoryBlobStore, SALES_SCHEMA, recordingReporter } from "./step-helpers.ts";

const bank = makeParty("bank");
const contract = makeContract({
  parties: [bank],
  datasets: [{ name: "sales", owner: "bank", blobPath: "bank-in/s.enc", format: "csv", schema: SALES_SCHEMA, ciphertextSha256: "a".repeat(64), plaintextLength: 1 }],
  sql: "SELECT 1 AS n",
  recipients: ["bank"],
  authority: "https://maa.example.test",
});
const signing = generateSigningKey();
const HASH = "f".repeat(64);

function input(store: MemoryBlobStore): CommitInput {
  return {
    sealed: [{ recipient: "bank", blobName: `${HASH}/run-1/result.bank.csv`, data: Buffer.from("ciphertext"), metadata: { encryptiondata: "{}" }, sha256: "b".repeat(64) }],
    storage: store,
    outputContainer: "output",
    signing,
    receipt: {
      contract,
      contractHash: HASH,
      runId: "run-1",
      startedAt: new Date("2026-01-01T00:00:00Z"),
      attester: { kind: "local", mode: "confidential-node", keyBinding: "client-payload-nonce", signing },
      token: "t.o.k",
      datasets: [{ name: "sales", rowCount: 3 }],
      keysReleased: [{ party: "bank", keyId: bank.kek.keyId, mechanism: "azure-attest-skr" }],
      rowsReleased: 1,
      rowsSuppressed: 0,
    },
  };
}

describe("commit step", () => {
  it("uploads the results, then the signed receipt last, listing every output", async () => {
    const store = new MemoryBlobStore();
    const order: string[] = [];
    store.failUpload = (name) => (order.push(name), undefined);
    const { reporter, names } = recordingReporter();
    const committed = await commitOutputs(input(store), reporter);
    expect(order).toEqual([`${HASH}/run-1/result.bank.csv`, receiptBlobName(HASH, "run-1")]);
    expect(committed.receiptBlobName).toBe(receiptBlobName(HASH, "run-1"));
    expect(committed.receipt.outputs).toEqual([{ recipient: "bank", container: "output", blobName: `${HASH}/run-1/result.bank.csv`, ciphertextSha256: "b".repeat(64), ciphertextLength: 10 }]);
    expect(committed.receipt.signature).toMatch(/^[\w-]+\.\.[\w-]+$/);
    expect(JSON.parse(store.blobs.get(`output/${committed.receiptBlobName}`)!.data.toString("utf8"))).toEqual(committed.receipt);
    expect(names()).toEqual(["upload:start", "upload:done", "receipt:start", "receipt:done"]);
  });

  it("removes the results it uploaded when the receipt cannot be written, and reports the cleanup", async () => {
    const store = new MemoryBlobStore();
    store.failUpload = (name) => (name.endsWith("receipt.json") ? new Error("connection reset") : undefined);
    const { reporter, names } = recordingReporter();
    const err = await commitOutputs(input(store), reporter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ code: "OUTPUT_FAILED", step: "receipt" });
    expect(store.names()).toEqual([]);
    expect(names().slice(-2)).toEqual(["cleanup:output-removed", "cleanup:output-removed"]);
  });

  it("never removes a blob that was already there (a reused run id)", async () => {
    const store = new MemoryBlobStore();
    store.put("output", `${HASH}/run-1/result.bank.csv`, Buffer.from("earlier run"), {});
    const err = await commitOutputs(input(store), recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OUTPUT_FAILED", step: "upload" });
    expect(store.blobs.get(`output/${HASH}/run-1/result.bank.csv`)!.data.toString()).toBe("earlier run");
  });
});

describe("commit step: an upload whose answer is lost", () => {
  /** The write reaches storage, then the connection drops before the answer arrives. */
  function losingAnswers(store: MemoryBlobStore, lost: (name: string) => boolean): MemoryBlobStore {
    const inner = store.uploadNew.bind(store);
    store.uploadNew = async (c, n, d, m) => {
      await inner(c, n, d, m);
      if (lost(n)) throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    };
    return store;
  }

  it("counts a blob that holds exactly what was sent as written, for the results and the receipt", async () => {
    const store = losingAnswers(new MemoryBlobStore(), () => true);
    const committed = await commitOutputs(input(store), recordingReporter().reporter);
    expect(store.names()).toEqual([`output/${HASH}/run-1/receipt.json`, `output/${HASH}/run-1/result.bank.csv`]);
    expect(JSON.parse(store.blobs.get(`output/${committed.receiptBlobName}`)!.data.toString("utf8"))).toEqual(committed.receipt);
  });

  it("still removes a found-written result when a later write fails", async () => {
    const store = losingAnswers(new MemoryBlobStore(), (n) => n.endsWith(".csv"));
    store.failUpload = (name) => (name.endsWith("receipt.json") ? new Error("503 Server Busy") : undefined);
    await expect(commitOutputs(input(store), recordingReporter().reporter)).rejects.toMatchObject({ code: "OUTPUT_FAILED", step: "receipt" });
    expect(store.names()).toEqual([]);
  });

  it("fails naming the blob when the existing blob differs in content or metadata, and leaves it", async () => {
    for (const [data, metadata] of [
      [Buffer.from("ciphertexT"), { encryptiondata: "{}" }],
      [Buffer.from("ciphertext"), { encryptiondata: "{\"other\":1}" }],
    ] as const) {
      const store = new MemoryBlobStore();
      store.put("output", `${HASH}/run-1/result.bank.csv`, data, metadata);
      // The PUT is answered by a network error, as when the SDK's retry follows a lost answer.
      store.failUpload = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      const err = await commitOutputs(input(store), recordingReporter().reporter).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "OUTPUT_FAILED", step: "upload" });
      expect((err as Error).message).toMatch(new RegExp(`^output/${HASH}/run-1/result\\.bank\\.csv already exists: outputs are never overwritten \\(other content: (sha256|metadata encryptiondata) differs`));
      expect(store.blobs.get(`output/${HASH}/run-1/result.bank.csv`)!.data).toEqual(data);
    }
  });
});
