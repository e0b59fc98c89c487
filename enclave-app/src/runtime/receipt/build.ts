// Assembles the receipt body from what the run did. Pure: the pipeline gathers the facts, this
// function only shapes them (so the format lives in one place).
import type { JsonWebKey } from "node:crypto";
import { effectiveMinGroupSize, type Contract } from "../../protocol/index.ts";
import type { Attester } from "../attest/attester.ts";
import { RECEIPT_TYPE, RECEIPT_VERSION, type ReceiptBody, type ReceiptDataset, type ReceiptDp, type ReceiptKeyRelease, type ReceiptOutput } from "../../receipt/format.ts";

export interface BuildReceiptInput {
  contract: Contract;
  contractHash: string;
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  attester: Pick<Attester, "kind" | "mode" | "keyBinding" | "signing">;
  /** The token that binds the signing key (runtime keys or client payload nonce). */
  token: string;
  datasets: { name: string; rowCount: number }[];
  keysReleased: ReceiptKeyRelease[];
  outputs: ReceiptOutput[];
  rowsReleased: number;
  rowsSuppressed: number;
  /** Differential privacy: the spend and the ledger head after this run (then rowsSuppressed is not stated). */
  dp?: ReceiptDp;
}

export function buildReceipt(input: BuildReceiptInput): ReceiptBody {
  const { contract } = input;
  const datasets: ReceiptDataset[] = contract.datasets.map((ds) => {
    const counted = input.datasets.find((d) => d.name === ds.name);
    if (!counted) throw new Error(`buildReceipt: no row count for dataset "${ds.name}"`);
    return {
      name: ds.name,
      owner: ds.owner,
      blobPath: ds.blobPath,
      ciphertextSha256: ds.ciphertextSha256,
      plaintextLength: ds.plaintextLength,
      rowCount: counted.rowCount,
    };
  });
  const { kid, ...publicParams } = input.attester.signing.publicJwk as JsonWebKey & { kid?: string };
  return {
    type: RECEIPT_TYPE,
    version: RECEIPT_VERSION,
    collaboration: contract.collaboration,
    contractHash: input.contractHash,
    runId: input.runId,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    enclaveImage: contract.enclave.image,
    attestation: { authority: contract.attestation.authority, mode: input.attester.mode, attester: input.attester.kind, token: input.token },
    signer: { jwk: { ...publicParams, kid: kid ?? input.attester.signing.kid } as JsonWebKey, binding: input.attester.keyBinding },
    datasets,
    keysReleased: input.keysReleased,
    outputs: input.outputs,
    privacy: {
      // The k the run enforced: owners' analysis rules can only raise the contract's.
      minGroupSize: effectiveMinGroupSize(contract),
      countColumn: contract.privacy.countColumn,
      rowsReleased: input.rowsReleased,
      ...(input.dp ? { dp: input.dp } : { rowsSuppressed: input.rowsSuppressed }),
    },
  };
}
