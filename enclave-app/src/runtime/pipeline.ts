// The one code path of a clean room run, the same locally and on Azure (only RunOptions' adapters
// differ). An orchestrator over named steps (steps/), each a function with typed input and output:
//   verify   contract parsed once, SQL/image/party signers/mode match, every owner approved
//   analyze  enforced mode: the SQL within the owners' analysis rules (parse tree), rewritten so the engine counts k
//   recover  remove this run id's staged blobs that no receipt committed (a killed earlier attempt)
//   ledger   differential privacy: the contract's budget ledger checked, a run over budget refused
//   attest   token binding the receipt key; container mode: hostdata is the approved policy
//   inspect  each dataset's metadata and length, before any key is released
//   release  per party: obtain an unwrapper for its KEK, unwrap its datasets' content keys
//   load     download + decrypt each dataset into the memory-backed scratch directory
//   compute  DuckDB runs the approved SQL within the contract's time and result-size limits; then
//            the scratch directory is removed
//   guard    output privacy rules (differential privacy: noise, noisy group threshold; then the
//            ledger's new entry is written and its HMACs were checked right after key release)
//   seal     encrypt the result to each recipient
//   commit   upload the results under <contractHash>/<runId>/, then the receipt last (commit marker)
// On any error nothing stays in the output container (commit removes what it uploaded), content
// keys are zeroed and the scratch files are removed; the scratch directory is also emptied when a
// run starts (a killed run removes nothing). A run killed before its receipt leaves staged
// blobs that are not a result; the next attempt with the same run id removes them (recover).
import { rm } from "node:fs/promises";
import type { X509Certificate } from "node:crypto";
import { effectiveRunLimits, type PartySigners } from "../protocol/index.ts";
import type { Attester } from "./attest/attester.ts";
import { RuntimeError, errorMessage, type RuntimeStep } from "./errors.ts";
import type { RunEventSink } from "./events.ts";
import type { KeyExportEncryption } from "./keyrelease/key-hsm.ts";
import type { KeyReleaseClient } from "./keyrelease/release.ts";
import type { Receipt, ReceiptOutput } from "../receipt/index.ts";
import { NO_RETRY, type RetryPolicyOptions } from "./retry/policy.ts";
import { createRunScratch, wipeScratch } from "./scratch.ts";
import { hmacLedgerKey, hmacLedgerSigner, newRunSecret } from "./privacy/dp/index.ts";
import { dpSpend } from "./privacy/dp-release.ts";
import { appendLedger, checkBudget, verifyLedger } from "./steps/ledger.ts";
import { DP_SECRET_PARAMETER } from "./sql/analysis/index.ts";
import type { BlobStore } from "./storage/blob-store.ts";
import { retryingBlobStore, type BlobRetryNotice } from "./storage/retrying-blob-store.ts";
import { attestEnclave } from "./steps/attest.ts";
import { commitOutputs } from "./steps/commit.ts";
import { compute } from "./steps/compute.ts";
import { analyzeQuery } from "./steps/analyze.ts";
import { guard } from "./steps/guard.ts";
import { inspectDatasets } from "./steps/inspect.ts";
import { loadDatasets } from "./steps/load.ts";
import { removeUncommitted } from "./steps/recover.ts";
import { releaseKeys, zeroContentKeys, type ContentKeys } from "./steps/release.ts";
import { asRuntimeError, createRunReporter, type StepEvent } from "./steps/reporter.ts";
import { seal } from "./steps/seal.ts";
import { verifyContract } from "./steps/verify.ts";

export { outputPrefix, resultBlobName, receiptBlobName } from "./steps/output-names.ts";

