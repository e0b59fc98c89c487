import { csvToParquet } from "./parquet.ts";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import type { Approvals, AttestationRequirements, Contract, IsolationMode } from "../protocol/index.ts";
import { formatPartySigners, parsePartySigners } from "../protocol/index.ts";
import type { RunEvent } from "../runtime/events.ts";
import { RuntimeError } from "../runtime/errors.ts";
import type { RunResult } from "../runtime/pipeline.ts";
import { verifyReceipt } from "../receipt/index.ts";
import type { DemoOptions } from "./args.ts";
import { ENCLAVE_PRINCIPAL, startLocalCleanRoom, type LocalCleanRoom } from "./cleanroom.ts";
import { writeContainerPolicy, type ContainerPolicy } from "./container-policy.ts";
import { LOCAL_ENCLAVE_IMAGE, approveContract, buildDemoContract } from "./contract.ts";
import { parseCsv } from "./csv.ts";
import { provisionPartyKek, type ProvisionedKek } from "./party-keys.ts";
import { createPartyKeys, partyByName, type DemoParty } from "./parties.ts";
import { decryptResultBlob, listBlobs, readCommittedRun, type DecryptedResult } from "./results.ts";
import { OUTPUT_CONTAINER, newRunId, runEnclave } from "./run-enclave.ts";
import type { GeneratedDataset } from "./scenarios/index.ts";
import { StepRunner, type StepRecord } from "./steps.ts";
import { formatBytes, formatCount } from "./table.ts";
import { encryptAndUpload, flipOneByte, type UploadedDataset } from "./upload.ts";
import { askVaultsDirectly, type VaultAnswer } from "./vault-probe.ts";

export const ENCLAVE_STEP = "Run the enclave (attest, release, SQL, privacy)";

/** Machine-readable outcome of a demo run (printed by --json; the human report is rendered from it). */
export interface DemoSummary {
  ok: boolean;
  scenario: string;
  title: string;
  rowsPerDataset: number;
  seed: number;
  runId: string;
  contractHash?: string;
  authority?: string;
  isolation: IsolationMode;
  /** confidential-container: the approved policy (pinned by the contract) and the one the enclave was started with. */
  containerPolicy?: { file: string; approvedHostdata: string; startedHostdata: string; tampered: boolean };
  /** --tamper-policy: what each party's vault answered when asked directly with that enclave's token. */
  vaultAnswers?: VaultAnswer[];
  parties: { name: string; keyId?: string }[];
  datasets: { name: string; owner: string; format: "csv" | "parquet"; blobPath: string; rows: number; plaintextBytes: number; ciphertextSha256: string }[];
  sql: string;
  privacy: { minGroupSize: number; countColumn: string; allowedColumns: string[] };
  /** The decrypted result (identical for every recipient; see `recipients`). */
  result?: { columns: string[]; rows: string[][] };
  recipients?: { party: string; blobName: string; rows: number; sameAsFirst: boolean }[];
  rowsReleased?: number;
  rowsSuppressed?: number;
  receipt?: { ok: boolean; passed: string[]; failure?: { check: string; message: string } };
  tamper?: { party: string; dataset: string; blobPath: string; offset: number };
  error?: { code: string; step?: string; party?: string; dataset?: string; message: string };
  /** The output container's contents after the run, as a recipient would list them. */
  outputBlobs: string[];
  enclaveMs?: Partial<Record<string, number>>;
  steps: StepRecord[];
  totalMs: number;
}

/** Lets callers (tests) look inside the running clean room after the enclave ran, before teardown. */
export interface DemoHooks {
  afterRun?(ctx: { room: LocalCleanRoom; parties: DemoParty[]; contract: Contract; approvals: Approvals; run: RunResult; output: ContainerClient }): Promise<void>;
  onEnclaveEvent?(event: RunEvent): void;
}

/** Registered by main.ts so Ctrl-C can stop the servers and remove temp dirs mid-run. */
export interface ShutdownRegistry {
  add(cleanup: () => Promise<void>): void;
}

