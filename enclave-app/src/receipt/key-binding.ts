// How a receipt signing key is bound into an attestation whose runtime data the enclave does not
// control (confidential-node mode, AzureAttestSKR/AttestationClient): the nonce carries the key's
// RFC 7638 thumbprint, prefixed so it cannot be confused with any other nonce use. The enclave
// attests with it; verifiers recompute it from the receipt's signer key.
import type { JsonWebKey } from "node:crypto";
import { jwkThumbprint } from "../protocol/index.ts";

export const RECEIPT_KEY_NONCE_PREFIX = "cleanroom-receipt-key.";

export function receiptKeyNonce(signingJwk: JsonWebKey): string {
  return `${RECEIPT_KEY_NONCE_PREFIX}${jwkThumbprint(signingJwk)}`;
}
