// Grammar check of a Key Vault Secure Key Release policy
// (learn.microsoft.com/azure/key-vault/keys/policy-grammar): a policy is
// {version: "1.0.0", anyOf: [authority...]}, an authority is {authority, allOf | anyOf}, and a
// condition is a claim condition with exactly one operator, or a nested allOf / anyOf.
import { authorityProblem } from "./attestation-requirements.ts";
import { IssueList, isRecord, joinPath } from "./issues.ts";
import type { ClaimOperator, ValidationIssue } from "./types.ts";

export const RELEASE_POLICY_VERSION = "1.0.0";

export const CLAIM_OPERATORS: readonly ClaimOperator[] = [
  "equals",
  "notEquals",
  "less",
  "lessOrEquals",
  "greater",
  "greaterOrEquals",
  "exists",
];
export const ORDERING_OPERATORS: readonly ClaimOperator[] = ["less", "lessOrEquals", "greater", "greaterOrEquals"];

/** Bounds that keep evaluation cheap for the Key Vault stand-in, far above any real policy. */
export const MAX_CONDITION_DEPTH = 16;
export const MAX_CONDITIONS = 512;

const NUMERIC_STRING = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export function isNumericValue(value: unknown): boolean {
  return (typeof value === "number" && Number.isFinite(value)) || (typeof value === "string" && NUMERIC_STRING.test(value));
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
}

/** Suggests the camel-case spelling the grammar's examples use for a mistyped key. */
function keyHint(key: string, expected: readonly string[]): string {
  const match = expected.find((k) => k.toLowerCase() === key.toLowerCase());
  return match ? ` (write ${JSON.stringify(match)})` : "";
}

class Checker {
  readonly #issues = new IssueList({ keepDuplicates: true });
  count = 0;

  get issues(): ValidationIssue[] {
    return this.#issues.items;
  }

  add(path: string, rule: string, message: string): void {
    this.#issues.add(path, rule, message);
  }

  conditionList(value: unknown, path: string, depth: number): void {
    if (!Array.isArray(value)) {
      this.add(path, "type", "must be an array of conditions");
      return;
    }
    if (value.length === 0) {
      this.add(path, "empty", "an empty condition list is not allowed by the grammar (one condition is required)");
      return;
    }
    value.forEach((c, i) => this.condition(c, joinPath(path, i), depth));
  }

  condition(value: unknown, path: string, depth: number): void {
    this.count += 1;
    if (this.count > MAX_CONDITIONS) {
      if (this.count === MAX_CONDITIONS + 1) this.add(path, "too-complex", `a policy may hold at most ${MAX_CONDITIONS} conditions`);
      return;
    }
    if (depth > MAX_CONDITION_DEPTH) {
      this.add(path, "too-deep", `conditions may nest at most ${MAX_CONDITION_DEPTH} levels`);
      return;
    }
    if (!isRecord(value)) {
      this.add(path, "type", "a condition must be an object: {claim, <operator>} or {allOf: [...]} or {anyOf: [...]}");
      return;
    }
    if ("claim" in value) {
      this.claimCondition(value, path);
      return;
    }
    const groups = ["allOf", "anyOf"].filter((k) => k in value);
    if (groups.length !== 1) {
      const lower = Object.keys(value).find((k) => k === "allof" || k === "anyof");
      this.add(
        path,
        groups.length === 0 ? "bad-condition" : "ambiguous-condition",
        groups.length === 0
          ? `a condition needs "claim", "allOf" or "anyOf"${lower ? keyHint(lower, ["allOf", "anyOf"]) : ""}`
          : 'a condition has either "allOf" or "anyOf", not both',
      );
      return;
    }
    const group = groups[0]!;
    for (const key of Object.keys(value)) {
      if (key !== group) this.add(joinPath(path, key), "unknown-field", `unexpected field ${JSON.stringify(key)} next to ${JSON.stringify(group)}`);
    }
    this.conditionList(value[group], joinPath(path, group), depth + 1);
  }

