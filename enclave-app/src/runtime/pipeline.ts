// The one code path of a clean room run, the same locally and on Azure (only RunOptions' adapters
// differ):
//   load contract + approvals -> verify -> attest -> per party: release KEK / unwrap content keys
//   -> per dataset: download, check digest and length, decrypt into memory-backed scratch files
//   -> DuckDB (approved SQL only) -> privacy guard -> encrypt the result to each recipient
//   -> upload results, then the receipt last (commit marker).
// On any error nothing stays in the output container and the scratch files are removed.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import type { X509Certificate } from "node:crypto";
import {
  buildReleasePolicy,
  contractHash as computeContractHash,
  evaluateReleasePolicy,
  explainDecision,
  hintFor,
  parseContract,
  parseKeyVaultKeyId,
  sameKeyVaultKey,
  partySignersMismatch,
  shortValue,
  requiredApprovers,
  verifyApprovals,
  type Approvals,
  type Claims,
  type Contract,
  type PartySigners,
  type DatasetSpec,
  type PolicyDecision,
} from "../protocol/index.ts";
import {
  DEFAULT_NONCE_SCHEME,
  ciphertextLength,
  decryptStream,
  encryptStream,
  isIntegrityFailure,
  parseEncryptionData,
  serializeEncryptionData,
  type EncryptionData,
} from "../envelope/index.ts";
import { receiptKeyNonce, type Attestation, type Attester } from "./attest/attester.ts";
import { checkHostdata, describeHostdataMismatch } from "./attest/hostdata.ts";
import { HostdataMismatchError, KeyReleaseError, RuntimeError, errorMessage, type RuntimeErrorCode, type RuntimeStep } from "./errors.ts";
import { tokenFingerprint, type RunEvent, type RunEventSink } from "./events.ts";
import type { KeyExportEncryption } from "./keyrelease/key-hsm.ts";
import type { KeyReleaseClient } from "./keyrelease/release.ts";
import { retryingKeyClient, retryingToolUnwrap, type ReleaseRetryNotice } from "./keyrelease/retrying-client.ts";
import { NO_RETRY, type RetryPolicyOptions } from "./retry/policy.ts";
import { retryingBlobStore, type BlobRetryNotice } from "./storage/retrying-blob-store.ts";
import { obtainUnwrapper } from "./keyrelease/unwrappers.ts";
import { applyPrivacyRules } from "./privacy/guard.ts";
import { buildReceipt } from "./receipt/build.ts";
import { signReceipt } from "./receipt/sign.ts";
import type { Receipt, ReceiptKeyRelease, ReceiptOutput } from "./receipt/types.ts";
import { toCsv } from "./sql/csv.ts";
import { runSql } from "./sql/runner.ts";
import { splitBlobPath, type BlobStore } from "./storage/blob-store.ts";

