import { Readable, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { decryptStream, parseEncryptionData, unwrapContentKey } from "../../../enclave-app/src/envelope/index.ts";
import { seal } from "../../../enclave-app/src/runtime/steps/seal.ts";
import { resultBlobName } from "../../../enclave-app/src/runtime/steps/output-names.ts";
import { makeContract, makeParty, type TestParty } from "../helpers/contract.ts";
import { SALES_SCHEMA, recordingReporter } from "./step-helpers.ts";

const bank = makeParty("bank");
const auditor = makeParty("auditor");
const contract = makeContract({
  parties: [bank, auditor],
  datasets: [{ name: "sales", owner: "bank", blobPath: "bank-in/s.enc", format: "csv", schema: SALES_SCHEMA, ciphertextSha256: "a".repeat(64), plaintextLength: 1 }],
  sql: "SELECT 1 AS n",
  recipients: ["bank", "auditor", "bank"],
  authority: "https://maa.example.test",
});
const guarded = { columns: [{ name: "region", type: "VARCHAR" }, { name: "n", type: "BIGINT" }], rows: [["north", "12"]], rowsReleased: 1, rowsSuppressed: 0 };

async function open(party: TestParty, data: Buffer, metadata: Record<string, string>): Promise<string> {
  const encryptionData = parseEncryptionData(metadata["encryptiondata"]!);
  const cek = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), { kek: party.kek.privateKey, algorithm: encryptionData.WrappedContentKey.Algorithm, protocol: encryptionData.EncryptionAgent.Protocol });
  const chunks: Buffer[] = [];
  await decryptStream(Readable.from([data]), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }), { cek, encryptionData });
  return Buffer.concat(chunks).toString("utf8");
}

describe("seal step", () => {
  it("encrypts the CSV once per distinct recipient, to that recipient's KEK, under the run's result names", async () => {
    const { reporter, names } = recordingReporter();
    const sealed = await seal({ result: guarded, contract, contractHash: "h".repeat(64), runId: "run-1" }, reporter);
    expect(sealed.map((s) => s.recipient)).toEqual(["bank", "auditor"]);
    expect(sealed.map((s) => s.blobName)).toEqual([resultBlobName("h".repeat(64), "run-1", "bank"), resultBlobName("h".repeat(64), "run-1", "auditor")]);
    expect(names()).toEqual(["encrypt:start", "encrypt:done", "encrypt:start", "encrypt:done"]);
    expect(await open(bank, sealed[0]!.data, sealed[0]!.metadata)).toBe("region,n\nnorth,12\n");
    expect(await open(auditor, sealed[1]!.data, sealed[1]!.metadata)).toBe("region,n\nnorth,12\n");
    expect(parseEncryptionData(sealed[1]!.metadata["encryptiondata"]!).WrappedContentKey.KeyId).toBe(auditor.kek.keyId);
  });

  it("refuses a recipient that is not a party", async () => {
    const stray = { ...contract, recipients: ["nobody"] };
    await expect(seal({ result: guarded, contract: stray, contractHash: "h", runId: "r" }, recordingReporter().reporter)).rejects.toMatchObject({ code: "CONTRACT_INVALID", step: "encrypt", party: "nobody" });
  });
});
