// The privacy-budget ledger of one collaboration: every release that spends budget appends an entry
// {seq, epsilon, delta, runId, contractHash, template, parameters, prevHash}. Entries are chained by
// sha256 over their RFC 8785 canonical JSON, the first one to a genesis hash that binds the
// collaboration id and its total budget, and each entry hash is signed by the enclave's ledger key.
// Pure and storage-agnostic: callers load and store the records; these functions only decide.
//
// Budget accounting is basic (sequential) composition: releases that are (eps_i, delta_i)-DP are
// together (sum eps_i, sum delta_i)-DP, so an append is refused when either sum would exceed the
// collaboration's budget. Sums are exact (decimals as rationals). Basic composition is loose;
// advanced or zCDP accounting would allow more releases for the same guarantee.
import { canonicalJson, sha256Hex } from "../../../protocol/canonical.ts";
import { LedgerError } from "./errors.ts";
import { add, compare, parseDecimal, type Rational, rational, toDecimalText } from "./rational.ts";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface LedgerBudget {
  collaborationId: string;
  /** Total epsilon over every run of the collaboration, a decimal (e.g. "3" or 1.5). */
  epsilon: number | string;
  /** Total delta, a decimal in [0, 1). */
  delta: number | string;
}

export interface LedgerEntry {
  seq: number;
  /** Decimal text, exactly as accounted. */
  epsilon: string;
  delta: string;
  runId: string;
  contractHash: string;
  /** The mechanism template the release used (e.g. "noisy-count", "tau-threshold+noisy-sum"). */
  template: string;
  parameters: { [key: string]: Json };
  prevHash: string;
}

export interface LedgerRecord {
  entry: LedgerEntry;
  /** sha256 hex of canonicalJson(entry). */
  hash: string;
  /** The signer's signature over signedMessage(hash). */
  signature: string;
}

export interface LedgerSigner {
  sign(message: Uint8Array): Promise<string>;
}

export interface LedgerVerifier {
  verify(message: Uint8Array, signature: string): Promise<boolean>;
}

/** What a receipt carries and a party keeps: the last entry's seq and hash (seq 0: the genesis). */
export interface LedgerHead {
  seq: number;
  hash: string;
  spent: { epsilon: string; delta: string };
}

export interface AppendRequest {
  epsilon: number | string;
  delta: number | string;
  runId: string;
  contractHash: string;
  template: string;
  parameters: { [key: string]: Json };
}

export interface VerifyOptions extends StructureOptions {
  verifier: LedgerVerifier;
}

export interface StructureOptions {
  budget: LedgerBudget;
  /** The head the caller remembers (e.g. from the last receipt): the chain must extend it. */
  expectedHead?: Pick<LedgerHead, "seq" | "hash">;
  /** The caller knows runs that spent budget happened: an empty chain is then refused. */
  runsHappened?: boolean;
}

export interface AppendOptions extends VerifyOptions {
  signer: LedgerSigner;
}

const DOMAIN = "cleanroom-dp-ledger/v1";
const HEX64 = /^[0-9a-f]{64}$/;

interface ExactBudget {
  epsilon: Rational;
  delta: Rational;
}

function exactBudget(budget: LedgerBudget): ExactBudget {
  if (typeof budget.collaborationId !== "string" || budget.collaborationId === "") throw new LedgerError("bad-entry", "budget.collaborationId must be a non-empty string");
  const epsilon = parseAmount("budget.epsilon", budget.epsilon);
  const delta = parseAmount("budget.delta", budget.delta);
  if (epsilon.num === 0n) throw new LedgerError("bad-entry", "budget.epsilon must be > 0");
  if (compare(delta, rational(1n)) >= 0) throw new LedgerError("bad-entry", `budget.delta must be in [0, 1), got ${budget.delta}`);
  return { epsilon, delta };
}

function parseAmount(name: string, value: number | string, seq?: number): Rational {
  try {
    return parseDecimal(name, value);
  } catch (err) {
    throw new LedgerError("bad-entry", (err as Error).message, seq);
  }
}

/** The hash the first entry links to: binds the collaboration and its total budget. */
export function genesisHash(budget: LedgerBudget): string {
  const exact = exactBudget(budget);
  return sha256Hex(canonicalJson({ ledger: DOMAIN, collaborationId: budget.collaborationId, epsilon: toDecimalText(exact.epsilon), delta: toDecimalText(exact.delta) }));
}

