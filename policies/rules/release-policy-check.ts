// What a key's Secure Key Release policy must guarantee, checked with the protocol module that builds
// and enforces these policies: it decodes and follows the Key Vault grammar, every authority is an
// allowed attestation service, and every authority demands a SEV-SNP or TDX TEE that is not
// debuggable. Besides reading the conditions, it asks the evaluator itself: a synthetic token that
// meets the policy's required claims must be released, and the same token from a debuggable TEE
// must not be.
import {
  AttestationTypes,
  MaaClaims,
  ReleasePolicyError,
  claimValueEquals,
  decodeReleasePolicy,
  evaluateReleasePolicy,
  isolationTeeClaim,
  normalizeAuthority,
  type Claims,
  type Condition,
  type ReleasePolicy,
} from "../../enclave-app/src/protocol/index.ts";
import { authorityAllowed } from "./authorities.ts";

export interface ReleasePolicyRequirements {
  /** Exact authorities or https://*.<domain> patterns (see authorityAllowed). */
  allowedAuthorities: readonly string[];
  /** Values of x-ms-attestation-type (or x-ms-isolation-tee.x-ms-attestation-type) accepted as a TEE. */
  allowedTeeTypes: readonly string[];
}

export const TEE_TYPES = [AttestationTypes.sevSnpVm, AttestationTypes.tdxVm] as const;

/**
 * The claim saying whether the TEE's memory is open to a debugger, per TEE type. SEV-SNP:
 * x-ms-sevsnpvm-is-debuggable (MAA SEV-SNP claims). TDX: tdx_td_attributes_debug (MAA's Intel TDX
 * EAT profile). A confidential VM token nests either under x-ms-isolation-tee, like the type claim.
 */
const DEBUG_CLAIM: Readonly<Record<string, string>> = {
  [AttestationTypes.sevSnpVm]: MaaClaims.isDebuggable,
  [AttestationTypes.tdxVm]: "tdx_td_attributes_debug",
};

const TYPE_CLAIMS = [MaaClaims.attestationType, isolationTeeClaim(MaaClaims.attestationType)];

interface Requirement {
  claim: string;
  operator: string;
  value: unknown;
}

const OPERATORS = ["equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals", "exists"] as const;

const keyOf = (r: Requirement) => `${r.claim}\u0000${r.operator}\u0000${JSON.stringify(r.value)}`;

/**
 * The claim conditions every token released under `conditions` must meet: all of an allOf, and
 * only what every alternative of an anyOf shares.
 */
function requiredConditions(conditions: Condition[], combinator: "allOf" | "anyOf"): Requirement[] {
  const perCondition = conditions.map((c) => requiredOf(c));
  if (combinator === "allOf") return perCondition.flat();
  const [first, ...others] = perCondition;
  if (!first) return [];
  return first.filter((r) => others.every((list) => list.some((o) => keyOf(o) === keyOf(r))));
}

function requiredOf(condition: Condition): Requirement[] {
  if ("allOf" in condition && Array.isArray(condition.allOf)) return requiredConditions(condition.allOf, "allOf");
  if ("anyOf" in condition && Array.isArray(condition.anyOf)) return requiredConditions(condition.anyOf, "anyOf");
  const c = condition as Record<string, unknown>;
  return OPERATORS.filter((op) => op in c).map((operator) => ({ claim: String(c.claim), operator, value: c[operator] }));
}

function setClaim(claims: Claims, path: string, value: unknown): void {
  const segments = path.split(".");
  let node: Record<string, unknown> = claims;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[segments[segments.length - 1]!] = value;
}

/** A token payload that meets the required conditions, issued by `authority`. */
function syntheticToken(authority: string, requirements: Requirement[]): Claims {
  const claims: Claims = { iss: authority };
  for (const { claim, operator, value } of requirements) {
    const n = Number(value);
    switch (operator) {
      case "equals":
        setClaim(claims, claim, value);
        break;
      case "notEquals":
        setClaim(claims, claim, typeof value === "boolean" ? !value : typeof value === "number" ? value + 1 : `${String(value)}-other`);
        break;
      case "greater":
        setClaim(claims, claim, n + 1);
        break;
      case "less":
        setClaim(claims, claim, n - 1);
        break;
      case "greaterOrEquals":
      case "lessOrEquals":
        setClaim(claims, claim, n);
        break;
      case "exists":
        if (value === true || value === "true") setClaim(claims, claim, "present");
        break;
    }
  }
  return claims;
}

