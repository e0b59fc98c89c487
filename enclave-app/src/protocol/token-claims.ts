// Reading an attestation token's claims. Decoding here does not verify the signature: Key Vault
// verifies tokens at release time and receipt verifiers check them against the authority's JWKS.
import type { JsonWebKey } from "node:crypto";
import { getClaim, MaaClaims, runtimeKeys } from "./claims.ts";
import { JSON_MAX_BYTES, JsonDocumentError, parseJsonStrict } from "./json-text.ts";
import { jwkThumbprint } from "./party-signers.ts";
import type { Claims } from "./types.ts";

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(value: string): boolean {
  return JWT_SHAPE.test(value);
}

/** Payload of a compact JWT as an object; throws TypeError when it is not one. */
export function decodeJwtClaims(token: string): Claims {
  if (!looksLikeJwt(token)) throw new TypeError("not a compact JWT (three base64url parts)");
  const [, payload] = token.split(".");
  let parsed: unknown;
  try {
    parsed = parseJsonStrict(Buffer.from(payload ?? "", "base64url").toString("utf8"), { what: "token payload", maxBytes: JSON_MAX_BYTES.tokenSegment });
  } catch (error) {
    // A claim given twice (two x-ms-runtime) would let the verifier and Key Vault read different claims.
    throw new TypeError(error instanceof JsonDocumentError && error.code !== "JSON_SYNTAX" ? error.message : "JWT payload is not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new TypeError("JWT payload is not a JSON object");
  return parsed as Claims;
}

/** `x-ms-runtime.client-payload.nonce`, where MAA puts the guest attestation client payload. */
export function clientPayloadNonceOf(claims: Claims): string | undefined {
  const nonce = getClaim(claims, `${MaaClaims.runtime}.client-payload.nonce`);
  return typeof nonce === "string" ? nonce : undefined;
}

/** True when a runtime key in the token has the same RFC 7638 thumbprint as `jwk`. */
export function tokenBindsKey(claims: Claims, jwk: JsonWebKey): boolean {
  let wanted: string;
  try {
    wanted = jwkThumbprint(jwk);
  } catch {
    return false;
  }
  return runtimeKeys(claims).some((k) => {
    try {
      return jwkThumbprint(k) === wanted;
    } catch {
      return false;
    }
  });
}

/**
 * True when the client payload nonce equals `nonce`. MAA samples show the nonce echoed both verbatim
 * and base64-encoded, so both spellings of the same value are accepted.
 */
export function tokenBindsNonce(claims: Claims, nonce: string): boolean {
  const seen = clientPayloadNonceOf(claims);
  if (seen === undefined) return false;
  return seen === nonce || seen === Buffer.from(nonce, "utf8").toString("base64") || seen === Buffer.from(nonce, "utf8").toString("base64url");
}
