import { canonicalJson, sha256Hex } from "./canonical.ts";
import { schemaIssues } from "./contract-schema.ts";
import { semanticIssues } from "./contract-semantics.ts";
import { ContractValidationError } from "./errors.ts";
import { IssueList, isRecord } from "./issues.ts";
import type { Contract, ContractDraft, ContractPhase, ValidationIssue } from "./types.ts";

export type ContractCheck<T> = { ok: true; contract: T } | { ok: false; issues: ValidationIssue[] };

/**
 * Checks a candidate contract (parsed JSON) against every rule and reports all problems at once.
 * The returned contract is the input itself, structurally unchanged: unknown fields are errors
 * rather than silently dropped, so the hash of the returned value is the hash of what was signed.
 *
 * `{ phase: "draft" }` runs the same rules on a ContractDraft: the fields supplied after phase 1
 * (signing and key-encryption keys, dataset digests and lengths) and the ones the plan derives (key
 * ids, attestation) may be absent, and are checked when present. The components run it before the
 * contract can exist, so a phase-1 config learns of every contract problem it already has.
 */
export function validateContract(input: unknown): ContractCheck<Contract>;
export function validateContract(input: unknown, opts: { phase: "final" }): ContractCheck<Contract>;
export function validateContract(input: unknown, opts: { phase: "draft" }): ContractCheck<ContractDraft>;
export function validateContract(input: unknown, opts: { phase: ContractPhase } = { phase: "final" }): ContractCheck<Contract | ContractDraft> {
  const issues = new IssueList();
  if (!isRecord(input)) {
    issues.add("", "type", `a contract must be a JSON object, not ${input === null ? "null" : Array.isArray(input) ? "an array" : typeof input}`);
    return { ok: false, issues: issues.items };
  }
  issues.addAll(schemaIssues(input, opts.phase));
  semanticIssues(input, issues, opts.phase);
  if (issues.items.length > 0) return { ok: false, issues: issues.items };
  return { ok: true, contract: input as unknown as Contract };
}

/** Like validateContract, but throws ContractValidationError (code CONTRACT_INVALID) listing all issues. */
export function parseContract(input: unknown): Contract {
  const result = validateContract(input);
  if (!result.ok) throw new ContractValidationError(result.issues);
  return result.contract;
}

/**
 * The contract's identity: lowercase hex sha256 of its RFC 8785 canonical JSON. Stable under key
 * order and whitespace; any change of content (a digest, a space in the SQL) changes it.
 */
export function contractHash(contract: Contract): string {
  return sha256Hex(canonicalJson(contract));
}

/** Every dataset owner, once, sorted: the parties whose approval the enclave requires. */
export function requiredApprovers(contract: Contract): string[] {
  return [...new Set(contract.datasets.map((d) => d.owner))].sort();
}