export function entryHash(entry: LedgerEntry): string {
  return sha256Hex(canonicalJson(entry));
}

/** The bytes the ledger key signs: domain-separated so no other signature of this key is an entry's. */
export function signedMessage(hash: string): Uint8Array {
  return new TextEncoder().encode(`${DOMAIN}:${hash}`);
}

/** Records come from storage outside the enclave: check they are shaped as records before reading them. */
function checkRecordShape(record: unknown, seq: number): asserts record is LedgerRecord {
  const r = record as Partial<LedgerRecord> | null;
  if (typeof r !== "object" || r === null || typeof r.entry !== "object" || r.entry === null || Array.isArray(r.entry) || typeof r.hash !== "string" || typeof r.signature !== "string") {
    throw new LedgerError("bad-entry", "is not a ledger record ({ entry: object, hash: string, signature: string })", seq);
  }
}

function checkEntryShape(entry: LedgerEntry, seq: number): { epsilon: Rational; delta: Rational } {
  for (const field of ["runId", "template"] as const) {
    if (typeof entry[field] !== "string" || entry[field] === "") throw new LedgerError("bad-entry", `${field} must be a non-empty string`, seq);
  }
  if (typeof entry.contractHash !== "string" || !HEX64.test(entry.contractHash)) throw new LedgerError("bad-entry", "contractHash must be 64 lowercase hex digits", seq);
  if (typeof entry.parameters !== "object" || entry.parameters === null || Array.isArray(entry.parameters)) throw new LedgerError("bad-entry", "parameters must be a JSON object", seq);
  const epsilon = parseAmount("epsilon", entry.epsilon, seq);
  const delta = parseAmount("delta", entry.delta, seq);
  if (epsilon.num === 0n) throw new LedgerError("bad-entry", "epsilon must be > 0", seq);
  return { epsilon, delta };
}

function spentText(spent: ExactBudget): LedgerHead["spent"] {
  return { epsilon: toDecimalText(spent.epsilon), delta: toDecimalText(spent.delta) };
}

function overBudget(spent: ExactBudget, budget: ExactBudget): string | undefined {
  if (compare(spent.epsilon, budget.epsilon) > 0) return `epsilon ${toDecimalText(spent.epsilon)} exceeds the collaboration budget ${toDecimalText(budget.epsilon)}`;
  if (compare(spent.delta, budget.delta) > 0) return `delta ${toDecimalText(spent.delta)} exceeds the collaboration budget ${toDecimalText(budget.delta)}`;
  return undefined;
}

/**
 * Checks every link, hash, signature and the running budget, then the caller's expectations, and
 * returns the head. Throws LedgerError naming the first failing entry and check.
 */
export async function verifyChain(records: readonly LedgerRecord[], options: VerifyOptions): Promise<LedgerHead> {
  return walkChain(records, options, options.verifier);
}

/**
 * Every check of verifyChain but the signatures: what can be decided before the ledger key exists
 * (the enclave derives it from the released content keys). A chain that passes here and fails
 * verifyChain after key release is still refused, before anything is decrypted.
 */
export async function verifyChainStructure(records: readonly LedgerRecord[], options: StructureOptions): Promise<LedgerHead> {
  return walkChain(records, options, undefined);
}

/** The refusal if a release of epsilon/delta after `head` would exceed the budget; undefined if it fits. */
export function budgetProblem(head: LedgerHead, request: Pick<AppendRequest, "epsilon" | "delta">, budget: LedgerBudget): string | undefined {
  const spent: ExactBudget = {
    epsilon: add(parseDecimal("spent epsilon", head.spent.epsilon), parseAmount("epsilon", request.epsilon)),
    delta: add(parseDecimal("spent delta", head.spent.delta), parseAmount("delta", request.delta)),
  };
  const over = overBudget(spent, exactBudget(budget));
  return over ? `this run (epsilon ${String(request.epsilon)}, delta ${String(request.delta)}) would go over the budget: ${over} (spent before it: epsilon ${head.spent.epsilon}, delta ${head.spent.delta} in ${head.seq} run(s))` : undefined;
}