export interface RunOptions {
  /** The contract as loaded (parsed JSON); validated here. */
  contract: unknown;
  /** Approvals as loaded: party name -> compact JWS. */
  approvals: unknown;
  /**
   * Identifies the run (the Job name); its outputs are staged under <contractHash>/<runId>/. A new
   * attempt with the run id of an uncommitted one (no receipt) removes those staged blobs first; a
   * committed run id is refused.
   */
  runId: string;
  attester: Attester;
  /** Key client for a party's vault (flow a: the runtime releases keys itself). */
  keyClientFor?: (vaultUrl: string, party: string) => KeyReleaseClient;
  /** Trust anchors for Key Vault's signed release responses (tls.rootCertificates on Azure). */
  trustedRoots?: readonly (string | X509Certificate)[];
  storage: BlobStore;
  outputContainer: string;
  /** Memory-backed directory for decrypted files and DuckDB's temp directory; one run at a time: emptied when a run starts. */
  scratchDir: string;
  duckdb?: { memoryLimit?: string; threads?: number };
  /** The SQL the operator asks for; refused unless byte-identical to the contract's. */
  sql?: string;
  /** The image actually running, when known; refused unless it equals the contract's pin. */
  enclaveImage?: string;
  /**
   * Confidential-container mode: the parties' signing-key thumbprints the container policy fixes
   * (CLEANROOM_PARTY_SIGNERS). The contract's parties must be exactly these, or a deployer could run
   * the approved policy on a contract and approvals of their own.
   */
  partySigners?: PartySigners;
  /**
   * Differential privacy: the ledger head a party remembers (from its last receipt). The ledger must
   * extend it, or the run is refused as a rollback.
   */
  expectedLedgerHead?: { seq: number; hash: string };
  /** Key Vault export wrapping (default RSA_AES_KEY_WRAP_256). */
  releaseAlgorithm?: KeyExportEncryption;
  /** Region size of the result blobs (default: the envelope's 4 MiB). */
  resultRegionSize?: number;
  /**
   * Bound for retrying Key Vault release and storage calls that answer 403 while a role assignment
   * propagates (ForbiddenByRbac, AuthorizationPermissionMismatch, AuthorizationFailure). Default: no retry.
   */
  authorizationRetry?: RetryPolicyOptions;
  clock?: () => Date;
  onEvent?: RunEventSink;
}

