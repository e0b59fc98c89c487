// Step 1b, recover: a run stages its result blobs under <contractHash>/<runId>/ and commits them by
// writing the receipt last. A run killed in between (pod evicted, node lost, OOM) leaves staged
// blobs without a receipt: not a result. Before anything else, a run removes the staged blobs of
// its own run id so that a retry with the same run id (a Job pod retry, a rerun after a kill) can
// commit again. It never lists beyond its own prefix (another run's blobs are not its business),
// and a prefix that holds a receipt is a committed result: refused, untouched.
import { RuntimeError, errorMessage } from "../errors.ts";
import type { BlobStore } from "../storage/blob-store.ts";
import { outputPrefix, receiptBlobName } from "./output-names.ts";
import type { RunReporter } from "./reporter.ts";

export interface RecoverInput {
  storage: BlobStore;
  outputContainer: string;
  contractHash: string;
  runId: string;
}

/** Removes this run id's uncommitted blobs; returns their names. Fails if the run id is committed. */
export async function removeUncommitted(input: RecoverInput, reporter: RunReporter): Promise<string[]> {
  const { storage, outputContainer: container } = input;
  // The trailing slash keeps run "job-1" away from run "job-10".
  const prefix = `${outputPrefix(input.contractHash, input.runId)}/`;
  const receipt = receiptBlobName(input.contractHash, input.runId);
  let staged: string[];
  try {
    staged = await storage.list(container, prefix);
  } catch (err) {
    throw new RuntimeError("OUTPUT_FAILED", `cannot list ${container}/${prefix} for blobs of an earlier attempt: ${errorMessage(err)}`, { step: "cleanup", cause: err });
  }
  if (staged.includes(receipt)) {
    throw new RuntimeError("OUTPUT_FAILED", `${container}/${receipt} already exists: outputs are never overwritten (run "${input.runId}" is committed; a new run needs a new run id)`, { step: "cleanup" });
  }
  for (const name of staged) {
    try {
      await storage.deleteIfExists(container, name);
    } catch (err) {
      throw new RuntimeError("OUTPUT_FAILED", `cannot remove ${container}/${name}, left uncommitted by an earlier attempt of run "${input.runId}": ${errorMessage(err)}`, { step: "cleanup", cause: err });
    }
    reporter.emit({ level: "warn", step: "cleanup", event: "uncommitted-removed", detail: name });
  }
  return staged;
}
