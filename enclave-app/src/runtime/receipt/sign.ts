// Signing the receipt: a detached compact JWS (RFC 7515 appendix F) with the enclave's ephemeral
// ES256 key over the RFC 8785 canonical JSON of every receipt member except `signature`.
import type { KeyObject } from "node:crypto";
import { CompactSign } from "jose";
import { RECEIPT_JWS_TYPE, receiptSigningPayload, type Receipt, type ReceiptBody } from "../../receipt/format.ts";

export { receiptSigningPayload };

export async function signReceipt(body: ReceiptBody, signingKey: KeyObject, kid: string): Promise<Receipt> {
  const jws = await new CompactSign(receiptSigningPayload(body)).setProtectedHeader({ alg: "ES256", kid, typ: RECEIPT_JWS_TYPE }).sign(signingKey);
  const [header, , signature] = jws.split(".");
  return { ...body, signature: `${header}..${signature}` };
}
