// Evaluates a release policy against the claims of an attestation token, as Key Vault does before
// it releases a key. Claims only: verifying the token's signature, issuer keys and exp/nbf is the
// caller's job (the Key Vault stand-in and `cleanroom policy explain --jwks` do it first).
//
// Value comparison. The grammar (learn.microsoft.com/azure/key-vault/keys/policy-grammar) allows
// a string, a number, true or false as the value. Key Vault compares loosely across JSON types:
// Microsoft's published policies write {"claim":"x-ms-sevsnpvm-is-debuggable","equals":"false"} and
// {"claim":"x-ms-sevsnpvm-vmpl","equals":"0"} against tokens that carry the JSON boolean false and
// the number 0 (microsoft/confidential-sidecar-containers: the policy tools/importkey writes, shown
// in its examples/skr walkthrough ending in a successful release), while other published policies
// (and this project's builder) write "equals": false. So booleans match their "true"/"false" spelling
// and numbers match numeric strings. The documentation says nothing about case folding; strings
// are compared case-sensitively, which fails closed (a hostdata in upper-case hex is a mismatch).
import { normalizeAuthority, sameAuthority } from "./attestation-requirements.ts";
import { lookupClaim } from "./claims.ts";
import { isRecord, joinPath } from "./issues.ts";
import { CLAIM_OPERATORS, isNumericValue, validateReleasePolicy } from "./release-policy-validate.ts";
import type { Claims, ClaimOperator, PolicyDecision, PolicyFailure, ReleasePolicy, ValidationIssue } from "./types.ts";

export interface ConditionTrace {
  path: string;
  kind: "claim" | "allOf" | "anyOf";
  passed: boolean;
  claim?: string;
  operator?: ClaimOperator;
  expected?: unknown;
  actual?: unknown;
  absent?: boolean;
  /** Why a claim condition failed. */
  reason?: string;
  children?: ConditionTrace[];
}

export interface AuthorityTrace {
  path: string;
  authority: string;
  /** Whether this authority is the token's issuer; conditions are evaluated only then. */
  issuerMatches: boolean;
  passed: boolean;
  conditions?: ConditionTrace;
}

export interface PolicyTrace {
  decision: PolicyDecision;
  issuer: unknown;
  policyIssues: ValidationIssue[];
  authorities: AuthorityTrace[];
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** Key Vault-style scalar equality (see the header comment). */
export function claimValueEquals(actual: unknown, expected: unknown): boolean {
  if (typeof actual === "boolean" || typeof expected === "boolean") {
    const a = asBoolean(actual);
    const e = asBoolean(expected);
    return a !== undefined && a === e;
  }
  if ((typeof actual === "number" || typeof expected === "number") && isNumericValue(actual) && isNumericValue(expected)) {
    return Number(actual) === Number(expected);
  }
  if (typeof actual === "string" && typeof expected === "string") return actual === expected;
  return false;
}

/** JSON text of a value, cut at 100 characters so reasons stay one readable log line. */
function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

class Evaluator {
  readonly claims: Claims;

  constructor(claims: Claims) {
    this.claims = claims;
  }

  condition(cond: Record<string, unknown>, path: string): ConditionTrace {
    if ("claim" in cond) return this.claimCondition(cond, path);
    const kind = "allOf" in cond ? "allOf" : "anyOf";
    const list = cond[kind] as Record<string, unknown>[];
    return this.group(kind, list, joinPath(path, kind));
  }

  group(kind: "allOf" | "anyOf", list: Record<string, unknown>[], path: string): ConditionTrace {
    // Every child is evaluated (no short-circuit) so an explanation can show all of them.
    const children = list.map((c, i) => this.condition(c, joinPath(path, i)));
    const passed = kind === "allOf" ? children.every((c) => c.passed) : children.some((c) => c.passed);
    return { path, kind, passed, children };
  }

