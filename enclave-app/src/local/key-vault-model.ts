// The key model of the Key Vault stand-in: request bodies -> validated key specs (with Key Vault's
// Secure Key Release rules), an in-memory versioned key store, and key bundles as Key Vault
// returns them (public parts only). Pure apart from key generation; no HTTP here.
import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type KeyObject } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { promisify } from "node:util";
import { decodeReleasePolicy, type ReleasePolicy } from "../protocol/index.ts";
import { HttpError } from "./errors.ts";

const generateKeyPairAsync = promisify(generateKeyPair);

export const RELEASE_POLICY_CONTENT_TYPE = "application/json; charset=utf-8";
export const SUPPORTED_RSA_SIZES = [2048, 3072, 4096] as const;
const DEFAULT_RSA_SIZE = 2048;
const KEY_OPERATIONS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey", "import", "export"];
const DEFAULT_RSA_OPERATIONS = ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"];
const KEY_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const PRIVATE_RSA_MEMBERS = ["d", "p", "q", "dp", "dq", "qi"] as const;
// A vault with purge protection (what PartyVault creates) reports this level for its keys.
const RECOVERY_LEVEL = "Recoverable";
const RECOVERABLE_DAYS = 90;

export type RsaKeyType = "RSA" | "RSA-HSM";

export interface ReleasePolicyRecord {
  /** As sent back to clients: base64url policy JSON. */
  wire: { contentType: string; data: string; immutable: boolean };
  policy: ReleasePolicy;
}

export interface KeyAttributes {
  enabled: boolean;
  exportable: boolean;
  nbf?: number;
  exp?: number;
}

export interface KeySpec {
  kty: RsaKeyType;
  keySize: number;
  keyOps: string[];
  attributes: KeyAttributes;
  releasePolicy?: ReleasePolicyRecord;
  tags?: Record<string, string>;
}

export interface StoredKey extends KeySpec {
  name: string;
  version: string;
  kid: string;
  privateKey: KeyObject;
  publicJwk: { n: string; e: string };
  created: number;
  updated: number;
}

const badParameter = (message: string) => new HttpError(400, "BadParameter", message);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function checkKeyName(name: string): void {
  if (!KEY_NAME.test(name)) {
    throw badParameter(`key name '${name.slice(0, 130)}' is invalid: use 1-127 letters, digits and hyphens`);
  }
}

function parseKeyOps(value: unknown): string[] {
  if (value === undefined || value === null) return [...DEFAULT_RSA_OPERATIONS];
  if (!Array.isArray(value) || value.some((op) => typeof op !== "string" || !KEY_OPERATIONS.includes(op))) {
    throw badParameter(`key_ops must be a list of ${KEY_OPERATIONS.join(", ")}`);
  }
  return [...new Set(value as string[])];
}

function parseAttributes(value: unknown): KeyAttributes {
  if (value === undefined || value === null) return { enabled: true, exportable: false };
  if (!isRecord(value)) throw badParameter("attributes must be an object");
  const { enabled, exportable, nbf, exp } = value;
  if (enabled !== undefined && enabled !== null && typeof enabled !== "boolean") throw badParameter("attributes.enabled must be a boolean");
  if (exportable !== undefined && exportable !== null && typeof exportable !== "boolean") {
    throw badParameter("attributes.exportable must be a boolean");
  }
  for (const [field, time] of [["nbf", nbf], ["exp", exp]] as const) {
    if (time !== undefined && time !== null && (typeof time !== "number" || !Number.isInteger(time))) {
      throw badParameter(`attributes.${field} must be an integer number of seconds since the epoch`);
    }
  }
  return {
    enabled: enabled ?? true,
    exportable: exportable ?? false,
    ...(typeof nbf === "number" ? { nbf } : {}),
    ...(typeof exp === "number" ? { exp } : {}),
  };
}