export interface DemoIo {
  /** Step lines and progress. */
  log: NodeJS.WritableStream & { isTTY?: boolean };
  shutdown?: ShutdownRegistry;
  hooks?: DemoHooks;
}

/**
 * The whole collaboration, step by step, as the parties and the enclave would do it, on the
 * local clean room. Returns a summary whether the run succeeded or (as with --tamper) the enclave
 * refused; throws only when the demo itself cannot proceed.
 */
export async function runDemo(options: DemoOptions, io: DemoIo): Promise<DemoSummary> {
  const { scenario } = options;
  const steps = new StepRunner(io.log);
  const runId = newRunId();
  const summary: DemoSummary = {
    ok: false,
    scenario: scenario.id,
    title: scenario.title,
    rowsPerDataset: options.rows,
    seed: options.seed,
    runId,
    isolation: options.isolation ?? "confidential-node",
    parties: [],
    datasets: [],
    sql: scenario.sql,
    privacy: scenario.privacy,
    outputBlobs: [],
    steps: steps.records,
    totalMs: 0,
  };

  const partyNames = scenario.parties.map((p) => p.name);
  const room = await steps.run(
    "Start the local clean room",
    () => startLocalCleanRoom(partyNames),
    (r) => `CA, Azurite ${new URL(r.azurite.blobEndpoint).host}, attestation authority, ${r.vaults.size} Key Vault stand-ins`,
  );
  io.shutdown?.add(() => room.close());
  try {
    const blobService = BlobServiceClient.fromConnectionString(room.azurite.connectionString);
    const output = blobService.getContainerClient(OUTPUT_CONTAINER);
    summary.authority = room.authority.url;
    // Each party's signing key and KEK pair (the KEKs go into their vaults below).
    const created = await createPartyKeys(scenario.parties);
    // The container policy fixes the parties' signing keys, so the enclave runs no contract but theirs.
    const partySigners = formatPartySigners(created.map((p) => ({ name: p.name, signingKey: p.signing.publicJwk })));
    let policies: { approved: ContainerPolicy; started: ContainerPolicy } | undefined;
    const tamperPolicy = options.tamperPolicy === true;
    if (options.isolation === "confidential-container") {
      policies = await steps.run(
        "Write the container policy (simulated confcom)",
        async () => {
          const approved = await writeContainerPolicy(room.workDir, LOCAL_ENCLAVE_IMAGE, { partySigners });
          return { approved, started: tamperPolicy ? await writeContainerPolicy(room.workDir, LOCAL_ENCLAVE_IMAGE, { partySigners, tampered: true }) : approved };
        },
        (p) => `hostdata ${p.approved.hostdata.slice(0, 16)}… (SIMULATED policy, enforced by nothing here)`,
      );
      summary.containerPolicy = { file: policies.started.file, approvedHostdata: policies.approved.hostdata, startedHostdata: policies.started.hostdata, tampered: tamperPolicy };
    }
    const attestation: AttestationRequirements = policies
      ? { authority: room.authority.url, mode: "confidential-container", hostdata: policies.approved.hostdata }
      : { authority: room.authority.url, mode: "confidential-node" };

    const parties = await steps.run(
      "Create each party's RSA-HSM KEK + release policy",
      async () => {
        const keys: ProvisionedKek[] = [];
        for (const party of created) {
          keys.push(await provisionPartyKek({ party, vault: room.vaults.get(party.name)!, attestation, enclavePrincipal: ENCLAVE_PRINCIPAL }));
        }
        // What SharedStorage provisions: one input container per party, one output container.
        await Promise.all([...scenario.datasets.map((d) => blobService.getContainerClient(d.container).createIfNotExists()), output.createIfNotExists()]);
        return { parties: created, keys };
      },
      ({ keys }) => `${keys.map((k) => k.keyName).join(", ")}; release role -> ${ENCLAVE_PRINCIPAL}`,
    ).then((r) => r.parties);
    summary.parties = parties.map((p) => ({ name: p.name, ...(p.kek.keyId !== undefined ? { keyId: p.kek.keyId } : {}) }));

    let data = await steps.run(
      "Generate synthetic data",
      (progress) => scenario.generate({ rows: options.rows, seed: options.seed, onProgress: (done, total) => progress.update(done, total, "rows") }),
      (ds) => `${formatCount(sum(ds.map((d) => d.rows)))} rows, ${formatBytes(sum(ds.map((d) => d.bytes)))} of CSV`,
    );
    const format = options.format ?? "csv";
    if (format === "parquet") {
      data = await steps.run(
        "Convert to Parquet (DuckDB, the contract's column types)",
        async () =>
          Promise.all(
            data.map(async (d) => {
              const spec = scenario.datasets.find((s) => s.name === d.dataset)!;
              const parquet = await csvToParquet(d.chunks, spec.schema, room.workDir);
              return { ...d, chunks: [parquet], bytes: parquet.length };
            }),
          ),
        (ds) => `${formatBytes(sum(ds.map((d) => d.bytes)))} of Parquet`,
      );
    }

    const uploads = await steps.run(
      "Encrypt (CSE v2, RSA-OAEP-256) and upload",
      async (progress) => {
        const total = sum(data.map((d) => d.bytes));
        let before = 0;
        const out: UploadedDataset[] = [];
        for (const dataset of scenario.datasets) {
          const generated = data.find((d) => d.dataset === dataset.name) as GeneratedDataset;
          out.push(
            await encryptAndUpload({
              container: blobService.getContainerClient(dataset.container),
              dataset,
              data: generated,
              owner: partyByName(parties, dataset.owner),
              format,
              onProgress: (bytes) => progress.update(before + bytes, total, "bytes"),
            }),
          );
          before += generated.bytes;
        }
        return out;
      },
      (us) => `${us.length} blobs, ${formatBytes(sum(us.map((u) => u.ciphertextLength)))} ciphertext`,
    );
    summary.datasets = uploads.map((u) => ({
      name: u.dataset.name,
      owner: u.dataset.owner,
      format: u.format,
      blobPath: u.blobPath,
      rows: u.rows,
      plaintextBytes: u.plaintextLength,
      ciphertextSha256: u.ciphertextSha256,
    }));

    const signed = await steps.run(
      "Build the contract; every owner signs it",
      () =>
        approveContract(
          buildDemoContract({ scenario, parties, uploads, authorityUrl: room.authority.url, ...(policies ? { containerHostdata: policies.approved.hostdata } : {}) }),
          parties,
        ),
      (s) => `contract ${s.hash.slice(0, 16)}…, approved by ${s.report.approved.join(", ")}`,
    );
    summary.contractHash = signed.hash;

    if (options.tamper !== undefined) {
      const victim = uploads.find((u) => u.dataset.owner === options.tamper)!;
      const { offset } = await steps.run(
        `Tamper with ${victim.dataset.owner}'s uploaded ciphertext`,
        () => flipOneByte(blobService.getContainerClient(victim.dataset.container), victim.dataset.blobName),
        (t) => `byte ${formatCount(t.offset)} of ${victim.blobPath} flipped after approval`,
      );
      summary.tamper = { party: victim.dataset.owner, dataset: victim.dataset.name, blobPath: victim.blobPath, offset };
    }
    if (policies && tamperPolicy) {
      await steps.run(
        "Start the enclave under a different policy",
        async () => policies.started,
        (p) => `hostdata ${p.hostdata.slice(0, 16)}…, the contract pins ${policies.approved.hostdata.slice(0, 16)}…`,
      );
    }

    let run: RunResult;
    try {
      run = await steps.run(
        ENCLAVE_STEP,
        () =>
          runEnclave({
            room,
            contract: signed.contract,
            approvals: signed.approvals,
            runId,
            ...(policies ? { ccePolicy: policies.started.base64, partySigners: parsePartySigners(partySigners) } : {}),
            ...(io.hooks?.onEnclaveEvent ? { onEvent: io.hooks.onEnclaveEvent } : {}),
          }),
        (r) => `${r.rowsReleased} rows released, ${r.rowsSuppressed} suppressed`,
      );
    } catch (err) {
      summary.error = describeError(err);
      if (policies && tamperPolicy) {
        // The runtime refused on its own; code started under another policy need not. The vaults decide.
        summary.vaultAnswers = await steps.run(
          "Ask each vault, bypassing the enclave's check",
          () => askVaultsDirectly({ room, contract: signed.contract, ccePolicy: policies.started.base64 }),
          (answers) => answers.map((a) => `${a.party}: ${a.released ? "RELEASED" : `refused (HTTP ${a.status ?? "?"})`}`).join(", "),
        );
      }
      summary.outputBlobs = await listBlobs(output);
      return summary;
    }
    summary.enclaveMs = run.durationsMs;
    summary.rowsReleased = run.rowsReleased;
    summary.rowsSuppressed = run.rowsSuppressed;
    summary.outputBlobs = await listBlobs(output);

    // A recipient reads what the receipt in the container lists (the commit), not what the enclave said.
    const committed = await readCommittedRun(output, run.receiptBlobName);
    if (committed === undefined) throw new Error(`The enclave reported success but ${OUTPUT_CONTAINER}/${run.receiptBlobName} does not exist: no result was committed.`);
    const decrypted = await steps.run(
      "Decrypt the result as each recipient",
      async () => {
        const out: DecryptedResult[] = [];
        for (const o of committed.outputs) out.push(await decryptResultBlob(output, o.blobName, partyByName(parties, o.recipient)));
        return out;
      },
      (rs) => `${rs.map((r) => r.recipient).join(", ")}`,
    );
    const first = decrypted[0];
    if (first) {
      const parsed = parseCsv(first.csv);
      summary.result = { columns: parsed.header, rows: parsed.rows };
    }
    summary.recipients = decrypted.map((d) => ({
      party: d.recipient,
      blobName: d.blobName,
      rows: parseCsv(d.csv).rows.length,
      sameAsFirst: d.csv === first?.csv,
    }));

    const verification = await steps.run(
      "Verify the receipt offline",
      async () => {
        return verifyReceipt(committed.receipt, {
          contract: signed.contract,
          trustedAuthorities: [room.authority.url],
          caCertPem: room.ca.certPem,
          outputBlobs: Object.fromEntries(decrypted.map((d) => [d.blobName, d.ciphertextSha256])),
        });
      },
      (v) => (v.ok ? `${v.passed.length} checks passed` : `FAILED at ${v.failure.check}`),
    );
    summary.receipt = verification.ok
      ? { ok: true, passed: verification.passed }
      : { ok: false, passed: verification.passed, failure: verification.failure };

    await io.hooks?.afterRun?.({ room, parties, contract: signed.contract, approvals: signed.approvals, run, output });
    summary.ok = verification.ok && decrypted.length > 0 && summary.recipients.every((r) => r.sameAsFirst);
    return summary;
  } finally {
    // Timed as a step so the table adds up; close() is idempotent, so a Ctrl-C cleanup racing it is harmless.
    await steps.run("Stop the local clean room", () => room.close()).catch(() => undefined);
    summary.totalMs = steps.totalMs;
  }
}

function describeError(err: unknown): NonNullable<DemoSummary["error"]> {
  if (err instanceof RuntimeError) {
    return {
      code: err.code,
      step: err.step,
      ...(err.party !== undefined ? { party: err.party } : {}),
      ...(err.dataset !== undefined ? { dataset: err.dataset } : {}),
      message: err.message,
    };
  }
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === "string" ? code : "DEMO_FAILED", message: err instanceof Error ? err.message : String(err) };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