export interface RunOptions {
  /** The contract as loaded (parsed JSON); validated here. */
  contract: unknown;
  /** Approvals as loaded: party name -> compact JWS. */
  approvals: unknown;
  /** Unique per run (the Job name); part of the output blob names. */
  runId: string;
  attester: Attester;
  /** Key client for a party's vault (flow a: the runtime releases keys itself). */
  keyClientFor?: (vaultUrl: string, party: string) => KeyReleaseClient;
  /** Trust anchors for Key Vault's signed release responses (tls.rootCertificates on Azure). */
  trustedRoots?: readonly (string | X509Certificate)[];
  storage: BlobStore;
  outputContainer: string;
  /** Memory-backed directory for decrypted files and DuckDB's temp directory. */
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

export function outputPrefix(contractHash: string, runId: string): string {
  return `${contractHash}/${runId}`;
}

export function resultBlobName(contractHash: string, runId: string, recipient: string): string {
  return `${outputPrefix(contractHash, runId)}/result.${recipient}.csv`;
}

export function receiptBlobName(contractHash: string, runId: string): string {
  return `${outputPrefix(contractHash, runId)}/receipt.json`;
}

interface DatasetPlan {
  spec: DatasetSpec;
  container: string;
  blobName: string;
  etag?: string;
  encryptionData: EncryptionData;
  cek?: Buffer;
  path?: string;
}

export async function runCollaboration(opts: RunOptions): Promise<RunResult> {
  const clock = opts.clock ?? (() => new Date());
  const startedAt = clock();
  const runStart = performance.now();
  const durations: Partial<Record<RuntimeStep, number>> = {};
  const emit = (e: Omit<RunEvent, "time" | "runId">): void => {
    try {
      opts.onEvent?.({ time: clock().toISOString(), runId: opts.runId, ...e });
    } catch {
      // A failing log sink must not change the outcome of a run.
    }
  };
  const timed = async <T>(step: RuntimeStep, fn: () => Promise<T>, extra: Omit<RunEvent, "time" | "runId" | "step" | "event" | "level"> = {}): Promise<T> => {
    const t0 = performance.now();
    emit({ level: "info", step, event: "start", ...extra });
    try {
      const value = await fn();
      const ms = Math.round(performance.now() - t0);
      durations[step] = (durations[step] ?? 0) + ms;
      emit({ level: "info", step, event: "done", durationMs: ms, ...extra });
      return value;
    } catch (err) {
      throw asRuntimeError(err, step, extra);
    }
  };

  // 403s of a role assignment that has not propagated yet are retried within the bound (none by default).
  const retry = opts.authorizationRetry ?? NO_RETRY;
  const storage = retry.maxElapsedMs > 0 ? retryingBlobStore(opts.storage, retry, (n) => emit(blobRetryEvent(n))) : opts.storage;
  const keyClientFor =
    opts.keyClientFor && retry.maxElapsedMs > 0
      ? (vaultUrl: string, party: string) => retryingKeyClient(opts.keyClientFor!(vaultUrl, party), retry, party, (n) => emit(releaseRetryEvent(n)))
      : opts.keyClientFor;

  let scratch: string | undefined;
  const plans: DatasetPlan[] = [];
  const uploaded: { container: string; blobName: string }[] = [];
  emit({ level: "info", step: "run", event: "start" });
  try {
    if (!RUN_ID.test(opts.runId)) {
      throw new RuntimeError("CONFIG_INVALID", `run id "${opts.runId}" must match ${RUN_ID.source}`, { step: "config" });
    }

    // load + verify: nothing is attested or released before this passes.
    const contract = await timed("load", async () => loadContract(opts.contract));
    const hash = computeContractHash(contract);
    if (opts.sql !== undefined && opts.sql !== contract.sql) {
      throw new RuntimeError("SQL_MISMATCH", "the SQL to run differs from the contract's approved SQL; only the contract's SQL runs", { step: "load" });
    }
    if (opts.enclaveImage !== undefined && opts.enclaveImage !== contract.enclave.image) {
      throw new RuntimeError("IMAGE_MISMATCH", `running image ${opts.enclaveImage} is not the contract's pinned image ${contract.enclave.image}`, { step: "load" });
    }
    if (opts.partySigners !== undefined) {
      const mismatch = partySignersMismatch(opts.partySigners, contract.parties);
      if (mismatch) {
        throw new RuntimeError("SIGNERS_MISMATCH", `the contract's parties are not the ones the container policy pins (CLEANROOM_PARTY_SIGNERS): ${mismatch}`, { step: "load" });
      }
    }
    if (opts.attester.mode !== contract.attestation.mode) {
      throw new RuntimeError("CONFIG_INVALID", `the ${opts.attester.kind} attester runs in ${opts.attester.mode} mode, the contract requires ${contract.attestation.mode}`, { step: "config" });
    }
    await timed("approvals", async () => checkApprovals(contract, opts.approvals));
    emit({ level: "info", step: "approvals", event: "verified", detail: `contract ${hash}` });

    scratch = await mkdtemp(join(await ensureDir(opts.scratchDir), "run-"));

    // attest
    const nonce = receiptKeyNonce(opts.attester.signing.publicJwk);
    const attestation = await timed("attest", () => opts.attester.attest({ nonce }));
    // Confidential-container mode: the token must show the approved container policy before any vault is asked.
    const hostdata = checkHostdata(contract.attestation, attestation.claims);
    if (!hostdata.ok) {
      throw new HostdataMismatchError(hostdata.claim, hostdata.expected, hostdata.actual, `key release refused before asking any vault: ${describeHostdataMismatch(hostdata)}`);
    }
    const policy = buildReleasePolicy(contract.attestation);
    const preview = evaluateReleasePolicy(policy, attestation.claims);
    emit({
      level: preview.allowed ? "info" : "warn",
      step: "attest",
      event: preview.allowed ? "token" : "token-fails-release-policy",
      detail: preview.allowed ? `token ${tokenFingerprint(attestation.token)}` : `token ${tokenFingerprint(attestation.token)}: ${explainDecision(policy, attestation.claims, preview)}`,
    });

    // encryption metadata of every dataset, before any release (cheap, and fails early)
    for (const spec of contract.datasets) {
      plans.push(await timed("download", () => readDatasetMetadata(storage, contract, spec), { dataset: spec.name, party: spec.owner }));
    }

    // per party: release / unwrap the content keys of its datasets
    const keysReleased: ReceiptKeyRelease[] = [];
    for (const party of requiredApprovers(contract)) {
      const spec = contract.parties.find((p) => p.name === party);
      if (!spec) throw new RuntimeError("CONTRACT_INVALID", `dataset owner "${party}" is not a party`, { step: "release", party });
      const mine = plans.filter((p) => p.spec.owner === party);
      const released = await timed(
        "release",
        () =>
          releaseForParty({
            party,
            kekKeyId: spec.kek.keyId,
            plans: mine,
            opts,
            keyClientFor,
            unwrapAttester: retry.maxElapsedMs > 0 ? retryingToolUnwrap(opts.attester, retry, party, (n) => emit(releaseRetryEvent(n))) : opts.attester,
            attestation,
            nonce,
            now: clock(),
          }).catch((err: unknown) => {
            // Key Vault only says "forbidden"; the local evaluation of the same policy says why.
            if (err instanceof KeyReleaseError && err.code === "KEY_RELEASE_DENIED" && !preview.allowed) {
              throw new KeyReleaseError("KEY_RELEASE_DENIED", `${err.message}; ${policyFailureSummary(attestation.claims, preview)}`, {
                party,
                ...(err.vault !== undefined ? { vault: err.vault } : {}),
                cause: err,
              });
            }
            throw err;
          }),
        { party },
      );
      keysReleased.push(released);
    }

    // per dataset: download + decrypt into scratch, digest and length enforced by the reader
    for (const plan of plans) {
      plan.path = join(scratch, `${plan.spec.name}.${plan.spec.format}`);
      await timed("decrypt", () => downloadAndDecrypt(storage, plan), { dataset: plan.spec.name, party: plan.spec.owner, bytes: plan.spec.plaintextLength });
      plan.cek?.fill(0);
    }

    // SQL + privacy
    const tempDirectory = join(scratch, "duckdb-tmp");
    await mkdir(tempDirectory, { mode: 0o700 });
    const sqlResult = await timed("sql", () =>
      runSql({
        datasets: plans.map((p) => ({ name: p.spec.name, format: p.spec.format, schema: p.spec.schema, path: p.path as string })),
        sql: contract.sql,
        tempDirectory,
        ...(opts.duckdb?.memoryLimit !== undefined ? { memoryLimit: opts.duckdb.memoryLimit } : {}),
        ...(opts.duckdb?.threads !== undefined ? { threads: opts.duckdb.threads } : {}),
      }),
    );
    // Decrypted inputs are no longer needed: remove them before anything leaves the enclave.
    await rm(scratch, { recursive: true, force: true });
    scratch = undefined;
    const guarded = await timed("privacy", async () => applyPrivacyRules(sqlResult, contract.privacy));
    emit({ level: "info", step: "privacy", event: "applied", rows: guarded.rowsReleased, detail: `${guarded.rowsSuppressed} row(s) suppressed below k=${contract.privacy.minGroupSize}` });

    // encrypt to each recipient, staged in memory
    const csv = Buffer.from(toCsv(guarded), "utf8");
    const staged: { recipient: string; blobName: string; data: Buffer; metadata: Record<string, string>; sha256: string }[] = [];
    for (const recipient of [...new Set(contract.recipients)]) {
      const party = contract.parties.find((p) => p.name === recipient);
      if (!party) throw new RuntimeError("CONTRACT_INVALID", `recipient "${recipient}" is not a party`, { step: "encrypt", party: recipient });
      staged.push(
        await timed(
          "encrypt",
          async () => {
            const sink = collect();
            const res = await encryptStream(Readable.from([csv]), sink.stream, {
              kek: party.kek.publicKey,
              keyId: party.kek.keyId,
              algorithm: "RSA-OAEP-256",
              // A recipient may read with any SDK; the java layout is the one all of them accept.
              nonceScheme: DEFAULT_NONCE_SCHEME,
              ...(opts.resultRegionSize !== undefined ? { regionSize: opts.resultRegionSize } : {}),
            });
            return {
              recipient,
              blobName: resultBlobName(hash, opts.runId, recipient),
              data: sink.buffer(),
              metadata: { encryptiondata: serializeEncryptionData(res.encryptionData) },
              sha256: res.ciphertextSha256,
            };
          },
          { recipient },
        ),
      );
    }
    csv.fill(0);

    // upload results, then the receipt last
    const outputs: ReceiptOutput[] = [];
    for (const s of staged) {
      await timed(
        "upload",
        () => uploadTracked(storage, uploaded, opts.outputContainer, s.blobName, s.data, s.metadata),
        { recipient: s.recipient, bytes: s.data.length },
      );
      outputs.push({ recipient: s.recipient, container: opts.outputContainer, blobName: s.blobName, ciphertextSha256: s.sha256, ciphertextLength: s.data.length });
    }

    const receipt = await timed("receipt", async () => {
      const body = buildReceipt({
        contract,
        contractHash: hash,
        runId: opts.runId,
        startedAt,
        finishedAt: clock(),
        attester: opts.attester,
        token: attestation.token,
        datasets: plans.map((p) => ({ name: p.spec.name, rowCount: sqlResult.rowCounts[p.spec.name] ?? 0 })),
        keysReleased,
        outputs,
        rowsReleased: guarded.rowsReleased,
        rowsSuppressed: guarded.rowsSuppressed,
      });
      const signed = await signReceipt(body, opts.attester.signing.privateKey, opts.attester.signing.kid);
      const name = receiptBlobName(hash, opts.runId);
      await uploadTracked(storage, uploaded, opts.outputContainer, name, Buffer.from(`${JSON.stringify(signed, null, 2)}\n`, "utf8"), {});
      return signed;
    });

    emit({ level: "info", step: "run", event: "done", durationMs: Math.round(performance.now() - runStart), rows: guarded.rowsReleased });
    return {
      runId: opts.runId,
      contractHash: hash,
      receipt,
      receiptBlobName: receiptBlobName(hash, opts.runId),
      outputs,
      rowsReleased: guarded.rowsReleased,
      rowsSuppressed: guarded.rowsSuppressed,
      durationsMs: durations,
    };
  } catch (err) {
    const failure = asRuntimeError(err, "config");
    // Nothing may remain in the output container after a failed run.
    for (const u of uploaded.reverse()) {
      try {
        await storage.deleteIfExists(u.container, u.blobName);
        emit({ level: "warn", step: "cleanup", event: "output-removed", detail: u.blobName });
      } catch (cleanupErr) {
        emit({ level: "error", step: "cleanup", event: "output-removal-failed", detail: `${u.blobName}: ${errorMessage(cleanupErr)}` });
      }
    }
    emit({
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
    for (const p of plans) p.cek?.fill(0);
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
  }
}

const BLOB_STEP: Record<BlobRetryNotice["operation"], RuntimeStep> = { getProperties: "download", download: "download", uploadNew: "upload", deleteIfExists: "cleanup" };

function blobRetryEvent(n: BlobRetryNotice): Omit<RunEvent, "time" | "runId"> {
  return {
    level: "warn",
    step: BLOB_STEP[n.operation],
    event: "authorization-retry",
    durationMs: n.delayMs,
    detail: `${n.operation} ${n.container}/${n.blobName}: ${n.reason}; retry ${n.attempt} in ${n.delayMs} ms (${Math.round(n.elapsedMs / 1000)} s so far)`,
  };
}

function releaseRetryEvent(n: ReleaseRetryNotice): Omit<RunEvent, "time" | "runId"> {
  return {
    level: "warn",
    step: "release",
    event: "authorization-retry",
    party: n.party,
    durationMs: n.delayMs,
    detail: `release of key "${n.keyName}": ${n.reason}; retry ${n.attempt} in ${n.delayMs} ms (${Math.round(n.elapsedMs / 1000)} s so far)`,
  };
}

/** One line for an error: which condition of the contract's release policy the token fails, and a hint. */
function policyFailureSummary(claims: Claims, decision: PolicyDecision): string {
  if (decision.allowed) return "";
  const f = decision.failure;
  const seen = f.absent || f.actual === undefined ? "the token lacks it" : `the token has ${shortValue(f.actual)}`;
  const condition = f.claim !== undefined ? `${f.claim} ${f.operator ?? "equals"} ${shortValue(f.expected)}, but ${seen}` : f.reason;
  const hint = hintFor(f, claims);
  return `the token fails the contract's release policy at ${f.path || "(policy)"}: ${condition}${hint ? ` (hint: ${hint})` : ""}`;
}

interface ReleaseForPartyInput {
  party: string;
  kekKeyId: string;
  plans: DatasetPlan[];
  opts: RunOptions;
  keyClientFor: RunOptions["keyClientFor"];
  /** The attester whose tool release (if any) retries RBAC refusals; opts.attester otherwise. */
  unwrapAttester: Attester;
  attestation: Attestation;
  nonce: string;
  now: Date;
}

/** Obtains the party's unwrapper and unwraps the content keys of all its datasets into the plans. */
async function releaseForParty(input: ReleaseForPartyInput): Promise<ReceiptKeyRelease> {
  const { party, kekKeyId, plans, opts } = input;
  const kek = parseKeyVaultKeyId(kekKeyId);
  const unwrapper = await obtainUnwrapper({
    party,
    kekKeyId,
    versionedKeyId: plans.map((p) => p.encryptionData.WrappedContentKey.KeyId).find((id) => sameKeyVaultKey(id, kekKeyId)),
    attester: input.unwrapAttester,
    token: input.attestation.token,
    ...(input.keyClientFor ? { keyClient: input.keyClientFor(kek.vaultUrl, party) } : {}),
    ...(opts.trustedRoots ? { trustedRoots: opts.trustedRoots } : {}),
    ...(opts.releaseAlgorithm ? { algorithm: opts.releaseAlgorithm } : {}),
    nonce: input.nonce,
    now: input.now,
  });
  const ceks = await unwrapper.unwrap(
    plans.map((p) => ({
      id: p.spec.name,
      encryptedKey: Buffer.from(p.encryptionData.WrappedContentKey.EncryptedKey, "base64"),
      algorithm: p.encryptionData.WrappedContentKey.Algorithm,
      protocol: p.encryptionData.EncryptionAgent.Protocol,
    })),
  );
  for (const p of plans) p.cek = ceks.get(p.spec.name);
  return { party, keyId: unwrapper.keyId, mechanism: unwrapper.mechanism };
}

/**
 * Uploads a new blob and records it for cleanup *before* the call (a timeout may hide a blob that
 * was created), unless the service says it already existed: that blob belongs to someone else
 * (e.g. an earlier run with the same run id) and must not be deleted by our cleanup.
 */
async function uploadTracked(
  storage: BlobStore,
  uploaded: { container: string; blobName: string }[],
  container: string,
  blobName: string,
  data: Buffer,
  metadata: Record<string, string>,
): Promise<void> {
  const entry = { container, blobName };
  uploaded.push(entry);
  try {
    await storage.uploadNew(container, blobName, data, metadata);
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 409 || status === 412) {
      uploaded.splice(uploaded.indexOf(entry), 1);
      throw new RuntimeError("OUTPUT_FAILED", `${container}/${blobName} already exists: outputs are never overwritten (is the run id reused?)`, { step: "upload", cause: err });
    }
    throw err;
  }
}

async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function loadContract(input: unknown): Contract {
  try {
    return parseContract(input);
  } catch (err) {
    const issues = (err as { issues?: { path: string; rule: string; message: string }[] }).issues;
    const summary = issues?.length ? `${issues.length} issue(s): ${issues.slice(0, 5).map((i) => `${i.path} [${i.rule}] ${i.message}`).join("; ")}` : errorMessage(err);
    throw new RuntimeError("CONTRACT_INVALID", `the contract is invalid: ${summary}`, { step: "load", cause: err });
  }
}

async function checkApprovals(contract: Contract, approvals: unknown): Promise<void> {
  if (!approvals || typeof approvals !== "object" || Array.isArray(approvals) || !Object.values(approvals).every((v) => typeof v === "string")) {
    throw new RuntimeError("APPROVALS_INVALID", "approvals must be an object mapping party name to a compact JWS", { step: "approvals" });
  }
  const report = await verifyApprovals(contract, approvals as Approvals);
  if (!report.ok) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing approval from ${report.missing.join(", ")}`);
    for (const bad of report.invalid) parts.push(`approval of "${bad.party}" is invalid: ${bad.reason}`);
    throw new RuntimeError("APPROVALS_INVALID", `contract ${report.contractHash} is not approved by every dataset owner: ${parts.join("; ")}`, {
      step: "approvals",
      ...(report.missing[0] !== undefined ? { party: report.missing[0] } : report.invalid[0] ? { party: report.invalid[0].party } : {}),
    });
  }
}

async function readDatasetMetadata(storage: BlobStore, contract: Contract, spec: DatasetSpec): Promise<DatasetPlan> {
  const { container, blobName } = splitBlobPath(spec.blobPath);
  const props = await storage.getProperties(container, blobName).catch((err: unknown) => {
    throw new RuntimeError("DATASET_FETCH_FAILED", `dataset "${spec.name}": cannot read ${spec.blobPath}: ${errorMessage(err)}`, { step: "download", dataset: spec.name, party: spec.owner, cause: err });
  });
  const raw = Object.entries(props.metadata).find(([k]) => k.toLowerCase() === "encryptiondata")?.[1];
  if (raw === undefined) {
    throw new RuntimeError("DATASET_METADATA_INVALID", `dataset "${spec.name}": ${spec.blobPath} has no "encryptiondata" metadata (not client-side encrypted)`, { step: "download", dataset: spec.name, party: spec.owner });
  }
  let encryptionData: EncryptionData;
  try {
    encryptionData = parseEncryptionData(raw);
  } catch (err) {
    throw new RuntimeError("DATASET_METADATA_INVALID", `dataset "${spec.name}": encryptiondata is not usable: ${errorMessage(err)}`, { step: "download", dataset: spec.name, party: spec.owner, cause: err });
  }
  const owner = contract.parties.find((p) => p.name === spec.owner);
  if (!owner || !sameKeyVaultKey(encryptionData.WrappedContentKey.KeyId, owner.kek.keyId)) {
    throw new RuntimeError(
      "DATASET_METADATA_INVALID",
      `dataset "${spec.name}": its content key is wrapped by ${encryptionData.WrappedContentKey.KeyId}, not by its owner "${spec.owner}"'s KEK ${owner?.kek.keyId ?? "(unknown party)"}`,
      { step: "download", dataset: spec.name, party: spec.owner },
    );
  }
  const expected = ciphertextLength(spec.plaintextLength, encryptionData.EncryptedRegionInfo.DataLength);
  if (props.contentLength !== expected) {
    throw new RuntimeError("DATASET_INTEGRITY", `dataset "${spec.name}": blob is ${props.contentLength} bytes, the contract's plaintext length ${spec.plaintextLength} means ${expected}`, {
      step: "download",
      dataset: spec.name,
      party: spec.owner,
    });
  }
  return { spec, container, blobName, encryptionData, ...(props.etag ? { etag: props.etag } : {}) };
}

