// Differential privacy's budget, in three moments of a run (docs/differential-privacy.md):
//   check   before attestation and key release: read the contract's ledger from the output container,
//           check every link, hash, sequence and the running total, and refuse a run that would go
//           over the budget; an empty ledger while committed receipts exist is refused (deleted chain)
//   verify  right after key release, before anything is decrypted: the entries' HMACs under the key
//           derived from every content key (only an attested enclave holds them all)
//   append  after the noise is drawn and before anything is sealed: one new blob per entry, created
//           if absent, so of two runs appending at once only one wins and the other is refused.
// A run that fails after its append has spent budget without a result: budget, never privacy.
import type { Contract } from "../../protocol/index.ts";
import { JSON_MAX_BYTES, parseJsonStrict } from "../../protocol/index.ts";
import { errorMessage } from "../errors.ts";
import {
  appendEntry,
  budgetProblem,
  LedgerError,
  verifyChain,
  verifyChainStructure,
  type LedgerBudget,
  type LedgerHead,
  type LedgerRecord,
  type LedgerSigner,
  type LedgerVerifier,
} from "../privacy/dp/index.ts";
import type { DpSpend } from "../privacy/dp-release.ts";
import type { BlobStore } from "../storage/blob-store.ts";
import { BlobConflictError, uploadIdempotent } from "../storage/idempotent-upload.ts";
import { ledgerEntryBlobName, ledgerPrefix } from "./output-names.ts";
import type { RunReporter } from "./reporter.ts";

export interface LedgerLocation {
  storage: BlobStore;
  outputContainer: string;
  contractHash: string;
}

/** The ledger as read before key release; the later moments work on exactly these records. */
export interface LedgerState {
  location: LedgerLocation;
  budget: LedgerBudget;
  records: LedgerRecord[];
  /** Verified except for the signatures. */
  head: LedgerHead;
  runsHappened: boolean;
}

type JsonObject = Parameters<typeof appendEntry>[1]["parameters"];

export interface CheckBudgetInput {
  location: LedgerLocation;
  contract: Contract;
  spend: DpSpend;
  /** The head a party remembers from its last receipt: the chain must extend it. */
  expectedHead?: Pick<LedgerHead, "seq" | "hash">;
}

export function ledgerBudget(contract: Contract, contractHash: string): LedgerBudget {
  const dp = contract.privacy.dp;
  if (!dp) throw new LedgerError("bad-entry", "the contract has no privacy.dp budget");
  return { collaborationId: `${contract.collaboration}/${contractHash}`, epsilon: dp.budget.epsilon, delta: dp.budget.delta };
}

const ENTRY_NAME = /\/_ledger\/(\d{8})\.json$/;

