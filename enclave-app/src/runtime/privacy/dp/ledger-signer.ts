// ES256 (ECDSA P-256, SHA-256, IEEE P1363 signature as base64url) signer and verifier for the
// privacy ledger, on node:crypto. Where the key lives (released to the enclave, in an HSM) is the
// caller's choice; the ledger only needs these two interfaces.
import { type KeyObject, sign, verify } from "node:crypto";
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