  claimCondition(value: Record<string, unknown>, path: string): void {
    const claim = value.claim;
    if (typeof claim !== "string" || claim === "" || claim.split(".").some((s) => s === "")) {
      this.add(joinPath(path, "claim"), "bad-claim", `claim must be a claim name or dotted path (e.g. "x-ms-isolation-tee.x-ms-attestation-type"); got ${JSON.stringify(claim)}`);
    }
    const operators = Object.keys(value).filter((k) => (CLAIM_OPERATORS as readonly string[]).includes(k));
    for (const key of Object.keys(value)) {
      if (key === "claim" || operators.includes(key)) continue;
      this.add(joinPath(path, key), "unknown-operator", `${JSON.stringify(key)} is not an operator${keyHint(key, CLAIM_OPERATORS)}; operators: ${CLAIM_OPERATORS.join(", ")}`);
    }
    if (operators.length === 0) {
      this.add(path, "no-operator", `a claim condition needs one operator (${CLAIM_OPERATORS.join(", ")})`);
      return;
    }
    if (operators.length > 1) {
      this.add(path, "multiple-operators", `a claim condition has exactly one operator; found ${operators.join(", ")}`);
      return;
    }
    const op = operators[0] as ClaimOperator;
    const expected = value[op];
    const at = joinPath(path, op);
    if (!isScalar(expected)) {
      this.add(at, "bad-value", `the value of ${op} must be a string, number, true or false; got ${expected === null ? "null" : Array.isArray(expected) ? "an array" : typeof expected}`);
      return;
    }
    if (op === "exists" && typeof expected !== "boolean" && expected !== "true" && expected !== "false") {
      this.add(at, "bad-value", `exists takes true or false; got ${JSON.stringify(expected)}`);
    }
    if (ORDERING_OPERATORS.includes(op) && !isNumericValue(expected)) {
      this.add(at, "non-numeric", `${op} compares numbers; ${JSON.stringify(expected)} is not a number`);
    }
  }

  authority(value: unknown, path: string): void {
    if (!isRecord(value)) {
      this.add(path, "type", "an authority entry must be an object {authority, allOf | anyOf}");
      return;
    }
    const problem = authorityProblem(value.authority);
    if (problem) this.add(joinPath(path, "authority"), problem.rule, problem.message);
    const groups = ["allOf", "anyOf"].filter((k) => k in value);
    if (groups.length === 0) {
      const lower = Object.keys(value).find((k) => k === "allof" || k === "anyof");
      this.add(path, "no-conditions", `an authority needs its conditions in "allOf" or "anyOf"${lower ? keyHint(lower, ["allOf", "anyOf"]) : ""}; an authority without conditions would release to any token it issues`);
    } else if (groups.length > 1) {
      this.add(path, "ambiguous-condition", 'an authority has either "allOf" or "anyOf", not both');
    } else {
      this.conditionList(value[groups[0]!], joinPath(path, groups[0]!), 1);
    }
    for (const key of Object.keys(value)) {
      if (key !== "authority" && key !== "allOf" && key !== "anyOf") {
        this.add(joinPath(path, key), "unknown-field", `unknown field ${JSON.stringify(key)}${keyHint(key, ["authority", "allOf", "anyOf"])}`);
      }
    }
  }
}

/** Every grammar problem of a release policy; [] when it is valid. */
export function validateReleasePolicy(policy: unknown): ValidationIssue[] {
  const checker = new Checker();
  if (!isRecord(policy)) {
    checker.add("", "type", "a release policy must be a JSON object {version, anyOf}");
    return checker.issues;
  }
  if (policy.version !== RELEASE_POLICY_VERSION) {
    checker.add("version", "unsupported-version", `version must be "${RELEASE_POLICY_VERSION}"; got ${JSON.stringify(policy.version)}`);
  }
  if (!Array.isArray(policy.anyOf)) {
    checker.add("anyOf", policy.anyOf === undefined ? "required" : "type", "anyOf must list the trusted attestation authorities");
  } else if (policy.anyOf.length === 0) {
    checker.add("anyOf", "empty", "anyOf must list at least one attestation authority");
  } else {
    policy.anyOf.forEach((a, i) => checker.authority(a, `anyOf[${i}]`));
  }
  for (const key of Object.keys(policy)) {
    if (key !== "version" && key !== "anyOf") {
      checker.add(key, "unknown-field", `unknown field ${JSON.stringify(key)}${keyHint(key, ["version", "anyOf"])}`);
    }
  }
  return checker.issues;
}
