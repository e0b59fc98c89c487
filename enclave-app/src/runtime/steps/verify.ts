// Step 1, verify: nothing is attested or released before this passes. The contract is parsed once,
// here; every later step receives the typed Contract and its hash.
//   parse (CONTRACT_INVALID) -> the SQL asked for is the contract's (SQL_MISMATCH) -> the running
//   image is the pinned one (IMAGE_MISMATCH) -> the parties are the ones the container policy pins
//   (SIGNERS_MISMATCH) -> the attester runs in the contract's mode (CONFIG_INVALID)
//   -> every dataset owner approved this exact contract hash (APPROVALS_INVALID).
import {
  contractHash as computeContractHash,
  parseContract,
  partySignersMismatch,
  verifyApprovals,
  type Approvals,
  type Contract,
  type PartySigners,
  type ValidationIssue,
} from "../../protocol/index.ts";
import type { Attester } from "../attest/attester.ts";
import { RuntimeError, errorMessage } from "../errors.ts";
import type { RunReporter } from "./reporter.ts";

export interface VerifyInput {
  /** The contract as loaded (parsed JSON), not yet validated. */
  contract: unknown;
  /** Approvals as loaded: party name -> compact JWS. */
  approvals: unknown;
  /** The SQL the operator asks for, when given. */
  sql?: string;
  /** The image actually running, when known. */
  enclaveImage?: string;
  /** Confidential-container mode: the signers the container policy fixes. */
  partySigners?: PartySigners;
  attester: Pick<Attester, "kind" | "mode">;
}

export interface VerifiedContract {
  contract: Contract;
  contractHash: string;
}

export async function verifyContract(input: VerifyInput, reporter: RunReporter): Promise<VerifiedContract> {
  const contract = await reporter.timed("load", async () => loadContract(input.contract));
  const contractHash = computeContractHash(contract);
  checkRunMatchesContract(contract, input);
  await reporter.timed("approvals", async () => checkApprovals(contract, contractHash, input.approvals));
  reporter.emit({ level: "info", step: "approvals", event: "verified", detail: `contract ${contractHash}` });
  return { contract, contractHash };
}

function loadContract(input: unknown): Contract {
  try {
    return parseContract(input);
  } catch (err) {
    const issues = (err as { issues?: ValidationIssue[] }).issues;
    const summary = issues?.length ? `${issues.length} issue(s): ${issues.slice(0, 5).map((i) => `${i.path} [${i.rule}] ${i.message}`).join("; ")}` : errorMessage(err);
    throw new RuntimeError("CONTRACT_INVALID", `the contract is invalid: ${summary}`, { step: "load", cause: err });
  }
}

/** What the operator runs (SQL, image, pinned signers, attester mode) must be what the contract says. */
export function checkRunMatchesContract(contract: Contract, run: Omit<VerifyInput, "contract" | "approvals">): void {
  if (run.sql !== undefined && run.sql !== contract.sql) {
    throw new RuntimeError("SQL_MISMATCH", "the SQL to run differs from the contract's approved SQL; only the contract's SQL runs", { step: "load" });
  }
  if (run.enclaveImage !== undefined && run.enclaveImage !== contract.enclave.image) {
    throw new RuntimeError("IMAGE_MISMATCH", `running image ${run.enclaveImage} is not the contract's pinned image ${contract.enclave.image}`, { step: "load" });
  }
  if (run.partySigners !== undefined) {
    const mismatch = partySignersMismatch(run.partySigners, contract.parties);
    if (mismatch) {
      throw new RuntimeError("SIGNERS_MISMATCH", `the contract's parties are not the ones the container policy pins (CLEANROOM_PARTY_SIGNERS): ${mismatch}`, { step: "load" });
    }
  }
  if (run.attester.mode !== contract.attestation.mode) {
    throw new RuntimeError("CONFIG_INVALID", `the ${run.attester.kind} attester runs in ${run.attester.mode} mode, the contract requires ${contract.attestation.mode}`, { step: "config" });
  }
}

async function checkApprovals(contract: Contract, contractHash: string, approvals: unknown): Promise<void> {
  if (!approvals || typeof approvals !== "object" || Array.isArray(approvals) || !Object.values(approvals).every((v) => typeof v === "string")) {
    throw new RuntimeError("APPROVALS_INVALID", "approvals must be an object mapping party name to a compact JWS", { step: "approvals" });
  }
  const report = await verifyApprovals(contract, approvals as Approvals);
  if (!report.ok) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing approval from ${report.missing.join(", ")}`);
    for (const bad of report.invalid) parts.push(`approval of "${bad.party}" is invalid: ${bad.reason}`);
    throw new RuntimeError("APPROVALS_INVALID", `contract ${contractHash} is not approved by every dataset owner: ${parts.join("; ")}`, {
      step: "approvals",
      ...(report.missing[0] !== undefined ? { party: report.missing[0] } : report.invalid[0] ? { party: report.invalid[0].party } : {}),
    });
  }
}
