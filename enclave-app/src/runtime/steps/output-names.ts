// Where a run's outputs go: <contractHash>/<runId>/result.<recipient>.csv and, last, receipt.json;
// a differentially private contract's ledger: <contractHash>/_ledger/<seq>.json ("_" starts no run id).
// One place, so the seal and commit steps, the CLI and the tests agree on every name.

export function outputPrefix(contractHash: string, runId: string): string {
  return `${contractHash}/${runId}`;
}

export function resultBlobName(contractHash: string, runId: string, recipient: string): string {
  return `${outputPrefix(contractHash, runId)}/result.${recipient}.csv`;
}

export function receiptBlobName(contractHash: string, runId: string): string {
  return `${outputPrefix(contractHash, runId)}/receipt.json`;
}

/** The privacy-budget ledger of one contract: one blob per entry, created once, never replaced. */
export function ledgerPrefix(contractHash: string): string {
  return `${contractHash}/_ledger/`;
}

export function ledgerEntryBlobName(contractHash: string, seq: number): string {
  return `${ledgerPrefix(contractHash)}${String(seq).padStart(8, "0")}.json`;
}
