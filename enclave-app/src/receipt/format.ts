// The receipt format: what the enclave did, signed by an ephemeral key that the attestation token
// binds. It is the commit marker of a run (written last) and can be verified offline by anyone. The
// enclave runtime writes it (runtime/receipt/build.ts, sign.ts), parties check it (verify.ts): both
// read the format, the signing payload and the key binding from this folder only.
import type { JsonWebKey } from "node:crypto";
import { z } from "zod";
import { canonicalJson, MIN_GROUP_SIZE, minGroupSizeProblem, type IsolationMode } from "../protocol/index.ts";

/** How a verifier finds the receipt signing key inside the attestation token. */
export type ReceiptKeyBinding = "runtime-keys" | "client-payload-nonce";

/** Which attester produced the token (recorded in the receipt). */
export type AttesterKind = "sidecar" | "cvm-skr" | "local";

export const RECEIPT_TYPE = "cleanroom-receipt";
export const RECEIPT_VERSION = "1.0";
/** JWS `typ` of the receipt signature. */
export const RECEIPT_JWS_TYPE = "cleanroom-receipt+jws";

export interface ReceiptDataset {
  name: string;
  owner: string;
  blobPath: string;
  ciphertextSha256: string;
  plaintextLength: number;
  rowCount: number;
}

export interface ReceiptKeyRelease {
  party: string;
  keyId: string;
  mechanism: "released-key" | "azure-attest-skr";
}

export interface ReceiptOutput {
  recipient: string;
  container: string;
  blobName: string;
  ciphertextSha256: string;
  ciphertextLength: number;
}

export interface ReceiptBody {
  type: typeof RECEIPT_TYPE;
  version: typeof RECEIPT_VERSION;
  collaboration: string;
  contractHash: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  enclaveImage: string;
  attestation: { authority: string; mode: IsolationMode; attester: AttesterKind; token: string };
  signer: { jwk: JsonWebKey; binding: ReceiptKeyBinding };
  datasets: ReceiptDataset[];
  keysReleased: ReceiptKeyRelease[];
  outputs: ReceiptOutput[];
  privacy: ReceiptPrivacy;
}

/**
 * What the run enforced. With differential privacy the number of withheld groups is not stated (it
 * is a count of the true groups), and `dp` states the spend and the ledger head after this run:
 * a party that keeps it notices a later rollback of the ledger (docs/differential-privacy.md).
 */
export interface ReceiptPrivacy {
  minGroupSize: number;
  countColumn: string;
  rowsReleased: number;
  rowsSuppressed?: number;
  dp?: ReceiptDp;
}

export interface ReceiptDp {
  epsilon: string;
  delta: string;
  /** The noisy unit count a group had to exceed (grouped queries). */
  tau?: string;
  budget: { epsilon: string; delta: string };
  ledger: { seq: number; hash: string; spent: { epsilon: string; delta: string } };
}

export interface Receipt extends ReceiptBody {
  /** Detached compact JWS (ES256) over canonicalJson(receipt without `signature`). */
  signature: string;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "not an ISO date-time");
const count = z.number().int().min(0);

export const receiptSchema = z.looseObject({
  type: z.literal(RECEIPT_TYPE),
  version: z.literal(RECEIPT_VERSION),
  collaboration: z.string().min(1),
  contractHash: hex64,
  runId: z.string().min(1),
  startedAt: isoTime,
  finishedAt: isoTime,
  enclaveImage: z.string().min(1),
  attestation: z.looseObject({
    authority: z.string().min(1),
    mode: z.enum(["confidential-node", "confidential-container"]),
    attester: z.enum(["sidecar", "cvm-skr", "local"]),
    token: z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/),
  }),
  signer: z.looseObject({
    jwk: z.looseObject({ kty: z.literal("EC"), crv: z.literal("P-256"), x: z.string(), y: z.string() }),
    binding: z.enum(["runtime-keys", "client-payload-nonce"]),
  }),
  datasets: z.array(
    z.looseObject({ name: z.string(), owner: z.string(), blobPath: z.string(), ciphertextSha256: hex64, plaintextLength: count, rowCount: count }),
  ),
  keysReleased: z.array(z.looseObject({ party: z.string(), keyId: z.string(), mechanism: z.enum(["released-key", "azure-attest-skr"]) })),
  outputs: z.array(
    z.looseObject({ recipient: z.string(), container: z.string(), blobName: z.string().min(1), ciphertextSha256: hex64, ciphertextLength: count }),
  ),
  privacy: z.looseObject({
    minGroupSize: z.number().refine((k) => minGroupSizeProblem(k) === undefined, { message: `minGroupSize must be an integer >= ${MIN_GROUP_SIZE}` }),
    countColumn: z.string(),
    rowsReleased: count,
    rowsSuppressed: count.optional(),
    dp: z
      .looseObject({
        epsilon: z.string(),
        delta: z.string(),
        tau: z.string().optional(),
        budget: z.looseObject({ epsilon: z.string(), delta: z.string() }),
        ledger: z.looseObject({ seq: z.number().int().min(1), hash: hex64, spent: z.looseObject({ epsilon: z.string(), delta: z.string() }) }),
      })
      .optional(),
  }),
  signature: z.string().regex(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/),
});

/** The bytes the signature covers: the RFC 8785 canonical JSON of every member except `signature`. */
export function receiptSigningPayload(receipt: ReceiptBody | Receipt | Record<string, unknown>): Uint8Array {
  const { signature: _signature, ...body } = receipt as Record<string, unknown>;
  return new TextEncoder().encode(canonicalJson(body));
}
