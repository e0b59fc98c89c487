// Secure Key Release, step by step: ask Key Vault to release (KeyClient.releaseKey with the
// attestation token) -> verify the signed response (verify-jws.ts) -> take `key_hsm` out of it ->
// the attester unwraps it -> check the unwrapped private key is the key that was asked for.
import { createPublicKey, type KeyObject, type X509Certificate, type JsonWebKey } from "node:crypto";
import { KeyReleaseError, errorMessage, scrubSecrets } from "../errors.ts";
import { verifyReleaseJws, ReleaseJwsError } from "./verify-jws.ts";
import { KeyHsmError, type KeyExportEncryption } from "./key-hsm.ts";
import { parseKeyVaultKeyId, sameKeyVaultKey, tryParseKeyVaultKeyId } from "../../protocol/index.ts";

/** The part of @azure/keyvault-keys KeyClient the release needs. */
export interface KeyReleaseClient {
  readonly vaultUrl: string;
  releaseKey(name: string, targetAttestationToken: string, options?: { version?: string; algorithm?: string; nonce?: string }): Promise<{ value: string }>;
}

export interface ReleaseKeyOptions {
  algorithm?: KeyExportEncryption;
  /** Named in errors. */
  party?: string;
  nonce?: string;
  version?: string;
}

/** Calls Key Vault's release; resolves with the raw signed response (compact JWS). */
export async function releaseKey(keyClient: KeyReleaseClient, key: { name: string; version?: string }, token: string, opts: ReleaseKeyOptions = {}): Promise<string> {
  const version = key.version ?? opts.version;
  try {
    const res = await keyClient.releaseKey(key.name, token, {
      algorithm: opts.algorithm ?? "RSA_AES_KEY_WRAP_256",
      ...(version !== undefined ? { version } : {}),
      ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}),
    });
    if (typeof res?.value !== "string") throw new Error("the release response has no value");
    return res.value;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    const serviceCode = (err as { code?: string }).code;
    const code = status === 403 || status === 401 ? "KEY_RELEASE_DENIED" : "KEY_RELEASE_FAILED";
    throw new KeyReleaseError(code, `${who(opts.party)}Key Vault ${keyClient.vaultUrl} ${status ? `answered HTTP ${status}` : "failed"} releasing key "${key.name}"${serviceCode ? ` (${serviceCode})` : ""}: ${scrubSecrets(errorMessage(err))}`, {
      vault: keyClient.vaultUrl,
      ...(opts.party !== undefined ? { party: opts.party } : {}),
      cause: err,
    });
  }
}

export interface ReleasedKeyPayload {
  kid: string;
  keyHsm: string;
  publicJwk: JsonWebKey;
}

/** Reads `response.key.key` of a verified release payload. */
export function releasedKeyOf(payload: Record<string, unknown>): ReleasedKeyPayload {
  const response = payload["response"] as { key?: { key?: Record<string, unknown> } } | undefined;
  const key = response?.key?.key;
  if (!key || typeof key !== "object") throw new Error("release payload has no response.key.key");
  const keyHsm = key["key_hsm"];
  const kid = key["kid"];
  if (typeof keyHsm !== "string") throw new Error("release payload key has no key_hsm");
  if (typeof kid !== "string") throw new Error("release payload key has no kid");
  const { key_hsm: _ignored, ...publicPart } = key;
  return { kid, keyHsm, publicJwk: publicPart as JsonWebKey };
}

export interface ReleaseAndUnwrapOptions extends ReleaseKeyOptions {
  keyClient: KeyReleaseClient;
  keyId: string;
  token: string;
  trustedRoots: readonly (string | X509Certificate)[];
  unwrap: (keyHsm: string) => Promise<KeyObject>;
  party?: string;
  now?: Date;
}

export interface ReleasedKey {
  /** The party's KEK private key, in enclave memory only. */
  privateKey: KeyObject;
  /** kid Key Vault reported (with version). */
  kid: string;
}

export async function releaseAndUnwrap(opts: ReleaseAndUnwrapOptions): Promise<ReleasedKey> {
  const parsed = parseKeyVaultKeyId(opts.keyId);
  const ctx = { vault: parsed.vaultUrl, ...(opts.party !== undefined ? { party: opts.party } : {}) };
  const jws = await releaseKey(opts.keyClient, parsed, opts.token, opts);
  let released: ReleasedKeyPayload;
  try {
    const verified = verifyReleaseJws(jws, { trustedRoots: opts.trustedRoots, vaultHost: parsed.vaultHost, ...(opts.now ? { now: opts.now } : {}) });
    released = releasedKeyOf(verified.payload);
  } catch (err) {
    const reason = err instanceof ReleaseJwsError ? ` [${err.reason}]` : "";
    throw new KeyReleaseError("RELEASE_RESPONSE_INVALID", `${who(opts.party)}release response from ${parsed.vaultUrl} for "${parsed.name}" rejected${reason}: ${errorMessage(err)}`, { ...ctx, cause: err });
  }
  // Same vault, name and (when one was asked for) version, by the protocol's one comparison of key ids.
  const releasedId = tryParseKeyVaultKeyId(released.kid);
  if (!releasedId || !sameKeyVaultKey(releasedId, parsed) || (parsed.version !== undefined && releasedId.version === undefined)) {
    throw new KeyReleaseError("KEY_MISMATCH", `${who(opts.party)}Key Vault released "${released.kid}" but "${opts.keyId}" was requested`, ctx);
  }
  let privateKey: KeyObject;
  try {
    privateKey = await opts.unwrap(released.keyHsm);
  } catch (err) {
    const detail = err instanceof KeyHsmError ? `${err.code}: ${err.message}` : errorMessage(err);
    throw new KeyReleaseError("KEY_UNWRAP_FAILED", `${who(opts.party)}unwrapping key_hsm of "${parsed.name}" from ${parsed.vaultUrl} failed: ${detail}`, { ...ctx, step: "unwrap", cause: err });
  }
  if (!samePublicKey(privateKey, released.publicJwk)) {
    throw new KeyReleaseError("KEY_MISMATCH", `${who(opts.party)}the key unwrapped from key_hsm does not match the public key Key Vault reported for "${released.kid}"`, { ...ctx, step: "unwrap" });
  }
  return { privateKey, kid: released.kid };
}

function who(party: string | undefined): string {
  return party !== undefined ? `party "${party}": ` : "";
}

function samePublicKey(privateKey: KeyObject, publicJwk: JsonWebKey): boolean {
  try {
    const derived = createPublicKey(privateKey).export({ format: "jwk" });
    if (derived.kty === "RSA") return derived.n === publicJwk.n && derived.e === publicJwk.e;
    if (derived.kty === "EC") return derived.x === publicJwk.x && derived.y === publicJwk.y;
    return false;
  } catch {
    return false;
  }
}
