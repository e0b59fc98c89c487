// The receipt, between the protocol and its users: the format and signing payload the enclave writes,
// the key binding it attests with, and the offline verifier every party runs (the `cleanroom receipt
// verify` CLI, the demo, tests). Imports the protocol only; the runtime and the CLI import this.
export {
  RECEIPT_TYPE,
  RECEIPT_VERSION,
  RECEIPT_JWS_TYPE,
  receiptSchema,
  receiptSigningPayload,
  type Receipt,
  type ReceiptBody,
  type ReceiptDataset,
  type ReceiptKeyRelease,
  type ReceiptOutput,
  type ReceiptKeyBinding,
  type AttesterKind,
} from "./format.ts";
export { receiptKeyNonce, RECEIPT_KEY_NONCE_PREFIX } from "./key-binding.ts";
export { fetchAuthorityJwks, isJwks, type JsonWebKeySet } from "./jwks.ts";
export { verifyReceipt, type VerifyReceiptOptions, type ReceiptVerification, type ReceiptCheck, type ReceiptFailure } from "./verify.ts";
