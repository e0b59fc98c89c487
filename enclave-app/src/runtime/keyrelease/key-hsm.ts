// `key_hsm`: how Key Vault hands a released key to the attested environment.
// base64url JSON {schema_version, header:{kid, alg:"dir", enc}, ciphertext: base64url}; ciphertext is
// RSA-OAEP(transfer AES key) under the runtime encryption key (first `modulus length` bytes), then
// RFC 5649 AES key wrap with padding of the target key (PKCS#8 DER for RSA/EC).
// Source: microsoft/confidential-sidecar-containers pkg/common/crypto.go; cvm-securekey-release-app.
import { KeyObject, constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, type JsonWebKey, type JsonWebKeyInput } from "node:crypto";
import { aesKeyUnwrapPad, aesKeyWrapPad } from "./aes-kwp.ts";
import { JSON_MAX_BYTES, JsonDocumentError, parseJsonStrict } from "../../protocol/index.ts";

export type KeyExportEncryption = "CKM_RSA_AES_KEY_WRAP" | "RSA_AES_KEY_WRAP_256" | "RSA_AES_KEY_WRAP_384";

export interface KeyHsm {
  schema_version: string;
  header: { kid?: string; alg: string; enc: KeyExportEncryption };
  ciphertext: string;
}

export class KeyHsmError extends Error {
  readonly code: "KEY_HSM_MALFORMED" | "KEY_HSM_UNSUPPORTED" | "KEY_HSM_UNWRAP_FAILED";
  constructor(code: KeyHsmError["code"], message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "KeyHsmError";
    this.code = code;
  }
}

/** OAEP hash for each export algorithm (CKM_RSA_AES_KEY_WRAP is PKCS#11's SHA-1 variant). */
export function oaepHashFor(enc: KeyExportEncryption): "sha1" | "sha256" | "sha384" {
  switch (enc) {
    case "CKM_RSA_AES_KEY_WRAP":
      return "sha1";
    case "RSA_AES_KEY_WRAP_256":
      return "sha256";
    case "RSA_AES_KEY_WRAP_384":
      return "sha384";
  }
}

const ENCS: readonly string[] = ["CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384"];

export function decodeKeyHsm(encoded: string): KeyHsm {
  let parsed: unknown;
  try {
    parsed = parseJsonStrict(Buffer.from(encoded, "base64url").toString("utf8"), { what: "key_hsm", maxBytes: JSON_MAX_BYTES.tokenSegment });
  } catch (err) {
    const reason = err instanceof JsonDocumentError && err.code !== "JSON_SYNTAX" ? err.message : "key_hsm is not base64url-encoded JSON";
    throw new KeyHsmError("KEY_HSM_MALFORMED", reason, err);
  }
  const obj = parsed as Partial<KeyHsm> | null;
  if (!obj || typeof obj !== "object") throw new KeyHsmError("KEY_HSM_MALFORMED", "key_hsm is not a JSON object");
  if (typeof obj.ciphertext !== "string" || obj.ciphertext.length === 0) {
    throw new KeyHsmError("KEY_HSM_MALFORMED", "key_hsm.ciphertext is missing");
  }
  const header = obj.header;
  if (!header || typeof header !== "object" || typeof header.enc !== "string") {
    throw new KeyHsmError("KEY_HSM_MALFORMED", "key_hsm.header.enc is missing");
  }
  if (!ENCS.includes(header.enc)) {
    throw new KeyHsmError("KEY_HSM_UNSUPPORTED", `key_hsm.header.enc "${header.enc}" is not one of ${ENCS.join(", ")}`);
  }
  if (header.alg !== undefined && header.alg !== "dir") {
    throw new KeyHsmError("KEY_HSM_UNSUPPORTED", `key_hsm.header.alg "${String(header.alg)}" is not "dir"`);
  }
  return { schema_version: String(obj.schema_version ?? ""), header: { ...header, alg: "dir" }, ciphertext: obj.ciphertext };
}

/** Unwraps `key_hsm` with the runtime's RSA private key and returns the released private key. */
export function unwrapKeyHsm(keyHsm: string | KeyHsm, wrappingPrivateKey: KeyObject): KeyObject {
  const decoded = typeof keyHsm === "string" ? decodeKeyHsm(keyHsm) : keyHsm;
  const modulusBits = wrappingPrivateKey.asymmetricKeyDetails?.modulusLength;
  if (wrappingPrivateKey.asymmetricKeyType !== "rsa" || !modulusBits) {
    throw new KeyHsmError("KEY_HSM_UNSUPPORTED", "the runtime wrapping key must be an RSA private key");
  }
  const ciphertext = Buffer.from(decoded.ciphertext, "base64url");
  const rsaLength = modulusBits / 8;
  if (ciphertext.length <= rsaLength + 8) {
    throw new KeyHsmError("KEY_HSM_MALFORMED", `key_hsm ciphertext is ${ciphertext.length} bytes, too short for a ${modulusBits}-bit transfer key`);
  }
  let transferKey: Buffer;
  try {
    transferKey = privateDecrypt(
      { key: wrappingPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHashFor(decoded.header.enc) },
      ciphertext.subarray(0, rsaLength),
    );
  } catch (err) {
    throw new KeyHsmError("KEY_HSM_UNWRAP_FAILED", `RSA-OAEP (${oaepHashFor(decoded.header.enc)}) of the transfer key failed: key_hsm was not wrapped to this enclave's key`, err);
  }
  let der: Buffer;
  try {
    der = aesKeyUnwrapPad(transferKey, ciphertext.subarray(rsaLength));
  } catch (err) {
    throw new KeyHsmError("KEY_HSM_UNWRAP_FAILED", "AES key unwrap (RFC 5649) of the released key failed its integrity check", err);
  } finally {
    transferKey.fill(0);
  }
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch (err) {
    throw new KeyHsmError("KEY_HSM_UNSUPPORTED", "the released key material is not a PKCS#8 private key", err);
  } finally {
    der.fill(0);
  }
}

/**
 * The inverse, as Key Vault does it. Used by tests and by local stand-ins that must produce exactly
 * what the runtime consumes.
 */
export function encodeKeyHsm(
  target: KeyObject,
  wrappingPublicKey: KeyObject | JsonWebKey,
  opts: { enc?: KeyExportEncryption; kid?: string } = {},
): string {
  const enc = opts.enc ?? "RSA_AES_KEY_WRAP_256";
  const transferKey = randomBytes(32);
  const der = target.export({ format: "der", type: "pkcs8" });
  const key = wrappingPublicKey instanceof KeyObject ? wrappingPublicKey : createPublicKey({ key: wrappingPublicKey as JsonWebKeyInput["key"], format: "jwk" });
  const wrappedTransfer = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHashFor(enc) }, transferKey);
  const body: KeyHsm = {
    schema_version: "1.0",
    header: { ...(opts.kid !== undefined ? { kid: opts.kid } : {}), alg: "dir", enc },
    ciphertext: Buffer.concat([wrappedTransfer, aesKeyWrapPad(transferKey, der)]).toString("base64url"),
  };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
}