function cloneClaims(claims: Claims): Claims {
  return structuredClone(claims);
}

/** The allow-list in a message: patterns spelled out, long lists of exact endpoints counted. */
function describeAllowList(allowed: readonly string[]): string {
  const patterns = allowed.filter((a) => a.includes("*"));
  const exact = allowed.filter((a) => !a.includes("*"));
  const shown = exact.length <= 3 ? exact : [`${exact.length} listed endpoints`];
  return [...shown, ...patterns].join(", ") || "none (config allowedAuthorities is empty)";
}

export interface ReleasePolicyCheck {
  /** The decoded policy, when it decodes. */
  policy?: ReleasePolicy;
  /** One sentence per problem; empty when the policy meets every requirement. */
  problems: string[];
}

/** Checks a key's `release_policy.data` (base64url, as ARM and Key Vault carry it) against the requirements. */
export function checkReleasePolicy(encoded: string, requirements: ReleasePolicyRequirements): ReleasePolicyCheck {
  let policy: ReleasePolicy;
  try {
    policy = decodeReleasePolicy(encoded);
  } catch (err) {
    if (err instanceof ReleasePolicyError) return { problems: [`the release policy is unusable (${err.code}): ${err.message}`] };
    throw err;
  }
  const problems: string[] = [];
  // Alternatives may repeat an authority (one per spelling of "not debuggable"): judge each authority once.
  const judged = new Set<string>();
  policy.anyOf.forEach((rule, i) => {
    const where = `anyOf[${i}] (authority ${rule.authority})`;
    const firstOfAuthority = !judged.has(normalizeAuthority(rule.authority));
    judged.add(normalizeAuthority(rule.authority));
    if (firstOfAuthority && !authorityAllowed(rule.authority, requirements.allowedAuthorities)) {
      problems.push(`${where} is not an allowed attestation authority; allowed: ${describeAllowList(requirements.allowedAuthorities)}`);
    }
    const required = rule.allOf ? requiredConditions(rule.allOf, "allOf") : requiredConditions(rule.anyOf ?? [], "anyOf");
    const tee = required.find(
      (r) => r.operator === "equals" && TYPE_CLAIMS.includes(r.claim) && requirements.allowedTeeTypes.some((t) => claimValueEquals(r.value, t)),
    );
    if (!tee) {
      problems.push(
        `${where} does not require a TEE of type ${requirements.allowedTeeTypes.join(" or ")} (an "equals" condition on ${TYPE_CLAIMS.join(" or ")})`,
      );
      return;
    }
    const prefix = tee.claim === MaaClaims.attestationType ? "" : `${MaaClaims.isolationTee}.`;
    const debugClaim = `${prefix}${DEBUG_CLAIM[String(tee.value)] ?? MaaClaims.isDebuggable}`;
    const demandsNonDebuggable = required.some(
      (r) => r.claim === debugClaim && ((r.operator === "equals" && claimValueEquals(r.value, false)) || (r.operator === "notEquals" && claimValueEquals(r.value, true))),
    );

    // Ask the evaluator, over the whole policy (another authority entry could release what this one refuses).
    const compliant = syntheticToken(rule.authority, required);
    setClaim(compliant, debugClaim, false);
    const granted = evaluateReleasePolicy(policy, compliant);
    if (!granted.allowed) {
      problems.push(`${where}: no token meeting its own required claims is released (${granted.failure.reason}); simplify the conditions so they can be checked`);
      return;
    }
    const debuggable = cloneClaims(compliant);
    setClaim(debuggable, debugClaim, true);
    const leaked = evaluateReleasePolicy(policy, debuggable).allowed;
    if (!demandsNonDebuggable || leaked) {
      problems.push(
        `${where} releases the key to a debuggable TEE: a ${String(tee.value)} token with ${debugClaim}: true is allowed; add { "claim": "${debugClaim}", "equals": false } to its allOf`,
      );
    }
  });
  return { policy, problems };
}
