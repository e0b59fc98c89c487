// How the Key Vault stand-in checks an attestation token, as Key Vault does with MAA: fetch the
// authority's OpenID metadata and JWKS over HTTPS, then verify the RS256 signature, exp and nbf.
// HTTPS trust is the local CA handed in, per request: no global TLS state is touched.
import { JSON_MAX_BYTES, parseJsonStrict } from "../protocol/json-text.ts";
import { request } from "node:https";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from "jose";
import { normalizeAuthority, sameAuthority, type Claims } from "../protocol/index.ts";

export type AttestationTokenProblem =
  | "TOKEN_MALFORMED"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_YET_VALID"
  | "TOKEN_SIGNATURE_INVALID"
  | "ISSUER_MISMATCH"
  | "AUTHORITY_UNREACHABLE";

export class AttestationTokenError extends Error {
  readonly code: AttestationTokenProblem;
  /** The registered claim that failed (exp, nbf, iss), when one did. */
  readonly claim: string | undefined;

  constructor(code: AttestationTokenProblem, message: string, claim?: string) {
    super(message);
    this.name = "AttestationTokenError";
    this.code = code;
    this.claim = claim;
  }
}

const MAX_DOCUMENT_BYTES = 256 * 1024;
const FETCH_TIMEOUT_MS = 5_000;
const KEY_SET_TTL_MS = 10 * 60_000;

/** Decodes a compact JWT payload without verifying it (to pick the authority to verify against). */
export function decodeUnverifiedClaims(token: string): Claims {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((part) => part.length === 0)) {
    throw new AttestationTokenError("TOKEN_MALFORMED", "attestation token is not a compact JWS (header.payload.signature)");
  }
  try {
    const claims: unknown = parseJsonStrict(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"), { what: "attestation token payload", maxBytes: JSON_MAX_BYTES.tokenSegment });
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw new Error("not an object");
    return claims as Claims;
  } catch {
    throw new AttestationTokenError("TOKEN_MALFORMED", "attestation token payload is not a JSON object");
  }
}

function fetchJson(url: string, caCertPem: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const unreachable = (why: string) =>
      reject(new AttestationTokenError("AUTHORITY_UNREACHABLE", `could not fetch ${url}: ${why}`));
    if (!url.startsWith("https://")) {
      unreachable("only https URLs are fetched");
      return;
    }
    // agent: false -> a one-off connection with this CA only, closed after the response.
    const req = request(url, { method: "GET", ca: caCertPem, agent: false, timeout: FETCH_TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        unreachable(`HTTP ${res.statusCode ?? "?"}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) {
          res.destroy();
          unreachable(`document larger than ${MAX_DOCUMENT_BYTES} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => {
        try {
          resolve(parseJsonStrict(Buffer.concat(chunks).toString("utf8"), { what: "authority response", maxBytes: JSON_MAX_BYTES.serviceResponse }));
        } catch {
          unreachable("response is not JSON");
        }
      });
      res.on("error", (error) => unreachable(error.message));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${FETCH_TIMEOUT_MS} ms`)));
    req.on("error", (error) => unreachable(error.message));
    req.end();
  });
}

export interface AttestationVerifier {
  /** Verifies `token` as issued by `authority`; returns its claims or throws AttestationTokenError. */
  verify(token: string, authority: string): Promise<Claims>;
}

export function createAttestationVerifier(opts: { caCertPem: string }): AttestationVerifier {
  const keySets = new Map<string, { fetchedAt: number; jwks: JSONWebKeySet }>();

  async function fetchKeySet(authority: string): Promise<JSONWebKeySet> {
    const base = authority.replace(/\/+$/, "");
    const metadata = await fetchJson(`${base}/.well-known/openid-configuration`, opts.caCertPem);
    const jwksUri = (metadata as { jwks_uri?: unknown } | null)?.jwks_uri;
    if (typeof jwksUri !== "string") {
      throw new AttestationTokenError("AUTHORITY_UNREACHABLE", `OpenID metadata of ${base} has no jwks_uri`);
    }
    // Keys must come from the authority itself, not wherever its metadata points.
    if (new URL(jwksUri).origin !== new URL(base).origin) {
      throw new AttestationTokenError("AUTHORITY_UNREACHABLE", `jwks_uri of ${base} points to another origin`);
    }
    const jwks = await fetchJson(jwksUri, opts.caCertPem);
    if (!Array.isArray((jwks as { keys?: unknown } | null)?.keys)) {
      throw new AttestationTokenError("AUTHORITY_UNREACHABLE", `${jwksUri} is not a JWKS`);
    }
    return jwks as JSONWebKeySet;
  }

  async function keySet(authority: string, refresh: boolean): Promise<JSONWebKeySet> {
    const key = normalizeAuthority(authority);
    const cached = keySets.get(key);
    if (cached && !refresh && Date.now() - cached.fetchedAt < KEY_SET_TTL_MS) return cached.jwks;
    const jwks = await fetchKeySet(authority);
    keySets.set(key, { fetchedAt: Date.now(), jwks });
    return jwks;
  }

  async function verifyWith(token: string, jwks: JSONWebKeySet): Promise<Claims> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ["RS256"] });
    return payload as Claims;
  }

  return {
    async verify(token, authority) {
      const unverified = decodeUnverifiedClaims(token);
      if (typeof unverified.iss !== "string" || !sameAuthority(unverified.iss, authority)) {
        throw new AttestationTokenError(
          "ISSUER_MISMATCH",
          `attestation token issuer '${String(unverified.iss)}' is not the authority '${authority}'`,
          "iss",
        );
      }
      try {
        try {
          return await verifyWith(token, await keySet(authority, false));
        } catch (error) {
          // A rotated signing key: refetch once before giving up.
          if (error instanceof joseErrors.JWKSNoMatchingKey) return await verifyWith(token, await keySet(authority, true));
          throw error;
        }
      } catch (error) {
        throw toTokenError(error, authority);
      }
    },
  };
}

function toTokenError(error: unknown, authority: string): Error {
  if (error instanceof AttestationTokenError) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return new AttestationTokenError("TOKEN_EXPIRED", "attestation token is expired (exp is in the past)", "exp");
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") {
      return new AttestationTokenError("TOKEN_NOT_YET_VALID", "attestation token is not yet valid (nbf is in the future)", "nbf");
    }
    return new AttestationTokenError("TOKEN_MALFORMED", `attestation token claim '${error.claim}' is invalid: ${error.reason}`, error.claim);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return new AttestationTokenError(
      "TOKEN_SIGNATURE_INVALID",
      `attestation token signature does not verify against the keys published by ${authority}`,
    );
  }
  if (error instanceof joseErrors.JOSEError) {
    return new AttestationTokenError("TOKEN_MALFORMED", `attestation token is not a valid RS256 JWT (${error.code})`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
