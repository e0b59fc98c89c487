// Human explanation of a release decision, for the operator whose key release just got a 403.
import { normalizeAuthority } from "./attestation-requirements.ts";
import { AttestationTypes, MaaClaims, getClaim } from "./claims.ts";
import { traceReleasePolicy, type ConditionTrace, type PolicyTrace } from "./release-policy-evaluate.ts";
import type { Claims, PolicyDecision, PolicyFailure, ReleasePolicy } from "./types.ts";

const MAX_VALUE_CHARS = 40;

/** Short display form of a claim value: long strings keep their head and tail. */
export function shortValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return "undefined";
  const shown = text.length > MAX_VALUE_CHARS ? `${text.slice(0, 16)}…${text.slice(-8)}` : text;
  return typeof value === "string" ? `"${shown}"` : shown;
}

function conditionLines(trace: ConditionTrace, indent: string): string[] {
  if (trace.kind !== "claim") {
    const header = `${indent}${trace.passed ? "✓" : "✗"} ${trace.kind === "allOf" ? "all of" : "any of"}:`;
    return [header, ...(trace.children ?? []).flatMap((c) => conditionLines(c, `${indent}  `))];
  }
  const mark = trace.passed ? "✓" : "✗";
  const rule = trace.operator === "exists" ? `exists ${shortValue(trace.expected)}` : `${trace.operator} ${shortValue(trace.expected)}`;
  const seen = trace.absent ? "absent" : shortValue(trace.actual);
  return [`${indent}${mark} ${trace.claim} ${rule} (token: ${seen})`];
}

function endsWithClaim(claim: string | undefined, name: string): boolean {
  return claim === name || (claim?.endsWith(`.${name}`) ?? false);
}

/** A hint for the common field failures (see microsoft/confidential-sidecar-containers examples/skr/TROUBLESHOOTING.md). */
export function hintFor(failure: PolicyFailure, claims: Claims): string | undefined {
  const topType = getClaim(claims, MaaClaims.attestationType);
  if (failure.claim === "iss" && failure.operator === "equals") {
    return (
      `token issued by ${String(failure.actual)}, policy expects ${Array.isArray(failure.expected) ? failure.expected.join(" or ") : String(failure.expected)}: ` +
      "attest against the authority the contract names (attestation.authority), or rebuild the policy and key for this authority"
    );
  }
  if (failure.claim === undefined) {
    return "the policy does not follow the Key Vault grammar; Key Vault would not accept it on a key";
  }
  if (failure.claim.startsWith(`${MaaClaims.isolationTee}.`) && failure.absent && topType === AttestationTypes.sevSnpVm) {
    return (
      "this is a confidential-container (SEV-SNP utility VM) token, but the policy is for a confidential node " +
      "(it reads x-ms-isolation-tee.*): build the policy with mode confidential-container, or run the enclave on the confidential node pool"
    );
  }
  const topLevelSnpClaims: string[] = [MaaClaims.attestationType, MaaClaims.complianceStatus, MaaClaims.hostdata, MaaClaims.isDebuggable];
  if (topLevelSnpClaims.includes(failure.claim) && topType === AttestationTypes.azureVm) {
    return (
      "this is a confidential VM (node) guest-attestation token, but the policy expects a confidential-container token " +
      "(top-level SEV-SNP claims): build the policy with mode confidential-node, or run the enclave in a confidential container group"
    );
  }
  if (endsWithClaim(failure.claim, MaaClaims.hostdata)) {
    return failure.absent
      ? "the token has no hostdata: it does not come from a confidential container group with a container security policy"
      : "the container policy changed: hostdata is the sha256 of the container group's security policy, so a new image, command, " +
          "environment variable or mount gives a new hash. The parties must approve a contract with the new hostdata and keys whose release policy pins it";
  }
  if (endsWithClaim(failure.claim, MaaClaims.isDebuggable)) {
    return failure.actual === true || failure.actual === "true"
      ? "the TEE was launched debuggable, so the host can read its memory: deploy it without debug enabled; keys are never released to it"
      : "the token does not state that the TEE is non-debuggable";
  }
  if (endsWithClaim(failure.claim, MaaClaims.complianceStatus)) {
    return "MAA did not rate this environment as the Azure-compliant kind the policy expects (azure-compliant-uvm for confidential containers, azure-compliant-cvm for confidential VMs)";
  }
  if (endsWithClaim(failure.claim, MaaClaims.attestationType)) {
    return "the token comes from a different kind of TEE than the policy expects (sevsnpvm for AMD SEV-SNP)";
  }
  if (failure.absent) return "the token does not carry this claim: was it issued for a different kind of TEE or by a different attestation policy?";
  return undefined;
}

function verdictLine(decision: PolicyDecision): string {
  return decision.allowed ? `Release policy verdict: ALLOW (authority ${decision.authority})` : "Release policy verdict: DENY";
}

function explainTrace(trace: PolicyTrace, decision: PolicyDecision, claims: Claims): string {
  const lines = [verdictLine(decision)];
  if (trace.policyIssues.length > 0) {
    lines.push("The release policy is invalid:");
    for (const i of trace.policyIssues) lines.push(`  - ${i.path || "(policy)"}: ${i.message} [${i.rule}]`);
    lines.push("Hint: the policy does not follow the Key Vault grammar; Key Vault would not accept it on a key");
    return lines.join("\n");
  }
  lines.push(`Token issuer (iss): ${typeof trace.issuer === "string" ? trace.issuer : "absent"}`);
  for (const a of trace.authorities) {
    if (!a.issuerMatches) {
      lines.push(`Authority ${a.path} ${normalizeAuthority(a.authority)}: not the token issuer, skipped`);
      continue;
    }
    lines.push(`Authority ${a.path} ${normalizeAuthority(a.authority)}: matches the issuer, conditions ${a.passed ? "hold" : "fail"}`);
    for (const child of a.conditions?.children ?? []) lines.push(...conditionLines(child, "  "));
  }
  if (!decision.allowed) {
    const f = decision.failure;
    const seen = f.absent ? "the token lacks the claim" : `the token has ${shortValue(f.actual)}`;
    lines.push(
      f.operator
        ? `Failing condition ${f.path}: ${f.claim} ${f.operator} ${shortValue(f.expected)}, but ${seen}`
        : `Failing condition ${f.path || "(policy)"}: ${f.reason}`,
    );
    const hint = hintFor(f, claims);
    if (hint) lines.push(`Hint: ${hint}`);
  }
  return lines.join("\n");
}

/**
 * A short multi-line explanation: the verdict, the issuer, each authority tried and each of its
 * conditions with ✓/✗ and the value the token carries, the failing condition and a hint.
 * `decision` may be passed when already computed; the explanation re-traces the conditions.
 */
export function explainDecision(policy: ReleasePolicy, claims: Claims, decision?: PolicyDecision): string {
  const trace = traceReleasePolicy(policy, claims);
  return explainTrace(trace, decision ?? trace.decision, claims);
}
