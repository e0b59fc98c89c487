import { describe, expect, it } from "vitest";
import { receiptKeyNonce } from "../../../enclave-app/src/runtime/attest/attester.ts";
import { HostdataMismatchError } from "../../../enclave-app/src/runtime/errors.ts";
import { attestEnclave } from "../../../enclave-app/src/runtime/steps/attest.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { SALES_SCHEMA, recordingReporter, toolAttester } from "./step-helpers.ts";

const bank = makeParty("bank");
const datasets = [{ name: "sales", owner: "bank", blobPath: "bank-in/s.enc", format: "csv" as const, schema: SALES_SCHEMA, ciphertextSha256: "a".repeat(64), plaintextLength: 1 }];
const base = { parties: [bank], datasets, sql: "SELECT 1 AS n", recipients: ["bank"], authority: "https://maa.example.test" };
const HOSTDATA = "c".repeat(64);

describe("attest step", () => {
  it("attests with the receipt-key nonce and warns, naming the token by fingerprint only, when the token fails the release policy", async () => {
    const attester = toolAttester([bank]);
    let nonceSeen: string | undefined;
    const attest = attester.attest.bind(attester);
    attester.attest = async (o) => ((nonceSeen = o.nonce), attest(o));
    const { reporter, events, names } = recordingReporter();
    const attested = await attestEnclave({ contract: makeContract(base), attester }, reporter);
    expect(nonceSeen).toBe(receiptKeyNonce(attester.signing.publicJwk));
    expect(attested.nonce).toBe(nonceSeen);
    expect(attested.releasePolicyPreview.allowed).toBe(false);
    expect(names()).toEqual(["attest:start", "attest:done", "attest:token-fails-release-policy"]);
    expect(events.at(-1)).toMatchObject({ level: "warn" });
    expect(events.at(-1)!.detail).toMatch(/^token sha256:[0-9a-f]{16}: /);
    expect(JSON.stringify(events)).not.toContain("header.payload.signature");
  });

  it("confidential-container: refuses a token whose hostdata is not the contract's, before any vault is asked", async () => {
    const contract = makeContract({ ...base, mode: "confidential-container", hostdata: HOSTDATA });
    const attester = toolAttester([bank], { mode: "confidential-container", claims: { "x-ms-sevsnpvm-hostdata": "d".repeat(64) } });
    const { reporter, names } = recordingReporter();
    const err = await attestEnclave({ contract, attester }, reporter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostdataMismatchError);
    expect(err).toMatchObject({ code: "KEY_RELEASE_DENIED", step: "attest", claim: "x-ms-sevsnpvm-hostdata", expected: HOSTDATA });
    expect(names()).toEqual(["attest:start", "attest:done"]);

    const ok = toolAttester([bank], { mode: "confidential-container", claims: { "x-ms-sevsnpvm-hostdata": HOSTDATA } });
    await expect(attestEnclave({ contract, attester: ok }, recordingReporter().reporter)).resolves.toMatchObject({ attestation: { claims: { "x-ms-sevsnpvm-hostdata": HOSTDATA } } });
  });
});
