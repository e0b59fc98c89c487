// Where a run's outputs go: <contractHash>/<runId>/result.<recipient>.csv and, last, receipt.json.
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