  claimCondition(cond: Record<string, unknown>, path: string): ConditionTrace {
    const claim = cond.claim as string;
    const operator = CLAIM_OPERATORS.find((op) => op in cond)!;
    const expected = cond[operator];
    const base = { path, kind: "claim" as const, claim, operator, expected };
    const hit = lookupClaim(this.claims, claim);

    if (operator === "exists") {
      const wanted = asBoolean(expected) ?? true;
      if (hit.found === wanted) return { ...base, passed: true, ...(hit.found ? { actual: hit.value } : { absent: true }) };
      return hit.found
        ? { ...base, passed: false, actual: hit.value, reason: "the claim is present but the policy requires it to be absent" }
        : { ...base, passed: false, absent: true, reason: "the claim is absent from the token" };
    }
    if (!hit.found) return { ...base, passed: false, absent: true, reason: "the claim is absent from the token" };
    const actual = hit.value;
    if (typeof actual === "object" && actual !== null) {
      return { ...base, passed: false, actual, reason: `the claim is ${describeKind(actual)}, not a single value` };
    }
    let passed: boolean;
    let reason: string | undefined;
    switch (operator) {
      case "equals":
        passed = claimValueEquals(actual, expected);
        break;
      case "notEquals":
        passed = !claimValueEquals(actual, expected);
        break;
      default: {
        if (!isNumericValue(actual)) {
          passed = false;
          reason = `${operator} compares numbers, and the claim is ${brief(actual)}`;
          break;
        }
        const a = Number(actual);
        const e = Number(expected);
        passed =
          operator === "less" ? a < e : operator === "lessOrEquals" ? a <= e : operator === "greater" ? a > e : a >= e;
      }
    }
    if (!passed && !reason) reason = `expected ${operator} ${brief(expected)}, saw ${brief(actual)}`;
    return { ...base, passed, actual, ...(reason && !passed ? { reason } : {}) };
  }
}

/** The first condition that made `trace` fail (depth-first, in policy order). */
function firstFailingLeaf(trace: ConditionTrace): { leaf: ConditionTrace; anyOfPath?: string; alternatives?: number } {
  if (trace.kind === "claim" || !trace.children) return { leaf: trace };
  if (trace.kind === "allOf") {
    const failing = trace.children.find((c) => !c.passed)!;
    return firstFailingLeaf(failing);
  }
  const inner = firstFailingLeaf(trace.children[0]!);
  return { leaf: inner.leaf, anyOfPath: inner.anyOfPath ?? trace.path, alternatives: inner.alternatives ?? trace.children.length };
}

function failureFrom(trace: ConditionTrace, authority: string): PolicyFailure {
  const { leaf, anyOfPath, alternatives } = firstFailingLeaf(trace);
  const prefix = anyOfPath ? `none of the ${alternatives} alternatives in ${anyOfPath} holds; the first fails: ` : "";
  return {
    authority,
    path: leaf.path,
    claim: leaf.claim,
    operator: leaf.operator,
    expected: leaf.expected,
    ...(leaf.absent ? { absent: true } : { actual: leaf.actual }),
    reason: `${prefix}${leaf.claim}: ${leaf.reason ?? "condition failed"}`,
  };
}

/** Full evaluation record: the decision plus every authority and condition with its outcome. */
export function traceReleasePolicy(policy: ReleasePolicy | unknown, claims: Claims): PolicyTrace {
  const issuer = isRecord(claims) ? claims.iss : undefined;
  const policyIssues = validateReleasePolicy(policy);
  if (policyIssues.length > 0) {
    const first = policyIssues[0]!;
    return {
      issuer,
      policyIssues,
      authorities: [],
      decision: {
        allowed: false,
        failure: {
          path: first.path,
          reason: `the release policy is invalid (${policyIssues.length} issue${policyIssues.length === 1 ? "" : "s"}): ${first.path || "policy"}: ${first.message}`,
        },
      },
    };
  }
  const valid = policy as ReleasePolicy;
  if (!isRecord(claims) || typeof issuer !== "string" || issuer === "") {
    return {
      issuer,
      policyIssues,
      authorities: valid.anyOf.map((a, i) => ({ path: `anyOf[${i}]`, authority: a.authority, issuerMatches: false, passed: false })),
      decision: {
        allowed: false,
        failure: { path: "anyOf", claim: "iss", absent: issuer === undefined, actual: issuer, reason: "the token has no iss claim, so no authority can match it" },
      },
    };
  }
  const evaluator = new Evaluator(claims);
  const authorities: AuthorityTrace[] = valid.anyOf.map((rule, i) => {
    const path = `anyOf[${i}]`;
    if (!sameAuthority(rule.authority, issuer)) return { path, authority: rule.authority, issuerMatches: false, passed: false };
    const kind = rule.allOf ? "allOf" : "anyOf";
    const conditions = evaluator.group(kind, (rule[kind] ?? []) as unknown as Record<string, unknown>[], joinPath(path, kind));
    return { path, authority: rule.authority, issuerMatches: true, passed: conditions.passed, conditions };
  });

  const allowedBy = authorities.find((a) => a.passed);
  if (allowedBy) return { issuer, policyIssues, authorities, decision: { allowed: true, authority: allowedBy.authority } };

  const tried = authorities.find((a) => a.issuerMatches);
  if (!tried) {
    // Alternatives often repeat an authority (one per spelling of "not debuggable"): name each once.
    const expected = [...new Set(valid.anyOf.map((a) => normalizeAuthority(a.authority)))];
    return {
      issuer,
      policyIssues,
      authorities,
      decision: {
        allowed: false,
        failure: {
          path: "anyOf",
          claim: "iss",
          operator: "equals",
          expected: expected.length === 1 ? expected[0] : expected,
          actual: issuer,
          reason: `token issued by ${issuer}, policy expects ${expected.join(" or ")}`,
        },
      },
    };
  }
  return { issuer, policyIssues, authorities, decision: { allowed: false, failure: failureFrom(tried.conditions!, tried.authority) } };
}

/**
 * Allow, naming the authority whose conditions held, or deny with the first failing condition: its
 * path in the policy, claim, operator, expected value and the value seen (or absent). An invalid
 * policy is a deny whose reason says so. Signature and expiry of the token are NOT checked here.
 */
export function evaluateReleasePolicy(policy: ReleasePolicy, claims: Claims): PolicyDecision {
  return traceReleasePolicy(policy, claims).decision;
}
