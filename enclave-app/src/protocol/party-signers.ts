// The parties' signing keys, pinned outside the contract. In confidential-container mode the
// container policy leaves the contract open (so the contract can pin the policy's hash), which means
// whoever deploys the group could hand the measured enclave a contract of their own: same vault keys,
// their own "party" signing keys, their own SQL and recipients, approvals signed by themselves. The
// policy therefore fixes CLEANROOM_PARTY_SIGNERS, the RFC 7638 thumbprint of each party's signing
// key (known before any contract exists), and the enclave refuses a contract whose parties or
// signing keys differ, before it attests or asks any vault.
import { createHash, type JsonWebKey } from "node:crypto";
import { PARTY_NAME } from "./contract-schema.ts";

export type PartySigners = Readonly<Record<string, string>>;

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7638 thumbprint (sha256, base64url) of an EC or RSA public JWK: only the required members, in lexicographic order. */
export function jwkThumbprint(jwk: JsonWebKey | Record<string, unknown>): string {
  const kty = String(jwk.kty).replace(/-HSM$/, "");
  const members: Record<string, unknown> =
    kty === "EC" ? { crv: jwk.crv, kty, x: jwk.x, y: jwk.y } : kty === "RSA" ? { e: jwk.e, kty, n: jwk.n } : {};
  if (Object.keys(members).length === 0 || Object.values(members).some((v) => typeof v !== "string")) {
    throw new TypeError(`cannot take the thumbprint of a ${JSON.stringify(jwk.kty)} key: only EC and RSA public keys with all their members`);
  }
  return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

/** `party=thumbprint` pairs sorted by party, comma-separated: the value of CLEANROOM_PARTY_SIGNERS. */
export function formatPartySigners(parties: readonly { name: string; signingKey: JsonWebKey | Record<string, unknown> }[]): string {
  return [...parties]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => `${p.name}=${jwkThumbprint(p.signingKey)}`)
    .join(",");
}

export class PartySignersError extends Error {
  readonly code = "PARTY_SIGNERS_INVALID" as const;
  constructor(message: string) {
    super(message);
    this.name = "PartySignersError";
  }
}

/** Parses CLEANROOM_PARTY_SIGNERS; refuses anything but distinct `party=<43 base64url>` pairs. */
export function parsePartySigners(text: string): PartySigners {
  const out: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const [name, thumb, extra] = pair.trim().split("=");
    if (extra !== undefined || !name || !thumb || !PARTY_NAME.test(name) || !THUMBPRINT.test(thumb)) {
      throw new PartySignersError(`"${pair.trim()}" is not party=<RFC 7638 thumbprint> (a party name, "=", 43 base64url characters)`);
    }
    if (Object.hasOwn(out, name)) throw new PartySignersError(`party "${name}" is listed twice`);
    out[name] = thumb;
  }
  return out;
}

/** Why the contract's parties are not exactly the pinned ones (each difference named), or undefined. */
export function partySignersMismatch(pinned: PartySigners, parties: readonly { name: string; signingKey: JsonWebKey | Record<string, unknown> }[]): string | undefined {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of parties) {
    seen.add(p.name);
    const expected = pinned[p.name];
    if (expected === undefined) {
      problems.push(`party "${p.name}" is not one of the pinned parties`);
      continue;
    }
    let actual: string;
    try {
      actual = jwkThumbprint(p.signingKey);
    } catch (err) {
      problems.push(`party "${p.name}": ${(err as Error).message}`);
      continue;
    }
    if (actual !== expected) problems.push(`party "${p.name}" signs with key ${actual}, the pinned key is ${expected}`);
  }
  for (const name of Object.keys(pinned)) if (!seen.has(name)) problems.push(`pinned party "${name}" is missing from the contract`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}
