// The container policy binding of confidential-container mode: the attestation token's
// `x-ms-sevsnpvm-hostdata` (the SNP HOST_DATA the host set at launch: sha256 of the container security
// policy the group was started with) must equal the contract's `attestation.hostdata` (the policy the
// parties approved). Every party's release policy pins the same value, so Key Vault would refuse a
// mismatch anyway; checking it here first means no vault is even asked, and the error says why.
import { getClaim, MaaClaims } from "./claims.ts";
import { shortValue } from "./release-policy-explain.ts";
import type { AttestationRequirements, Claims } from "./types.ts";

export type HostdataCheck =
  | { ok: true }
  | { ok: false; claim: typeof MaaClaims.hostdata; expected: string; actual: string | undefined };

/** Compares the token's hostdata with the contract's; always ok outside confidential-container mode. */
export function checkHostdata(attestation: AttestationRequirements, claims: Claims): HostdataCheck {
  if (attestation.mode !== "confidential-container" || attestation.hostdata === undefined) return { ok: true };
  const expected = attestation.hostdata.toLowerCase();
  const raw = getClaim(claims, MaaClaims.hostdata);
  const actual = typeof raw === "string" ? raw.toLowerCase() : undefined;
  if (actual === expected) return { ok: true };
  return { ok: false, claim: MaaClaims.hostdata, expected, actual };
}

/** One log-safe sentence for a failed check (values shortened). */
export function describeHostdataMismatch(check: Extract<HostdataCheck, { ok: false }>): string {
  const seen = check.actual === undefined ? "the token does not carry it" : `the token has ${shortValue(check.actual)}`;
  return `${check.claim} must equal the contract's attestation.hostdata ${shortValue(check.expected)} (the approved container policy), but ${seen}: the enclave was started with a different container security policy`;
}
