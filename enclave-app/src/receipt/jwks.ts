// Attestation authority signing keys. MAA publishes them at {authority}/certs (JWKS whose keys may
// carry only `x5c`); OpenID-style authorities (the local one) at jwks_uri of
// {authority}/.well-known/openid-configuration. Both are tried.
import { X509Certificate, createPublicKey, type JsonWebKey, type JsonWebKeyInput, type KeyObject } from "node:crypto";
import { getJson } from "./https-json.ts";

export interface JsonWebKeySet {
  keys: JsonWebKey[];
}

export function isJwks(value: unknown): value is JsonWebKeySet {
  return !!value && typeof value === "object" && Array.isArray((value as { keys?: unknown }).keys);
}

export async function fetchAuthorityJwks(authority: string, opts: { caCertPem?: string | string[]; timeoutMs?: number } = {}): Promise<JsonWebKeySet> {
  const base = authority.replace(/\/+$/, "");
  const reqOpts = { ...(opts.caCertPem !== undefined ? { caCertPem: opts.caCertPem } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
  const metadata = await getJson(`${base}/.well-known/openid-configuration`, reqOpts).catch(() => undefined);
  const jwksUri = (metadata?.body as { jwks_uri?: unknown } | undefined)?.jwks_uri;
  const candidates = [...(metadata?.status === 200 && typeof jwksUri === "string" ? [jwksUri] : []), `${base}/certs`];
  const failures: string[] = [];
  for (const url of candidates) {
    try {
      const res = await getJson(url, reqOpts);
      if (res.status === 200 && isJwks(res.body)) return res.body;
      failures.push(`${url}: HTTP ${res.status}`);
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no JWKS found for ${authority} (${failures.join("; ")})`);
}

/** Public key of one JWKS entry; RSA entries with only `x5c` use the certificate's key. */
export function publicKeyOfJwk(jwk: JsonWebKey & { x5c?: string[] }): KeyObject {
  if (jwk.kty === "RSA" && (jwk.n === undefined || jwk.e === undefined) || jwk.kty === undefined) {
    const first = jwk.x5c?.[0];
    if (!first) throw new Error("JWK has neither key parameters nor x5c");
    return new X509Certificate(Buffer.from(first, "base64")).publicKey;
  }
  const { x5c: _x5c, ...rest } = jwk;
  return createPublicKey({ key: rest as JsonWebKeyInput["key"], format: "jwk" });
}

/** Candidate verification keys for a token header: the entry with its kid, else every entry. */
export function candidateKeys(jwks: JsonWebKeySet, kid: string | undefined): KeyObject[] {
  const keys = jwks.keys as (JsonWebKey & { kid?: string; x5c?: string[] })[];
  const matching = kid !== undefined ? keys.filter((k) => k.kid === kid) : keys;
  const out: KeyObject[] = [];
  for (const k of matching.length > 0 ? matching : keys) {
    try {
      out.push(publicKeyOfJwk(k));
    } catch {
      // An unusable entry (unknown kty) cannot have signed the token; skip it.
    }
  }
  return out;
}