async function downloadAndDecrypt(storage: BlobStore, plan: DatasetPlan): Promise<void> {
  if (!plan.cek || !plan.path) throw new RuntimeError("INTERNAL", `dataset "${plan.spec.name}": no content key`, { step: "decrypt", dataset: plan.spec.name });
  let input: NodeJS.ReadableStream;
  try {
    input = await storage.download(plan.container, plan.blobName, plan.etag);
  } catch (err) {
    throw new RuntimeError("DATASET_FETCH_FAILED", `dataset "${plan.spec.name}": download of ${plan.spec.blobPath} failed: ${errorMessage(err)}`, { step: "download", dataset: plan.spec.name, party: plan.spec.owner, cause: err });
  }
  const output = createWriteStream(plan.path, { flags: "wx", mode: 0o600 });
  try {
    await decryptStream(input, output, {
      cek: plan.cek,
      encryptionData: plan.encryptionData,
      expectedSha256: plan.spec.ciphertextSha256,
      expectedLength: plan.spec.plaintextLength,
    });
  } catch (err) {
    (input as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    const code = (err as { code?: unknown }).code;
    const integrity = isIntegrityFailure(err);
    throw new RuntimeError(
      integrity ? "DATASET_INTEGRITY" : "DATASET_FETCH_FAILED",
      `dataset "${plan.spec.name}": ${integrity ? `${String(code)}: ` : ""}${errorMessage(err)}`,
      { step: "decrypt", dataset: plan.spec.name, party: plan.spec.owner, cause: err },
    );
  }
}

function asRuntimeError(err: unknown, step: RuntimeStep, extra: { party?: string; dataset?: string } = {}): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const code: RuntimeErrorCode = step === "upload" || step === "receipt" ? "OUTPUT_FAILED" : "INTERNAL";
  return new RuntimeError(code, `${step} failed: ${errorMessage(err)}`, {
    step,
    ...(extra.party !== undefined ? { party: extra.party } : {}),
    ...(extra.dataset !== undefined ? { dataset: extra.dataset } : {}),
    cause: err,
  });
}

function collect(): { stream: Writable; buffer: () => Buffer } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    }),
    buffer: () => Buffer.concat(chunks),
  };
}

export type { Attestation };
