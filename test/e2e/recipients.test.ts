// Through the demo's own wiring (in-process, so the test can hold the parties' keys): only the
// contract's recipients can read the result. A data owner that is not a recipient gets no result
// blob and cannot decrypt anyone else's, and neither can an outsider's key.
import { generateKeyPairSync } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { isEnvelopeError } from "../../enclave-app/src/envelope/index.ts";
import type { DemoParty } from "../../enclave-app/src/demo/parties.ts";
import { runDemo, type DemoSummary } from "../../enclave-app/src/demo/demo.ts";
import { decryptResultBlob, listBlobs } from "../../enclave-app/src/demo/results.ts";
import { fraudScenario, type Scenario } from "../../enclave-app/src/demo/scenarios/index.ts";

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the decryption to fail");
}

describe("result confidentiality through the demo wiring", () => {
  it("a non-recipient data owner and an outsider cannot decrypt the result; the recipient can", async () => {
    // The bank contributes data but only the insurer receives the result.
    const scenario: Scenario = { ...fraudScenario, recipients: ["insurer"] };
    const checks: { listed: string[]; recipientRows: number; ownerError: unknown; outsiderError: unknown } = {
      listed: [],
      recipientRows: 0,
      ownerError: undefined,
      outsiderError: undefined,
    };
    const log = new PassThrough();
    log.resume();

    const summary: DemoSummary = await runDemo(
      { scenario, rows: 3_000, seed: 5, json: false },
      {
        log,
        hooks: {
          async afterRun({ parties, run, output }) {
            checks.listed = await listBlobs(output);
            const insurerResult = run.outputs.find((o) => o.recipient === "insurer")!;
            const bank = parties.find((p) => p.name === "bank")!;
            const insurer = parties.find((p) => p.name === "insurer")!;
            checks.recipientRows = (await decryptResultBlob(output, insurerResult.blobName, insurer)).csv.trim().split("\n").length;
            checks.ownerError = await failure(decryptResultBlob(output, insurerResult.blobName, bank));
            const outsiderKek = generateKeyPairSync("rsa", { modulusLength: 3072 });
            const outsider: DemoParty = {
              ...bank,
              name: "outsider",
              kek: { ...bank.kek, privateKey: outsiderKek.privateKey, publicKey: outsiderKek.publicKey },
            };
            checks.outsiderError = await failure(decryptResultBlob(output, insurerResult.blobName, outsider));
          },
        },
      },
    );

    expect(summary.ok).toBe(true);
    expect(summary.recipients?.map((r) => r.party)).toEqual(["insurer"]);
    expect(checks.listed.map((b) => b.split("/").pop()).sort()).toEqual(["receipt.json", "result.insurer.csv"]);
    expect(checks.recipientRows).toBe(1 + (summary.rowsReleased ?? -1));
    for (const err of [checks.ownerError, checks.outsiderError]) {
      expect(isEnvelopeError(err)).toBe(true);
      expect((err as { code: string }).code).toBe("KEY_UNWRAP_FAILED");
    }
  }, 120_000);
});
