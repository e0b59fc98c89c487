// Signers and verifiers for the privacy ledger, on node:crypto: ES256 (ECDSA P-256, IEEE P1363
// signature as base64url) for a key that lives elsewhere, and HMAC-SHA256 under a key only an
// attested enclave can derive (hmacLedgerKey). The ledger only needs the two interfaces.
import { createHmac, hkdfSync, type KeyObject, sign, timingSafeEqual, verify } from "node:crypto";
import { DpParameterError } from "./errors.ts";
import type { LedgerSigner, LedgerVerifier } from "./ledger.ts";

function checkP256(key: KeyObject, type: "private" | "public", name: string): void {
  if (key.type !== type || key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new DpParameterError(name, `must be an EC P-256 ${type} key (ES256)`);
  }
}

export function es256LedgerSigner(privateKey: KeyObject): LedgerSigner {
  checkP256(privateKey, "private", "ledger signing key");
  return {
    sign: async (message) => sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url"),
  };
}

export function es256LedgerVerifier(publicKey: KeyObject): LedgerVerifier {
  checkP256(publicKey, "public", "ledger verification key");
  return {
    verify: async (message, signature) => {
      const bytes = Buffer.from(signature, "base64url");
      if (bytes.length !== 64) return false;
      return verify("sha256", message, { key: publicKey, dsaEncoding: "ieee-p1363" }, bytes);
    },
  };
}

const HMAC_INFO = "cleanroom-dp-ledger/v1 hmac";

/**
 * The ledger key of one contract: HKDF-SHA256 over every dataset's content key (in the contract's
 * order), salted with the contract hash. Content keys are fixed by the contract (it pins each
 * ciphertext) and reach only an attested enclave, each party knows only its own: forging or
 * rewriting an entry needs every data owner together, who could as well approve a new contract.
 */
export function hmacLedgerKey(contentKeys: readonly Uint8Array[], contractHash: string): Buffer {
  if (contentKeys.length === 0 || contentKeys.some((k) => k.length < 16)) throw new DpParameterError("ledger key material", "needs every dataset's content key (at least 16 bytes each)");
  const ikm = Buffer.concat(contentKeys.map((k) => Buffer.from(k)));
  try {
    return Buffer.from(hkdfSync("sha256", ikm, Buffer.from(contractHash, "utf8"), HMAC_INFO, 32));
  } finally {
    ikm.fill(0);
  }
}

export function hmacLedgerSigner(key: Uint8Array): LedgerSigner & LedgerVerifier {
  if (key.length < 32) throw new DpParameterError("ledger HMAC key", "must be at least 32 bytes");
  const mac = (message: Uint8Array): Buffer => createHmac("sha256", key).update(message).digest();
  return {
    sign: async (message) => mac(message).toString("base64url"),
    verify: async (message, signature) => {
      const given = Buffer.from(signature, "base64url");
      const expected = mac(message);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
