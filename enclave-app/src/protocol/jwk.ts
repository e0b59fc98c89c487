// Checks on the public keys a contract carries, and the one rule that picks a JWS algorithm from
// a key. Node's own JWK import does the cryptographic validation (RSA modulus, EC point on curve).
import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { isRecord } from "./issues.ts";

export type SigningAlgorithm = "ES256" | "RS256";

/** JWK members that only a private (or symmetric) key has (RFC 7518 section 6). */
export const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

export const MIN_RSA_BITS = 2048;

export interface JwkProblem {
  rule: string;
  message: string;
}

/** Names of private-key members present in a JWK-like object. */
export function privateJwkMembers(jwk: Record<string, unknown>): string[] {
  return PRIVATE_JWK_MEMBERS.filter((m) => jwk[m] !== undefined);
}

/** Key Vault reports HSM keys as "RSA-HSM"/"EC-HSM"; the key material is the same as "RSA"/"EC". */
function baseKty(kty: unknown): string | undefined {
  if (typeof kty !== "string") return undefined;
  return kty.replace(/-HSM$/, "");
}

/**
 * The public KeyObject of a JWK, built from the public members only (a stray private member is
 * ignored here; contract validation reports it separately).
 */
export function publicKeyFromJwk(jwk: JsonWebKey | Record<string, unknown>): KeyObject {
  const kty = baseKty(jwk.kty);
  if (kty === "RSA") {
    return createPublicKey({ key: { kty: "RSA", n: jwk.n as string, e: jwk.e as string }, format: "jwk" });
  }
  if (kty === "EC") {
    return createPublicKey({
      key: { kty: "EC", crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string },
      format: "jwk",
    });
  }
  throw new TypeError(`unsupported JWK key type ${JSON.stringify(jwk.kty)}`);
}

/** ES256 for EC P-256, RS256 for RSA >= 2048 bits, otherwise undefined. */
export function signingAlgorithmFor(key: KeyObject): SigningAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec" && details?.namedCurve === "prime256v1") return "ES256";
  if (key.asymmetricKeyType === "rsa" && (details?.modulusLength ?? 0) >= MIN_RSA_BITS) return "RS256";
  return undefined;
}

function describeKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "ec") return `EC ${d?.namedCurve ?? "unknown curve"}`;
  if (key.asymmetricKeyType === "rsa") return `RSA ${d?.modulusLength ?? "?"}-bit`;
  return key.asymmetricKeyType ?? "unknown";
}

function importProblem(jwk: Record<string, unknown>, what: string): { key?: KeyObject; problem?: JwkProblem } {
  try {
    return { key: publicKeyFromJwk(jwk) };
  } catch (err) {
    return { problem: { rule: "bad-jwk", message: `${what} is not a valid public JWK: ${(err as Error).message}` } };
  }
}

/** Problems with a party's approval-verification key (EC P-256 or RSA >= 2048, public). */
export function checkSigningJwk(jwk: unknown): JwkProblem[] {
  const what = "signing key";
  if (!isRecord(jwk)) return [{ rule: "bad-jwk", message: `${what} must be a JWK object` }];
  const kty = jwk.kty;
  if (kty !== "EC" && kty !== "RSA") {
    return [
      {
        rule: "bad-jwk",
        message: `${what} must be an EC P-256 (ES256) or RSA >= ${MIN_RSA_BITS} (RS256) JWK; kty is ${JSON.stringify(kty)}`,
      },
    ];
  }
  if (kty === "EC" && jwk.crv !== "P-256") {
    return [{ rule: "bad-jwk", message: `${what} on curve ${JSON.stringify(jwk.crv)} is not allowed: use P-256 (ES256)` }];
  }
  const { key, problem } = importProblem(jwk, what);
  if (problem || !key) return [problem!];
  const problems: JwkProblem[] = [];
  const alg = signingAlgorithmFor(key);
  if (!alg) {
    problems.push({
      rule: "weak-key",
      message: `${what} is ${describeKey(key)}; approvals need EC P-256 or RSA >= ${MIN_RSA_BITS} bits`,
    });
  } else if (jwk.alg !== undefined && jwk.alg !== alg) {
    problems.push({ rule: "bad-jwk", message: `${what} declares alg ${JSON.stringify(jwk.alg)} but a ${describeKey(key)} key signs with ${alg}` });
  }
  if (jwk.use !== undefined && jwk.use !== "sig") {
    problems.push({ rule: "bad-jwk", message: `${what} declares use ${JSON.stringify(jwk.use)}; it must be "sig"` });
  }
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) {
    problems.push({ rule: "bad-jwk", message: `${what} key_ops must include "verify"` });
  }
  return problems;
}

/** Problems with a party's key-encryption key (RSA >= 2048, public; "RSA-HSM" as Key Vault reports it). */
export function checkKekJwk(jwk: unknown): JwkProblem[] {
  const what = "KEK public key";
  if (!isRecord(jwk)) return [{ rule: "bad-jwk", message: `${what} must be a JWK object` }];
  if (jwk.kty !== "RSA" && jwk.kty !== "RSA-HSM") {
    return [{ rule: "bad-jwk", message: `${what} must be an RSA JWK (kty "RSA" or "RSA-HSM"); kty is ${JSON.stringify(jwk.kty)}` }];
  }
  const { key, problem } = importProblem(jwk, what);
  if (problem || !key) return [problem!];
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    return [{ rule: "weak-key", message: `${what} is RSA ${bits}-bit; at least ${MIN_RSA_BITS} bits are required` }];
  }
  return [];
}
