// Claim names of Microsoft Azure Attestation (MAA) tokens, and how a claim path is resolved.
//
// Two token shapes matter:
// - SEV-SNP with raw evidence (confidential containers / Confidential ACI): the SNP claims are at
//   the top level (x-ms-attestation-type "sevsnpvm", x-ms-compliance-status "azure-compliant-uvm").
// - Guest attestation of an Azure confidential VM through its vTPM (an AKS confidential node):
//   x-ms-attestation-type "azurevm", x-ms-azurevm-* claims, and the SNP claims nested under
//   x-ms-isolation-tee (as in the decoded guest-attestation tokens published with Microsoft's CVM
//   attestation samples, and as Microsoft's CVM release policies address them:
//   Azure/confidential-computing-cvm-guest-attestation, cvm-securekey-release-app/README.md).
import type { JsonWebKey } from "node:crypto";
import { isRecord } from "./issues.ts";
import type { Claims } from "./types.ts";

export const MaaClaims = {
  issuer: "iss",
  attestationType: "x-ms-attestation-type",
  complianceStatus: "x-ms-compliance-status",
  hostdata: "x-ms-sevsnpvm-hostdata",
  isDebuggable: "x-ms-sevsnpvm-is-debuggable",
  isolationTee: "x-ms-isolation-tee",
  runtime: "x-ms-runtime",
  launchMeasurement: "x-ms-sevsnpvm-launchmeasurement",
  reportData: "x-ms-sevsnpvm-reportdata",
  vmpl: "x-ms-sevsnpvm-vmpl",
  guestSvn: "x-ms-sevsnpvm-guestsvn",
  migrationAllowed: "x-ms-sevsnpvm-migration-allowed",
  policyHash: "x-ms-policy-hash",
  version: "x-ms-ver",
  azureVmDebuggersDisabled: "x-ms-azurevm-debuggersdisabled",
  azureVmId: "x-ms-azurevm-vmid",
} as const;

export const AttestationTypes = { sevSnpVm: "sevsnpvm", azureVm: "azurevm", tdxVm: "tdxvm" } as const;

export const ComplianceStatus = {
  /** A utility VM (confidential container group) running Microsoft's compliant guest. */
  uvm: "azure-compliant-uvm",
  /** An Azure confidential VM (what an AKS confidential node is). */
  cvm: "azure-compliant-cvm",
} as const;

/** "x-ms-isolation-tee.<claim>": where a confidential VM token puts the hardware (SNP) claims. */
export function isolationTeeClaim(claim: string): string {
  return `${MaaClaims.isolationTee}.${claim}`;
}

export type ClaimLookup = { found: true; value: unknown } | { found: false };

const NOT_FOUND: ClaimLookup = { found: false };

function walk(node: unknown, segments: readonly string[], at: number): ClaimLookup {
  if (at === segments.length) return node === undefined ? NOT_FOUND : { found: true, value: node };
  if (Array.isArray(node)) {
    const seg = segments[at]!;
    if (!/^\d+$/.test(seg)) return NOT_FOUND;
    return walk(node[Number(seg)], segments, at + 1);
  }
  if (!isRecord(node)) return NOT_FOUND;
  // Longest member name first, so a claim whose own name contains a dot is still reachable.
  for (let end = segments.length; end > at; end--) {
    const key = segments.slice(at, end).join(".");
    if (Object.hasOwn(node, key)) {
      const hit = walk(node[key], segments, end);
      if (hit.found) return hit;
    }
  }
  return NOT_FOUND;
}

/**
 * Resolves a dotted claim path ("x-ms-isolation-tee.x-ms-compliance-status") in a token payload.
 * Numeric segments index arrays ("x-ms-runtime.keys.0.kid").
 */
export function lookupClaim(claims: Claims, path: string): ClaimLookup {
  if (path === "") return NOT_FOUND;
  return walk(claims, path.split("."), 0);
}

export function getClaim(claims: Claims, path: string): unknown {
  const hit = lookupClaim(claims, path);
  return hit.found ? hit.value : undefined;
}

/** The JWKS the attester put into the token's runtime data (`x-ms-runtime.keys`), or []. */
export function runtimeKeys(claims: Claims): JsonWebKey[] {
  const keys = getClaim(claims, `${MaaClaims.runtime}.keys`);
  return Array.isArray(keys) ? keys.filter(isRecord) as JsonWebKey[] : [];
}

/**
 * The key Key Vault wraps a released key to: the first key in `x-ms-runtime.keys` whose
 * `key_ops` contain "encrypt".
 */
export function releaseWrappingKey(claims: Claims): JsonWebKey | undefined {
  return runtimeKeys(claims).find((k) => Array.isArray(k.key_ops) && (k.key_ops as unknown[]).includes("encrypt"));
}
