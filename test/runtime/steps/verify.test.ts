import { describe, expect, it } from "vitest";
import { contractHash, formatPartySigners, parsePartySigners } from "../../../enclave-app/src/protocol/index.ts";
import { RuntimeError } from "../../../enclave-app/src/runtime/errors.ts";
import { verifyContract, type VerifyInput } from "../../../enclave-app/src/runtime/steps/verify.ts";
import { TEST_IMAGE, makeContract, makeParty } from "../helpers/contract.ts";
import { approveAll } from "../helpers/local-room.ts";
import { SALES_SCHEMA, recordingReporter } from "./step-helpers.ts";

const bank = makeParty("bank");
const insurer = makeParty("insurer");
const contract = makeContract({
  parties: [bank, insurer],
  datasets: [{ name: "sales", owner: "bank", blobPath: "bank-in/sales.csv.enc", format: "csv", schema: SALES_SCHEMA, ciphertextSha256: "a".repeat(64), plaintextLength: 10 }],
  sql: "SELECT region, count(*) AS n FROM sales GROUP BY region",
  recipients: ["insurer"],
  authority: "https://maa.example.test",
});
const approvals = await approveAll(contract, [bank]);
const attester = { kind: "cvm-skr", mode: "confidential-node" } as const;

async function refusal(input: Partial<VerifyInput>): Promise<RuntimeError> {
  const { reporter } = recordingReporter();
  const err = await verifyContract({ contract, approvals, attester, ...input }, reporter).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RuntimeError);
  return err as RuntimeError;
}

describe("verify step", () => {
  it("parses the contract once, returns it with its hash, and reports load then approvals", async () => {
    const { reporter, names } = recordingReporter();
    const verified = await verifyContract({ contract: JSON.parse(JSON.stringify(contract)), approvals, attester, sql: contract.sql, enclaveImage: TEST_IMAGE }, reporter);
    expect(verified.contractHash).toBe(contractHash(contract));
    expect(verified.contract).toEqual(contract);
    expect(names()).toEqual(["load:start", "load:done", "approvals:start", "approvals:done", "approvals:verified"]);
  });

  it("refuses an invalid contract, another SQL, another image, the wrong mode and a missing approval", async () => {
    expect(await refusal({ contract: { ...contract, sql: 3 } })).toMatchObject({ code: "CONTRACT_INVALID", step: "load" });
    expect(await refusal({ sql: "SELECT 1" })).toMatchObject({ code: "SQL_MISMATCH", step: "load" });
    expect(await refusal({ enclaveImage: `x@sha256:${"0".repeat(64)}` })).toMatchObject({ code: "IMAGE_MISMATCH", step: "load" });
    expect(await refusal({ attester: { kind: "sidecar", mode: "confidential-container" } })).toMatchObject({ code: "CONFIG_INVALID", step: "config" });
    expect(await refusal({ approvals: {} })).toMatchObject({ code: "APPROVALS_INVALID", step: "approvals", party: "bank" });
    expect(await refusal({ approvals: ["jws"] })).toMatchObject({ code: "APPROVALS_INVALID" });
  });

  it("refuses parties other than the pinned signers", async () => {
    // The bank's key swapped for the insurer's: the contract's bank is not the pinned one.
    const pinned = formatPartySigners([
      { name: "bank", signingKey: insurer.signing.publicJwk },
      { name: "insurer", signingKey: insurer.signing.publicJwk },
    ]);
    expect(await refusal({ partySigners: parsePartySigners(pinned) })).toMatchObject({ code: "SIGNERS_MISMATCH", step: "load" });
    const exact = parsePartySigners(formatPartySigners(contract.parties));
    const { reporter } = recordingReporter();
    await expect(verifyContract({ contract, approvals, attester, partySigners: exact }, reporter)).resolves.toMatchObject({ contractHash: contractHash(contract) });
  });
});
