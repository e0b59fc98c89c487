/**
 * Content-key wrapping of CSE v2: RSA-OAEP over `protocol padded to 8 bytes || CEK`. The prefix binds
 * the key to the protocol version in the metadata, so rewriting the metadata to an older protocol
 * (a downgrade) is detected when the key is unwrapped.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  KeyObject,
  type JsonWebKey,
} from "node:crypto";
import { EnvelopeError } from "./errors.ts";
import { CONTENT_KEY_LENGTH, type CseProtocol, type KeyWrapAlgorithm } from "./format.ts";

export const KEY_PREFIX_LENGTH = 8;
export const MIN_KEK_BITS = 2048;

export interface KeyWrapOptions {
  kek: KeyObject | JsonWebKey;
  algorithm: KeyWrapAlgorithm;
  protocol: CseProtocol;
}

export function generateContentKey(): Buffer {
  return randomBytes(CONTENT_KEY_LENGTH);
}

/** "2.0" -> "2.0\0\0\0\0\0", as all three SDKs write it. */
export function protocolPrefix(protocol: CseProtocol): Buffer {
  const prefix = Buffer.alloc(KEY_PREFIX_LENGTH);
  prefix.write(protocol, 0, "ascii");
  return prefix;
}

function oaepHash(algorithm: KeyWrapAlgorithm): "sha1" | "sha256" {
  if (algorithm === "RSA-OAEP") return "sha1";
  if (algorithm === "RSA-OAEP-256") return "sha256";
  throw new EnvelopeError("OPTIONS_INVALID", `key wrap algorithm must be RSA-OAEP or RSA-OAEP-256, got ${String(algorithm)}`);
}

/** Key Vault exports HSM keys with kty "RSA-HSM"; node:crypto only knows "RSA". */
function normaliseJwk(jwk: JsonWebKey): JsonWebKey {
  return jwk.kty === "RSA-HSM" ? { ...jwk, kty: "RSA" } : jwk;
}

function toKeyObject(kek: KeyObject | JsonWebKey, kind: "public" | "private"): KeyObject {
  let key: KeyObject;
  if (kek instanceof KeyObject) {
    key = kek;
  } else {
    try {
      const jwk = normaliseJwk(kek);
      key = kind === "private" ? createPrivateKey({ key: jwk, format: "jwk" }) : createPublicKey({ key: jwk, format: "jwk" });
    } catch (error) {
      throw new EnvelopeError("KEY_INVALID", `key-encryption key JWK is not a usable RSA ${kind} key (${(error as Error).message})`, { cause: error });
    }
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new EnvelopeError("KEY_INVALID", `key-encryption key must be an RSA key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  if (kind === "private" && key.type !== "private") {
    throw new EnvelopeError("KEY_INVALID", "unwrapping needs the RSA private key; a public key was given");
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_KEK_BITS) {
    throw new EnvelopeError("KEY_INVALID", `key-encryption key must have at least ${MIN_KEK_BITS} bits, got ${bits}`);
  }
  return key;
}

function assertContentKey(cek: Buffer): void {
  if (!Buffer.isBuffer(cek) || cek.length !== CONTENT_KEY_LENGTH) {
    throw new EnvelopeError("KEY_INVALID", `content key must be ${CONTENT_KEY_LENGTH} bytes, got ${Buffer.isBuffer(cek) ? cek.length : typeof cek}`);
  }
}

/** RSA-OAEP(kek, prefix(protocol) || cek). A private key is accepted too (its public half is used). */
export function wrapContentKey(cek: Buffer, opts: KeyWrapOptions): Buffer {
  assertContentKey(cek);
  const hash = oaepHash(opts.algorithm);
  const key = toKeyObject(opts.kek, "public");
  return publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
    Buffer.concat([protocolPrefix(opts.protocol), cek]),
  );
}

/** RSA-OAEP decryption, then the prefix check of `decodeUnwrappedContentKey`. */
export function unwrapContentKey(wrapped: Buffer, opts: KeyWrapOptions): Buffer {
  const hash = oaepHash(opts.algorithm);
  const key = toKeyObject(opts.kek, "private");
  let unwrapped: Buffer;
  try {
    unwrapped = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, wrapped);
  } catch (error) {
    // OpenSSL's reason ("oaep decoding error") says nothing useful and must not become an oracle.
    throw new EnvelopeError(
      "KEY_UNWRAP_FAILED",
      `could not unwrap the content key with ${opts.algorithm}: wrong key-encryption key, wrong algorithm or a modified EncryptedKey`,
      { cause: error },
    );
  }
  return decodeUnwrappedContentKey(unwrapped, opts.protocol);
}

/**
 * Checks the 8-byte protocol prefix of an already unwrapped value (when Key Vault, the SKR sidecar or
 * another tool did the RSA step) and returns the 32-byte content key.
 */
export function decodeUnwrappedContentKey(unwrapped: Buffer, protocol: CseProtocol): Buffer {
  const expectedLength = KEY_PREFIX_LENGTH + CONTENT_KEY_LENGTH;
  const prefix = protocolPrefix(protocol);
  if (unwrapped.length >= KEY_PREFIX_LENGTH && !unwrapped.subarray(0, KEY_PREFIX_LENGTH).equals(prefix)) {
    throw new EnvelopeError(
      "KEY_PREFIX_MISMATCH",
      `the unwrapped content key does not start with the protocol prefix of "${protocol}" from EncryptionAgent.Protocol: the metadata was modified (downgrade attempt) or the key was wrapped for another protocol`,
    );
  }
  if (unwrapped.length !== expectedLength) {
    throw new EnvelopeError(
      "KEY_UNWRAP_FAILED",
      `the unwrapped content key is ${unwrapped.length} bytes; protocol ${protocol} wraps exactly ${expectedLength} (8-byte prefix + 32-byte key)`,
    );
  }
  return Buffer.from(unwrapped.subarray(KEY_PREFIX_LENGTH));
}