/** `release_policy` of a request: content type, base64url JSON in the Key Vault grammar. */
export function parseReleasePolicy(value: unknown): ReleasePolicyRecord | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw badParameter("release_policy must be an object");
  const contentType = value.contentType ?? RELEASE_POLICY_CONTENT_TYPE;
  if (typeof contentType !== "string" || contentType.replace(/\s+/g, "").toLowerCase() !== "application/json;charset=utf-8") {
    throw badParameter(`release_policy.contentType must be '${RELEASE_POLICY_CONTENT_TYPE}'`);
  }
  if (value.immutable !== undefined && value.immutable !== null && typeof value.immutable !== "boolean") {
    throw badParameter("release_policy.immutable must be a boolean");
  }
  if (typeof value.data !== "string" || value.data.length === 0) {
    throw badParameter("release_policy.data must be the base64url encoded policy JSON");
  }
  let policy: ReleasePolicy;
  try {
    policy = decodeReleasePolicy({ data: value.data });
  } catch (error) {
    throw badParameter(`release_policy is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
  // Key Vault answers with base64url whatever base64 flavour it was given.
  const data = Buffer.from(value.data.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("base64url");
  return { wire: { contentType: RELEASE_POLICY_CONTENT_TYPE, data, immutable: value.immutable === true }, policy };
}

/**
 * Key Vault's Secure Key Release rules: an exportable key must be HSM-backed and carry a release
 * policy, and a release policy is only accepted on an exportable key.
 */
export function checkExportRules(kty: RsaKeyType, attributes: KeyAttributes, releasePolicy: ReleasePolicyRecord | undefined): void {
  if (attributes.exportable && releasePolicy === undefined) {
    throw badParameter("an exportable key requires a release policy (release_policy)");
  }
  if (!attributes.exportable && releasePolicy !== undefined) {
    throw badParameter("a release policy can only be set on an exportable key (attributes.exportable = true)");
  }
  if (attributes.exportable && kty !== "RSA-HSM") {
    throw badParameter(`key type '${kty}' cannot be exportable: only HSM-backed keys (RSA-HSM) can be released`);
  }
}

function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== "string")) {
    throw badParameter("tags must be an object of string values");
  }
  return value as Record<string, string>;
}

/** Body of `POST /keys/{name}/create`. Only RSA keys are supported by the stand-in. */
export function parseCreateKeyRequest(body: unknown): KeySpec {
  if (!isRecord(body)) throw badParameter("request body must be a JSON object");
  const { kty } = body;
  if (kty !== "RSA" && kty !== "RSA-HSM") {
    throw badParameter(`key type '${String(kty)}' is not supported by the local Key Vault stand-in (RSA, RSA-HSM only)`);
  }
  const keySize = body.key_size ?? DEFAULT_RSA_SIZE;
  if (typeof keySize !== "number" || !(SUPPORTED_RSA_SIZES as readonly number[]).includes(keySize)) {
    throw badParameter(`key_size must be one of ${SUPPORTED_RSA_SIZES.join(", ")}`);
  }
  if (body.public_exponent !== undefined && body.public_exponent !== null && body.public_exponent !== 65537) {
    throw badParameter("public_exponent must be 65537");
  }
  const attributes = parseAttributes(body.attributes);
  const releasePolicy = parseReleasePolicy(body.release_policy);
  checkExportRules(kty, attributes, releasePolicy);
  const tags = parseTags(body.tags);
  return { kty, keySize, keyOps: parseKeyOps(body.key_ops), attributes, ...(releasePolicy ? { releasePolicy } : {}), ...(tags ? { tags } : {}) };
}

/** Body of `PUT /keys/{name}` (import): a private RSA JWK; `Hsm: true` makes it RSA-HSM. */
export function parseImportKeyRequest(body: unknown): KeySpec & { privateKey: KeyObject } {
  if (!isRecord(body)) throw badParameter("request body must be a JSON object");
  const jwk = body.key;
  if (!isRecord(jwk)) throw badParameter("key must be a JSON web key object");
  if (jwk.key_hsm !== undefined && jwk.key_hsm !== null) {
    throw badParameter("BYOK import (key.key_hsm) is not supported by the local Key Vault stand-in");
  }
  if (jwk.kty !== "RSA" && jwk.kty !== "RSA-HSM") {
    throw badParameter(`key.kty '${String(jwk.kty)}' is not supported by the local Key Vault stand-in (RSA only)`);
  }
  const missing = ["n", "e", ...PRIVATE_RSA_MEMBERS].filter((member) => typeof jwk[member] !== "string");
  if (missing.length > 0) throw badParameter(`key is missing RSA members ${missing.join(", ")} (a private key is required)`);
  const material = Object.fromEntries(["n", "e", ...PRIVATE_RSA_MEMBERS].map((m) => [m, jwk[m]])) as JsonWebKey;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: { kty: "RSA", ...material }, format: "jwk" });
  } catch {
    throw badParameter("key is not a valid RSA private key");
  }
  const keySize = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (!(SUPPORTED_RSA_SIZES as readonly number[]).includes(keySize)) {
    throw badParameter(`key has ${keySize} bits; the stand-in accepts ${SUPPORTED_RSA_SIZES.join(", ")}`);
  }
  assertConsistentRsaKey(material);
  const hsm = body.Hsm ?? body.hsm;
  if (hsm !== undefined && hsm !== null && typeof hsm !== "boolean") throw badParameter("Hsm must be a boolean");
  const kty: RsaKeyType = hsm === true || jwk.kty === "RSA-HSM" ? "RSA-HSM" : "RSA";
  const attributes = parseAttributes(body.attributes);
  const releasePolicy = parseReleasePolicy(body.release_policy);
  checkExportRules(kty, attributes, releasePolicy);
  const tags = parseTags(body.tags);
  return {
    kty,
    keySize,
    keyOps: parseKeyOps(jwk.key_ops),
    attributes,
    privateKey,
    ...(releasePolicy ? { releasePolicy } : {}),
    ...(tags ? { tags } : {}),
  };
}

// A JWK whose CRT members do not belong to its modulus imports without complaint (OpenSSL even
// falls back to plain d when a CRT result fails its check), but a released copy would carry the
// wrong factors. The arithmetic identities catch it before the key is stored.
function assertConsistentRsaKey(jwk: JsonWebKey): void {
  const big = (member: string) => BigInt(`0x${Buffer.from(String(jwk[member]), "base64url").toString("hex") || "0"}`);
  const [n, e, d, p, q, dp, dq, qi] = ["n", "e", "d", "p", "q", "dp", "dq", "qi"].map(big) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  const consistent =
    p > 1n && q > 1n && p * q === n && dp === d % (p - 1n) && dq === d % (q - 1n) && (qi * q) % p === 1n && (d * e) % (p - 1n) === 1n % (p - 1n) && (d * e) % (q - 1n) === 1n % (q - 1n);
  if (!consistent) throw badParameter("key is not a consistent RSA private key (its members do not belong together)");
}

export async function generateRsaKey(keySize: number): Promise<KeyObject> {
  const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: keySize, publicExponent: 65537 });
  return privateKey;
}

/** In-memory, versioned keys of one vault. */
export class KeyStore {
  readonly #vaultUrl: string;
  readonly #keys = new Map<string, StoredKey[]>();

  constructor(vaultUrl: string) {
    this.#vaultUrl = vaultUrl;
  }

  /** Adds a new version (Key Vault never overwrites: create/import on an existing name adds one). */
  add(name: string, spec: KeySpec, privateKey: KeyObject): StoredKey {
    const version = randomUUID().replace(/-/g, "");
    const { n, e } = createPublicKey(privateKey).export({ format: "jwk" });
    const now = Math.floor(Date.now() / 1000);
    const key: StoredKey = {
      ...spec,
      name,
      version,
      kid: `${this.#vaultUrl}/keys/${name}/${version}`,
      privateKey,
      publicJwk: { n: n!, e: e! },
      created: now,
      updated: now,
    };
    const versions = this.#keys.get(name.toLowerCase()) ?? [];
    versions.push(key);
    this.#keys.set(name.toLowerCase(), versions);
    return key;
  }

  /** Key names are case-insensitive in Key Vault; versions are matched exactly. */
  get(name: string, version?: string): StoredKey | undefined {
    const versions = this.#keys.get(name.toLowerCase());
    if (!versions) return undefined;
    return version ? versions.find((key) => key.version === version) : versions.at(-1);
  }
}

/** The key bundle Key Vault returns: never any private member. */
export function renderKeyBundle(key: StoredKey): Record<string, unknown> {
  return {
    key: { kid: key.kid, kty: key.kty, key_ops: key.keyOps, n: key.publicJwk.n, e: key.publicJwk.e },
    attributes: renderAttributes(key),
    ...(key.tags ? { tags: key.tags } : {}),
    ...(key.releasePolicy ? { release_policy: key.releasePolicy.wire } : {}),
  };
}

export function renderAttributes(key: StoredKey): Record<string, unknown> {
  return {
    enabled: key.attributes.enabled,
    ...(key.attributes.nbf !== undefined ? { nbf: key.attributes.nbf } : {}),
    ...(key.attributes.exp !== undefined ? { exp: key.attributes.exp } : {}),
    created: key.created,
    updated: key.updated,
    recoveryLevel: RECOVERY_LEVEL,
    recoverableDays: RECOVERABLE_DAYS,
    exportable: key.attributes.exportable,
  };
}
