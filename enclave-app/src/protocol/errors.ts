import type { ValidationIssue } from "./types.ts";

function summarize(issues: readonly ValidationIssue[], limit = 5): string {
  const shown = issues.slice(0, limit).map((i) => `${i.path || "(document)"}: ${i.message} [${i.rule}]`);
  const more = issues.length > limit ? `; and ${issues.length - limit} more` : "";
  return shown.join("; ") + more;
}

/** The contract document breaks one or more rules; `issues` lists every one of them. */
export class ContractValidationError extends Error {
  readonly code = "CONTRACT_INVALID" as const;
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(`contract is invalid (${issues.length} issue${issues.length === 1 ? "" : "s"}): ${summarize(issues)}`);
    this.name = "ContractValidationError";
    this.issues = issues;
  }
}

export type ReleasePolicyErrorCode =
  /** A release policy does not follow the Key Vault grammar. */
  | "POLICY_INVALID"
  /** The encoded policy is not base64/base64url of UTF-8 JSON. */
  | "POLICY_ENCODING_INVALID"
  /** The attestation requirements given to the builder are unusable. */
  | "ATTESTATION_REQUIREMENTS_INVALID";

export class ReleasePolicyError extends Error {
  readonly code: ReleasePolicyErrorCode;
  readonly issues: ValidationIssue[];

  constructor(code: ReleasePolicyErrorCode, message: string, issues: ValidationIssue[] = []) {
    super(issues.length > 0 ? `${message}: ${summarize(issues)}` : message);
    this.name = "ReleasePolicyError";
    this.code = code;
    this.issues = issues;
  }
}

export type ApprovalErrorCode =
  /** The signer is not a party of the contract. */
  | "APPROVAL_UNKNOWN_PARTY"
  /** The key is neither EC P-256 nor RSA >= 2048, or cannot be read. */
  | "APPROVAL_KEY_UNSUPPORTED"
  /** A public key was given where the private signing key is needed. */
  | "APPROVAL_KEY_NOT_PRIVATE"
  /** The private key does not belong to the signingKey the contract lists for the party. */
  | "APPROVAL_KEY_MISMATCH"
  /** An approvals document is not an object of party name -> compact JWS. */
  | "APPROVALS_MALFORMED";

export class ApprovalError extends Error {
  readonly code: ApprovalErrorCode;
  readonly party: string;

  constructor(code: ApprovalErrorCode, party: string, message: string) {
    super(message);
    this.name = "ApprovalError";
    this.code = code;
    this.party = party;
  }
}

/** A value has no RFC 8785 canonical form (undefined, NaN, Infinity, a cycle, a lone surrogate). */
export class CanonicalJsonError extends Error {
  readonly code = "NOT_CANONICALIZABLE" as const;

  constructor(message: string) {
    super(message);
    this.name = "CanonicalJsonError";
  }
}
