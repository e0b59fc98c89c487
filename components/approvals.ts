// Approvals gate the enclave workload. Verification is asynchronous (signature checks) while component
// constructors are synchronous, so verification happens first and yields a VerifiedApprovals value
// that only this module can mint; EnclaveWorkload refuses anything else. A caller cannot create the
// workload for a contract whose approvals were never checked, even by mistake.
import {
  contractHash,
  verifyApprovals,
  type ApprovalReport,
  type Approvals,
  type Contract,
} from "../enclave-app/src/protocol/index.ts";

export interface VerifiedApprovals {
  readonly contractHash: string;
  readonly approvals: Readonly<Approvals>;
  readonly report: ApprovalReport;
}

const minted = new WeakSet<object>();

export class ApprovalsRejectedError extends Error {
  readonly code = "APPROVALS_REJECTED" as const;
  readonly contractHash: string;
  readonly missing: string[];
  readonly invalid: { party: string; reason: string }[];

  constructor(report: ApprovalReport) {
    const parts: string[] = [];
    if (report.missing.length > 0) parts.push(`missing approvals from: ${report.missing.join(", ")}`);
    if (report.invalid.length > 0) {
      parts.push(`approvals that do not verify: ${report.invalid.map((i) => `${i.party} (${i.reason})`).join("; ")}`);
    }
    super(
      `the enclave workload was not created: contract ${report.contractHash} is not approved by every dataset owner ` +
        `(required: ${report.required.join(", ")}); ${parts.join("; ")}. ` +
        `Each owner signs with "cleanroom contract sign" and the approvals go into config key "approvals".`,
    );
    this.name = "ApprovalsRejectedError";
    this.contractHash = report.contractHash;
    this.missing = report.missing;
    this.invalid = report.invalid;
  }
}

/** Verifies every approval; throws ApprovalsRejectedError naming each missing or invalid party. */
export async function verifyContractApprovals(contract: Contract, approvals: Approvals): Promise<VerifiedApprovals> {
  const report = await verifyApprovals(contract, approvals);
  if (!report.ok || report.missing.length > 0 || report.invalid.length > 0) throw new ApprovalsRejectedError(report);
  const verified: VerifiedApprovals = Object.freeze({
    contractHash: report.contractHash,
    approvals: Object.freeze({ ...approvals }),
    report,
  });
  minted.add(verified);
  return verified;
}

/** True only for values returned by verifyContractApprovals for this exact contract. */
export function isVerifiedFor(value: unknown, contract: Contract): value is VerifiedApprovals {
  return (
    typeof value === "object" &&
    value !== null &&
    minted.has(value) &&
    (value as VerifiedApprovals).contractHash === contractHash(contract)
  );
}