export interface RunResult {
  runId: string;
  contractHash: string;
  receipt: Receipt;
  receiptBlobName: string;
  outputs: ReceiptOutput[];
  rowsReleased: number;
  rowsSuppressed: number;
  durationsMs: Partial<Record<RuntimeStep, number>>;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export async function runCollaboration(opts: RunOptions): Promise<RunResult> {
  const reporter = createRunReporter(opts.runId, opts.clock, opts.onEvent);
  const startedAt = reporter.clock();
  const runStart = performance.now();
  // 403s of a role assignment that has not propagated yet are retried within the bound (none by default).
  const retry = opts.authorizationRetry ?? NO_RETRY;
  const storage = retry.maxElapsedMs > 0 ? retryingBlobStore(opts.storage, retry, (n) => reporter.emit(blobRetryEvent(n))) : opts.storage;

  let scratch: string | undefined;
  let contentKeys: ContentKeys | undefined;
  let ledgerKey: Buffer | undefined;
  reporter.emit({ level: "info", step: "run", event: "start" });
  try {
    // Before anything else: a killed earlier run may have left decrypted plaintext here.
    await wipeScratch(opts.scratchDir).catch((err: unknown) => {
      throw new RuntimeError("CONFIG_INVALID", `scratch directory ${opts.scratchDir} cannot be emptied: ${errorMessage(err)}`, { step: "config", cause: err });
    });
    if (!RUN_ID.test(opts.runId)) {
      throw new RuntimeError("CONFIG_INVALID", `run id "${opts.runId}" must match ${RUN_ID.source}`, { step: "config" });
    }
    const { contract, contractHash } = await verifyContract(
      {
        contract: opts.contract,
        approvals: opts.approvals,
        attester: opts.attester,
        ...(opts.sql !== undefined ? { sql: opts.sql } : {}),
        ...(opts.enclaveImage !== undefined ? { enclaveImage: opts.enclaveImage } : {}),
        ...(opts.partySigners !== undefined ? { partySigners: opts.partySigners } : {}),
      },
      reporter,
    );
    const plan = await analyzeQuery({ contract }, reporter);
    await removeUncommitted({ storage, outputContainer: opts.outputContainer, contractHash, runId: opts.runId }, reporter);
    const dp = plan.mode === "dp" ? { plan: plan.dp, spend: dpSpend(plan.dp, contract.privacy.dp!) } : undefined;
    const ledger = dp
      ? await checkBudget({ location: { storage, outputContainer: opts.outputContainer, contractHash }, contract, spend: dp.spend, ...(opts.expectedLedgerHead ? { expectedHead: opts.expectedLedgerHead } : {}) }, reporter)
      : undefined;
    scratch = await createRunScratch(opts.scratchDir);

    const attested = await attestEnclave({ contract, attester: opts.attester }, reporter);
    const datasets = await inspectDatasets({ contract, storage }, reporter);
    const released = await releaseKeys(
      {
        contract,
        datasets,
        attester: opts.attester,
        attested,
        authorizationRetry: retry,
        ...(opts.keyClientFor ? { keyClientFor: opts.keyClientFor } : {}),
        ...(opts.trustedRoots ? { trustedRoots: opts.trustedRoots } : {}),
        ...(opts.releaseAlgorithm ? { releaseAlgorithm: opts.releaseAlgorithm } : {}),
      },
      reporter,
    );
    contentKeys = released.contentKeys;
    if (ledger) {
      ledgerKey = hmacLedgerKey(contract.datasets.map((d) => released.contentKeys.get(d.name) ?? Buffer.alloc(0)), contractHash);
      await verifyLedger(ledger, hmacLedgerSigner(ledgerKey), opts.expectedLedgerHead, reporter);
    }
    const loaded = await loadDatasets({ datasets, contentKeys, storage, scratch }, reporter);
    const sqlResult = await compute(
      {
        datasets: loaded,
        sql: plan.sql,
        scratch,
        limits: effectiveRunLimits(contract.limits),
        // Differential privacy: which groups a unit keeps is keyed by a secret of this run only.
        ...(plan.mode === "dp" ? { parameters: { [DP_SECRET_PARAMETER]: Buffer.from(newRunSecret()).toString("hex") } } : {}),
        ...(opts.duckdb ? { duckdb: opts.duckdb } : {}),
      },
      reporter,
    );
    // Decrypted inputs are no longer needed: remove them before anything leaves the enclave.
    await rm(scratch, { recursive: true, force: true });
    scratch = undefined;

    const guarded = await guard({ result: sqlResult, privacy: contract.privacy, plan }, reporter);
    // The spend is recorded before anything is sealed: a crash after this costs budget, never privacy.
    const dpReceipt =
      ledger && ledgerKey && dp && "spend" in guarded
        ? {
            epsilon: guarded.spend.epsilon,
            delta: guarded.spend.delta,
            ...(guarded.tau !== undefined ? { tau: guarded.tau } : {}),
            budget: { epsilon: String(ledger.budget.epsilon), delta: String(ledger.budget.delta) },
            ledger: await appendLedger({ state: ledger, signer: hmacLedgerSigner(ledgerKey), spend: guarded.spend, runId: opts.runId, template: "sql", parameters: {} }, reporter),
          }
        : undefined;
    if (ledger && !dpReceipt) throw new RuntimeError("INTERNAL", "a differentially private run produced no spend to record", { step: "privacy" });
    const sealed = await seal({ result: guarded, contract, contractHash, runId: opts.runId, ...(opts.resultRegionSize !== undefined ? { regionSize: opts.resultRegionSize } : {}) }, reporter);
    const committed = await commitOutputs(
      {
        sealed,
        storage,
        outputContainer: opts.outputContainer,
        signing: opts.attester.signing,
        receipt: {
          contract,
          contractHash,
          runId: opts.runId,
          startedAt,
          attester: opts.attester,
          token: attested.attestation.token,
          datasets: datasets.map((d) => ({ name: d.spec.name, rowCount: sqlResult.rowCounts[d.spec.name] ?? 0 })),
          keysReleased: released.keysReleased,
          rowsReleased: guarded.rowsReleased,
          rowsSuppressed: guarded.rowsSuppressed,
          ...(dpReceipt ? { dp: dpReceipt } : {}),
        },
      },
      reporter,
    );

    reporter.emit({ level: "info", step: "run", event: "done", durationMs: Math.round(performance.now() - runStart), rows: guarded.rowsReleased });
    return {
      runId: opts.runId,
      contractHash,
      receipt: committed.receipt,
      receiptBlobName: committed.receiptBlobName,
      outputs: committed.outputs,
      rowsReleased: guarded.rowsReleased,
      rowsSuppressed: guarded.rowsSuppressed,
      durationsMs: reporter.durations,
    };
  } catch (err) {
    const failure = asRuntimeError(err, "config");
    reporter.emit({
      level: "error",
      step: failure.step,
      event: "failed",
      code: failure.code,
      detail: failure.message,
      ...(failure.party !== undefined ? { party: failure.party } : {}),
      ...(failure.dataset !== undefined ? { dataset: failure.dataset } : {}),
    });
    throw failure;
  } finally {
    if (contentKeys) zeroContentKeys(contentKeys);
    ledgerKey?.fill(0);
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

const BLOB_STEP: Record<BlobRetryNotice["operation"], RuntimeStep> = { getProperties: "download", download: "download", uploadNew: "upload", deleteIfExists: "cleanup", list: "cleanup" };

function blobRetryEvent(n: BlobRetryNotice): StepEvent {
  return {
    level: "warn",
    step: BLOB_STEP[n.operation],
    event: "authorization-retry",
    durationMs: n.delayMs,
    detail: `${n.operation} ${n.container}/${n.blobName}: ${n.reason}; retry ${n.attempt} in ${n.delayMs} ms (${Math.round(n.elapsedMs / 1000)} s so far)`,
  };
}

export type { Attestation } from "./attest/attester.ts";