async function walkChain(records: readonly LedgerRecord[], options: StructureOptions, verifier: LedgerVerifier | undefined): Promise<LedgerHead> {
  const budget = exactBudget(options.budget);
  let prev = genesisHash(options.budget);
  const spent: ExactBudget = { epsilon: rational(0n), delta: rational(0n) };
  for (const [i, record] of records.entries()) {
    const expectedSeq = i + 1;
    checkRecordShape(record, expectedSeq);
    const { entry } = record;
    if (entry.seq !== expectedSeq) throw new LedgerError("bad-sequence", `has seq ${entry.seq} at position ${expectedSeq} (entries missing, reordered or duplicated)`, expectedSeq);
    if (entry.prevHash !== prev) throw new LedgerError("broken-link", "prevHash is not the previous entry's hash", expectedSeq);
    if (record.hash !== entryHash(entry)) throw new LedgerError("bad-hash", "hash does not match the entry's canonical JSON (the entry was altered)", expectedSeq);
    const amounts = checkEntryShape(entry, expectedSeq);
    if (verifier && !(await verifier.verify(signedMessage(record.hash), record.signature))) throw new LedgerError("bad-signature", "signature does not verify under the ledger key", expectedSeq);
    spent.epsilon = add(spent.epsilon, amounts.epsilon);
    spent.delta = add(spent.delta, amounts.delta);
    const over = overBudget(spent, budget);
    if (over) throw new LedgerError("budget-exhausted", `spending reaches ${over}`, expectedSeq);
    prev = record.hash;
  }
  const head: LedgerHead = { seq: records.length, hash: prev, spent: spentText(spent) };
  const expected = options.expectedHead;
  if (records.length === 0 && (options.runsHappened || (expected !== undefined && expected.seq > 0))) {
    throw new LedgerError("missing-chain", "the ledger is empty but runs that spent budget happened (the chain was deleted or replaced)");
  }
  if (expected !== undefined) {
    if (expected.seq > head.seq) throw new LedgerError("rollback", `the chain ends at seq ${head.seq} but the remembered head is seq ${expected.seq} (entries were removed)`);
    const atSeq = expected.seq === 0 ? genesisHash(options.budget) : records[expected.seq - 1]!.hash;
    if (atSeq !== expected.hash) throw new LedgerError("rollback", `entry ${expected.seq} differs from the remembered head (history was rewritten)`, expected.seq);
  }
  return head;
}

/** The head of a chain without verifying it (verifyChain returns the same head for a valid chain). */
export function ledgerHead(records: readonly LedgerRecord[], budget: LedgerBudget): LedgerHead {
  const spent: ExactBudget = { epsilon: rational(0n), delta: rational(0n) };
  for (const { entry } of records) {
    spent.epsilon = add(spent.epsilon, parseAmount("epsilon", entry.epsilon, entry.seq));
    spent.delta = add(spent.delta, parseAmount("delta", entry.delta, entry.seq));
  }
  const last = records.at(-1);
  return { seq: records.length, hash: last ? last.hash : genesisHash(budget), spent: spentText(spent) };
}

export interface Appended {
  records: LedgerRecord[];
  record: LedgerRecord;
  head: LedgerHead;
}

/**
 * Verifies the chain, refuses if this release would take total epsilon or delta over the budget,
 * then returns the chain with a new signed entry. Record the entry before releasing the result:
 * a crash in between then costs budget, never privacy.
 */
export async function appendEntry(records: readonly LedgerRecord[], request: AppendRequest, options: AppendOptions): Promise<Appended> {
  const current = await verifyChain(records, options);
  const seq = current.seq + 1;
  const entry: LedgerEntry = {
    seq,
    epsilon: typeof request.epsilon === "number" ? String(request.epsilon) : request.epsilon.trim(),
    delta: typeof request.delta === "number" ? String(request.delta) : request.delta.trim(),
    runId: request.runId,
    contractHash: request.contractHash,
    template: request.template,
    parameters: request.parameters,
    prevHash: current.hash,
  };
  const amounts = checkEntryShape(entry, seq);
  const spent: ExactBudget = {
    epsilon: add(parseDecimal("spent epsilon", current.spent.epsilon), amounts.epsilon),
    delta: add(parseDecimal("spent delta", current.spent.delta), amounts.delta),
  };
  const over = overBudget(spent, exactBudget(options.budget));
  if (over) throw new LedgerError("budget-exhausted", `refused: this release (epsilon ${entry.epsilon}, delta ${entry.delta}) would bring ${over}`, seq);
  const hash = entryHash(entry);
  const record: LedgerRecord = { entry, hash, signature: await options.signer.sign(signedMessage(hash)) };
  const next = [...records, record];
  return { records: next, record, head: { seq, hash, spent: spentText(spent) } };
}