async function readText(storage: BlobStore, container: string, blobName: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await storage.download(container, blobName)) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
    size += buf.length;
    if (size > JSON_MAX_BYTES.smallDocument) throw new LedgerError("bad-entry", `${blobName} is larger than ${JSON_MAX_BYTES.smallDocument} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Every entry blob, in order; a blob that is not named as an entry is refused (nothing else belongs there). */
export async function readLedger(location: LedgerLocation): Promise<LedgerRecord[]> {
  const { storage, outputContainer, contractHash } = location;
  let names: string[];
  try {
    names = await storage.list(outputContainer, ledgerPrefix(contractHash));
  } catch (err) {
    throw new LedgerError("unreadable", `cannot list ${outputContainer}/${ledgerPrefix(contractHash)}: ${errorMessage(err)}`);
  }
  const records: LedgerRecord[] = [];
  for (const name of [...names].sort()) {
    if (!ENTRY_NAME.test(name)) throw new LedgerError("bad-entry", `${name} is not a ledger entry blob (<seq, 8 digits>.json)`);
    const seq = Number(ENTRY_NAME.exec(name)![1]);
    let text: string;
    try {
      text = await readText(storage, outputContainer, name);
    } catch (err) {
      if (err instanceof LedgerError) throw err;
      throw new LedgerError("unreadable", `cannot read ${name}: ${errorMessage(err)}`, seq);
    }
    let record: unknown;
    try {
      record = parseJsonStrict(text, { what: `ledger entry ${name}`, maxBytes: JSON_MAX_BYTES.smallDocument });
    } catch (err) {
      throw new LedgerError("bad-entry", errorMessage(err), seq);
    }
    if ((record as { entry?: { seq?: unknown } } | null)?.entry?.seq !== seq) throw new LedgerError("bad-sequence", `${name} does not hold entry ${seq}`, seq);
    records.push(record as LedgerRecord);
  }
  return records;
}

/** A committed receipt of this contract exists: runs happened, so an empty ledger was deleted. */
async function committedRunExists(location: LedgerLocation): Promise<boolean> {
  const names = await location.storage.list(location.outputContainer, `${location.contractHash}/`).catch((err: unknown) => {
    throw new LedgerError("unreadable", `cannot list ${location.outputContainer}/${location.contractHash}/: ${errorMessage(err)}`);
  });
  return names.some((n) => n.endsWith("/receipt.json"));
}

export async function checkBudget(input: CheckBudgetInput, reporter: RunReporter): Promise<LedgerState> {
  return reporter.timed("ledger", async () => {
    const budget = ledgerBudget(input.contract, input.location.contractHash);
    const records = await readLedger(input.location);
    const runsHappened = records.length === 0 && (await committedRunExists(input.location));
    const head = await verifyChainStructure(records, { budget, runsHappened, ...(input.expectedHead ? { expectedHead: input.expectedHead } : {}) });
    const over = budgetProblem(head, input.spend, budget);
    if (over) throw new LedgerError("budget-exhausted", `refused before any key release: ${over}`);
    reporter.emit({ level: "info", step: "ledger", event: "budget-available", detail: `spent epsilon ${head.spent.epsilon}, delta ${head.spent.delta} of ${String(budget.epsilon)}, ${String(budget.delta)} in ${head.seq} run(s); this run: epsilon ${input.spend.epsilon}, delta ${input.spend.delta}` });
    return { location: input.location, budget, records, head, runsHappened };
  });
}

export async function verifyLedger(state: LedgerState, verifier: LedgerVerifier, expectedHead: Pick<LedgerHead, "seq" | "hash"> | undefined, reporter: RunReporter): Promise<LedgerHead> {
  return reporter.timed("ledger", () => verifyChain(state.records, { budget: state.budget, verifier, runsHappened: state.runsHappened, ...(expectedHead ? { expectedHead } : {}) }));
}

export interface AppendLedgerInput {
  state: LedgerState;
  signer: LedgerSigner & LedgerVerifier;
  spend: DpSpend;
  runId: string;
  /** The question asked: the template's name ("sql" for the contract's own query) and its parameters. */
  template: string;
  parameters: JsonObject;
}

export async function appendLedger(input: AppendLedgerInput, reporter: RunReporter): Promise<LedgerHead> {
  const { state } = input;
  const { storage, outputContainer, contractHash } = state.location;
  return reporter.timed("ledger", async () => {
    const appended = await appendEntry(
      state.records,
      { epsilon: input.spend.epsilon, delta: input.spend.delta, runId: input.runId, contractHash, template: input.template, parameters: input.parameters },
      { budget: state.budget, verifier: input.signer, signer: input.signer, runsHappened: state.runsHappened },
    );
    const name = ledgerEntryBlobName(contractHash, appended.head.seq);
    try {
      await uploadIdempotent(storage, outputContainer, name, Buffer.from(`${JSON.stringify(appended.record, null, 2)}\n`, "utf8"), {});
    } catch (err) {
      if (err instanceof BlobConflictError) throw new LedgerError("conflict", `${name} was written by another run meanwhile: runs of one contract spend budget one at a time; retry with a new run id`, appended.head.seq);
      throw new LedgerError("unreadable", `cannot write ${name}: ${errorMessage(err)}`, appended.head.seq);
    }
    reporter.emit({ level: "info", step: "ledger", event: "appended", detail: `entry ${appended.head.seq}: spent epsilon ${appended.head.spent.epsilon}, delta ${appended.head.spent.delta} of ${String(state.budget.epsilon)}, ${String(state.budget.delta)}` });
    return appended.head;
  });
}
