// The Secure Key Release response, built as Key Vault builds it: the key's private part (PKCS#8
// DER) wrapped to the runtime key named in the attestation token with CKM_RSA_AES_KEY_WRAP
// (RSA-OAEP of a fresh AES-256 key, then AES key wrap with padding, RFC 5649), packed as `key_hsm`
// and signed as a JWS whose x5c chain names the vault host. Unwrap side for reference:
// microsoft/confidential-sidecar-containers pkg/common (RsaAESKeyUnwrap).
import {
  constants,
  createCipheriv,
  createHash,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { CompactSign } from "jose";
import { MaaClaims, type Claims } from "../protocol/index.ts";

export type KeyExportEncryption = "CKM_RSA_AES_KEY_WRAP" | "RSA_AES_KEY_WRAP_256" | "RSA_AES_KEY_WRAP_384";
export const DEFAULT_KEY_EXPORT_ENCRYPTION: KeyExportEncryption = "CKM_RSA_AES_KEY_WRAP";
/** OAEP hash (and MGF1 hash) per `enc`, as the sidecar's unwrap expects. */
export const OAEP_HASH: Record<KeyExportEncryption, "sha1" | "sha256" | "sha384"> = {
  CKM_RSA_AES_KEY_WRAP: "sha1",
  RSA_AES_KEY_WRAP_256: "sha256",
  RSA_AES_KEY_WRAP_384: "sha384",
};
/** RFC 5649 alternative initial value. */
const KWP_IV = Buffer.from("A65959A6", "hex");
const MIN_WRAPPING_KEY_BITS = 2048;

export function isKeyExportEncryption(value: unknown): value is KeyExportEncryption {
  return typeof value === "string" && Object.hasOwn(OAEP_HASH, value);
}

export interface WrappingKey {
  kid: string;
  publicKey: KeyObject;
}

export type WrappingKeyChoice = { ok: true; key: WrappingKey } | { ok: false; claim: string; reason: string };

/**
 * Key Vault wraps to the first key in the token's `x-ms-runtime.keys` whose key_ops contain
 * "encrypt"; it must be an RSA public key of at least 2048 bits.
 */
export function selectWrappingKey(claims: Claims): WrappingKeyChoice {
  const claim = `${MaaClaims.runtime}.keys`;
  const runtime = claims[MaaClaims.runtime];
  const keys = typeof runtime === "object" && runtime !== null ? (runtime as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0) {
    return { ok: false, claim, reason: "the attestation token carries no runtime keys to wrap the released key to" };
  }
  const candidate = (keys as unknown[]).find((key): key is JsonWebKey => {
    const ops = typeof key === "object" && key !== null ? (key as { key_ops?: unknown }).key_ops : undefined;
    return Array.isArray(ops) && ops.includes("encrypt");
  });
  if (!candidate) return { ok: false, claim, reason: "no runtime key has key_ops containing \"encrypt\"" };
  const kid = typeof candidate.kid === "string" ? candidate.kid : "";
  if (candidate.kty !== "RSA" || typeof candidate.n !== "string" || typeof candidate.e !== "string") {
    return { ok: false, claim, reason: `runtime key '${kid}' is not an RSA public key` };
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: { kty: "RSA", n: candidate.n, e: candidate.e }, format: "jwk" });
  } catch {
    return { ok: false, claim, reason: `runtime key '${kid}' is not a valid RSA public key` };
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_WRAPPING_KEY_BITS) {
    return { ok: false, claim, reason: `runtime key '${kid}' has ${bits} bits; at least ${MIN_WRAPPING_KEY_BITS} are required` };
  }
  return { ok: true, key: { kid, publicKey } };
}

/** RSA-OAEP(fresh AES-256 key) || AES-KWP(PKCS#8 DER of `target`). */
export function wrapPrivateKey(target: KeyObject, wrappingKey: KeyObject, enc: KeyExportEncryption): Buffer {
  const aesKey = randomBytes(32);
  try {
    const wrappedAesKey = publicEncrypt(
      { key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[enc] },
      aesKey,
    );
    const pkcs8 = target.export({ type: "pkcs8", format: "der" });
    try {
      const cipher = createCipheriv("id-aes256-wrap-pad", aesKey, KWP_IV);
      return Buffer.concat([wrappedAesKey, cipher.update(pkcs8), cipher.final()]);
    } finally {
      pkcs8.fill(0);
    }
  } finally {
    aesKey.fill(0);
  }
}

/** base64url JSON `{schema_version, header:{kid, alg:"dir", enc}, ciphertext}`. */
export function encodeKeyHsm(wrappingKid: string, enc: KeyExportEncryption, ciphertext: Buffer): string {
  const keyHsm = {
    schema_version: "1.0",
    header: { kid: wrappingKid, alg: "dir", enc },
    ciphertext: ciphertext.toString("base64url"),
  };
  return Buffer.from(JSON.stringify(keyHsm)).toString("base64url");
}

export interface ResponseSigner {
  privateKey: KeyObject /* RSA */;
  /** PEM chain, leaf (issued for the vault host) first. */
  chainPem: string[];
}

/** Signs the release payload as RS256 JWS with `x5c` (standard base64 DER) and `x5t#S256`. */
export async function signReleaseResponse(payload: object, signer: ResponseSigner): Promise<string> {
  const certs = signer.chainPem.map((pem) => new X509Certificate(pem));
  const leaf = certs[0];
  if (!leaf) throw new Error("release response signer has no certificate");
  const thumbprint = createHash("sha256").update(leaf.raw).digest("base64url");
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({
      alg: "RS256",
      kid: thumbprint,
      x5c: certs.map((cert) => Buffer.from(cert.raw).toString("base64")),
      "x5t#S256": thumbprint,
    })
    .sign(signer.privateKey);
}
