// One measurement in a fresh process: `node bench/worker.ts '<json spec>'`. Set-up (keys, servers,
// uploads) is not timed; the timed section is described per kind below. Prints one line
// `BENCH_RESULT {...}` with the elapsed milliseconds, the bytes processed and the process's peak RSS.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { BlobServiceClient } from "@azure/storage-blob";
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_REGION_SIZE, decryptStream, parseEncryptionData, serializeEncryptionData, unwrapContentKey, type EncryptionData } from "../enclave-app/src/envelope/index.ts";
import { parseContract, type Contract } from "../enclave-app/src/protocol/index.ts";
import { LocalAttester, LOCAL_AUTHORIZATION_RETRY, blobStoreFromServiceClient, runCollaboration, type BlobStore } from "../enclave-app/src/runtime/index.ts";
import { localCredential, localKeyClient } from "../enclave-app/src/local/index.ts";
import { ENCLAVE_PRINCIPAL, startLocalCleanRoom } from "../enclave-app/src/demo/cleanroom.ts";
import { LOCAL_ENCLAVE_IMAGE, approveContract } from "../enclave-app/src/demo/contract.ts";
import type { DemoParty } from "../enclave-app/src/demo/parties.ts";
import { provisionPartyKek } from "../enclave-app/src/demo/party-keys.ts";
import { fraudDefinition } from "../enclave-app/src/demo/scenarios/index.ts";
import type { BenchFormat, BenchStorage } from "./lib/args.ts";
import { FileBlobStore } from "./lib/file-blob-store.ts";
import { loadFixture, plainReader, type Fixture } from "./lib/fixture.ts";

export type WorkerSpec =
  | { kind: "aes"; threads: number; bytes: number; workingSetBytes: number }
  | { kind: "reader"; fixtureDir: string; format: BenchFormat }
  | { kind: "pipeline"; fixtureDir: string; format: BenchFormat; storage: BenchStorage; threads: number; memoryLimit: string }
  | { kind: "duckdb"; fixtureDir: string; format: BenchFormat; mode: "direct" | "load"; threads: number; memoryLimit: string };

export interface WorkerResult {
  ms: number;
  bytes: number;
  /** Peak RSS of this process over its whole life (getrusage), KiB. */
  maxRssKiB: number;
  /** RSS just before the timed section, KiB (the set-up's share of the peak is at most this). */
  rssBeforeKiB: number;
  detail?: Record<string, unknown>;
}

const MEMORY_DIR = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const rssKiB = () => Math.round(process.memoryUsage.rss() / 1024);

/** Decrypted plaintext in /dev/shm must not outlive an interrupted run (Ctrl-C reaches the whole group). */
const scratchDirs = new Set<string>();
async function scratch(prefix: string, parent = MEMORY_DIR): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  scratchDirs.add(dir);
  return dir;
}
async function removeScratch(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  scratchDirs.delete(dir);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

// ---------------------------------------------------------------- (1) AES-256-GCM alone
// Each thread owns `workingSetBytes / threads` of distinct 4 MiB ciphertext regions (each with its
// own nonce and tag, as the format has), far larger than any CPU cache, and decrypts regions from
// it, round-robin, until it has done its share of `bytes`; the output of each region is a fresh
// buffer, as in the reader. Timed: from the start signal to the last thread's end.
interface AesJob { regions: number; distinct: number }
function aesThread(): void {
  const { regions, distinct } = workerData as AesJob;
  const key = randomBytes(32);
  const set: { nonce: Buffer; ct: Buffer; tag: Buffer }[] = [];
  for (let i = 0; i < distinct; i++) {
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, nonce);
    const ct = Buffer.concat([c.update(randomBytes(DEFAULT_REGION_SIZE)), c.final()]);
    set.push({ nonce, ct, tag: c.getAuthTag() });
  }
  parentPort!.once("message", () => {
    const t0 = performance.now();
    for (let i = 0; i < regions; i++) {
      const r = set[i % distinct]!;
      const d = createDecipheriv("aes-256-gcm", key, r.nonce);
      d.setAuthTag(r.tag);
      d.update(r.ct);
      d.final();
    }
    parentPort!.postMessage(performance.now() - t0);
  });
  parentPort!.postMessage("ready");
}

async function measureAes(spec: Extract<WorkerSpec, { kind: "aes" }>): Promise<WorkerResult> {
  const totalRegions = Math.max(spec.threads, Math.ceil(spec.bytes / DEFAULT_REGION_SIZE));
  const distinctTotal = Math.max(spec.threads, Math.ceil(spec.workingSetBytes / DEFAULT_REGION_SIZE));
  const workers = Array.from({ length: spec.threads }, (_, i) => {
    const regions = Math.floor(totalRegions / spec.threads) + (i < totalRegions % spec.threads ? 1 : 0);
    const distinct = Math.max(1, Math.min(regions, Math.floor(distinctTotal / spec.threads)));
    return { regions, worker: new Worker(new URL(import.meta.url), { workerData: { regions, distinct } satisfies AesJob }) };
  });
  await Promise.all(workers.map(({ worker }) => new Promise<void>((res, rej) => { worker.once("message", () => res()); worker.once("error", rej); })));
  const rssBeforeKiB = rssKiB();
  const t0 = performance.now();
  const done = workers.map(({ worker }) => new Promise<number>((res, rej) => { worker.once("message", (ms: number) => res(ms)); worker.once("error", rej); }));
  for (const { worker } of workers) worker.postMessage("go");
  await Promise.all(done);
  const ms = performance.now() - t0;
  await Promise.all(workers.map(({ worker }) => worker.terminate()));
  const bytes = workers.reduce((n, w) => n + w.regions * DEFAULT_REGION_SIZE, 0);
  return { ms, bytes, maxRssKiB: process.resourceUsage().maxRSS, rssBeforeKiB, detail: { threads: spec.threads, workingSetMiB: (distinctTotal * DEFAULT_REGION_SIZE) / 2 ** 20 } };
}

// ---------------------------------------------------------------- (2) the reader
// The envelope's decryptStream, as the pipeline calls it (contract sha256 and length enforced):
// from the local ciphertext file (64 KiB reads) into a new file (0600) in a memory-backed
// directory, every dataset in turn. The content keys are unwrapped before the clock starts.
async function measureReader(spec: Extract<WorkerSpec, { kind: "reader" }>): Promise<WorkerResult> {
  const fixture = await loadFixture(spec.fixtureDir);
  const jobs = fixture.datasets.map((d) => {
    const file = d.files[spec.format];
    const party = fixture.parties.find((p) => p.name === d.owner)!;
    const ed = file.encryptionData;
    const cek = unwrapContentKey(Buffer.from(ed.WrappedContentKey.EncryptedKey, "base64"), {
      kek: createPrivateKey(party.kekPrivatePem),
      algorithm: ed.WrappedContentKey.Algorithm,
      protocol: ed.EncryptionAgent.Protocol,
    });
    return { d, file, cek };
  });
  const dir = await scratch("cleanroom-bench-reader-");
  try {
    const rssBeforeKiB = rssKiB();
    const t0 = performance.now();
    for (const { d, file, cek } of jobs) {
      await decryptStream(createReadStream(file.cipherPath), createWriteStream(join(dir, `${d.name}.${spec.format}`), { flags: "wx", mode: 0o600 }), {
        cek,
        encryptionData: file.encryptionData,
        expectedSha256: file.ciphertextSha256,
        expectedLength: file.plaintextLength,
      });
    }
    const ms = performance.now() - t0;
    const bytes = jobs.reduce((n, j) => n + j.file.plaintextLength, 0);
    return { ms, bytes, maxRssKiB: process.resourceUsage().maxRSS, rssBeforeKiB };
  } finally {
    await removeScratch(dir);
  }
}

// ---------------------------------------------------------------- (3) the enclave pipeline
// Set-up: the local clean room (CA, Azurite, attestation authority, one Key Vault stand-in per
// party), each party's fixture KEK imported with its release policy, the ciphertext put in storage
// (Azurite: uploaded; file: hard-linked into a FileBlobStore) with `encryptiondata` naming this
// run's key id, the contract built and signed by every owner. Timed: runCollaboration, i.e. load,
// approvals, attest, download + release + decrypt, DuckDB (load tables, approved SQL), privacy
// guard, encrypt to each recipient, upload, signed receipt.
function withKeyId(ed: EncryptionData, keyId: string): string {
  return serializeEncryptionData(parseEncryptionData(JSON.stringify({ ...ed, WrappedContentKey: { ...ed.WrappedContentKey, KeyId: keyId } })));
}

async function measurePipeline(spec: Extract<WorkerSpec, { kind: "pipeline" }>): Promise<WorkerResult> {
  const fixture = await loadFixture(spec.fixtureDir);
  const room = await startLocalCleanRoom(fixture.parties.map((p) => p.name));
  const storeRoot = spec.storage === "file" ? await scratch("store-", fixture.dir) : undefined;
  try {
    const attestation = { authority: room.authority.url, mode: "confidential-node" as const };
    const parties: DemoParty[] = [];
    for (const p of fixture.parties) {
      const kekPrivate: KeyObject = createPrivateKey(p.kekPrivatePem);
      const signingPrivate = createPrivateKey(p.signingPrivatePem);
      const kekPublic = createPublicKey(kekPrivate);
      const party: DemoParty = {
        name: p.name,
        label: p.name,
        signing: { privateKey: signingPrivate, publicJwk: createPublicKey(signingPrivate).export({ format: "jwk" }) },
        kek: { privateKey: kekPrivate, publicKey: kekPublic, publicJwk: kekPublic.export({ format: "jwk" }) },
      };
      await provisionPartyKek({ party, vault: room.vaults.get(p.name)!, attestation, enclavePrincipal: ENCLAVE_PRINCIPAL });
      parties.push(party);
    }
    const keyIdOf = (owner: string) => parties.find((p) => p.name === owner)!.kek.keyId!;

    let storage: BlobStore;
    const service = BlobServiceClient.fromConnectionString(room.azurite.connectionString);
    if (spec.storage === "file") {
      const store = new FileBlobStore(storeRoot!);
      for (const d of fixture.datasets) {
        const f = d.files[spec.format];
        await store.linkExisting(d.container, f.blobName, f.cipherPath, { encryptiondata: withKeyId(f.encryptionData, keyIdOf(d.owner)) });
      }
      storage = store;
    } else {
      for (const d of fixture.datasets) {
        const f = d.files[spec.format];
        const container = service.getContainerClient(d.container);
        await container.createIfNotExists();
        await container.getBlockBlobClient(f.blobName).uploadFile(f.cipherPath, {
          metadata: { encryptiondata: withKeyId(f.encryptionData, keyIdOf(d.owner)) },
          blobHTTPHeaders: { blobContentType: "application/octet-stream" },
        });
      }
      await service.getContainerClient("output").createIfNotExists();
      storage = blobStoreFromServiceClient(service);
    }

    const contract: Contract = parseContract({
      version: "1.0",
      collaboration: `${fraudDefinition.collaboration}-bench`,
      parties: parties.map((p) => ({ name: p.name, signingKey: p.signing.publicJwk, kek: { keyId: p.kek.keyId, publicKey: p.kek.publicJwk } })),
      datasets: fixture.datasets.map((d) => ({
        name: d.name,
        owner: d.owner,
        blobPath: `${d.container}/${d.files[spec.format].blobName}`,
        format: spec.format,
        schema: d.schema,
        ciphertextSha256: d.files[spec.format].ciphertextSha256,
        plaintextLength: d.files[spec.format].plaintextLength,
      })),
      sql: fixture.sql,
      privacy: fraudDefinition.privacy,
      recipients: fraudDefinition.recipients,
      enclave: { image: LOCAL_ENCLAVE_IMAGE },
      attestation,
    });
    const signed = await approveContract(contract, parties);
    const attester = new LocalAttester({ authority: { url: room.authority.url, caCertPem: room.ca.certPem }, mode: "confidential-node" });
    const credential = localCredential(ENCLAVE_PRINCIPAL);
    const scratchDir = await scratch("cleanroom-bench-scratch-");
    try {
      const rssBeforeKiB = rssKiB();
      const t0 = performance.now();
      const result = await runCollaboration({
        contract: JSON.parse(JSON.stringify(signed.contract)),
        approvals: JSON.parse(JSON.stringify(signed.approvals)),
        runId: `bench-${Date.now().toString(36)}`,
        attester,
        keyClientFor: (vaultUrl) => localKeyClient({ url: vaultUrl, caCertPem: room.ca.certPem }, credential),
        trustedRoots: [room.ca.certPem],
        storage,
        outputContainer: "output",
        scratchDir,
        duckdb: { memoryLimit: spec.memoryLimit, threads: spec.threads },
        sql: signed.contract.sql,
        enclaveImage: signed.contract.enclave.image,
        authorizationRetry: LOCAL_AUTHORIZATION_RETRY,
      });
      const ms = performance.now() - t0;
      const bytes = fixture.datasets.reduce((n, d) => n + d.files[spec.format].plaintextLength, 0);
      return {
        ms,
        bytes,
        maxRssKiB: process.resourceUsage().maxRSS,
        rssBeforeKiB,
        detail: { stepsMs: result.durationsMs, rowsReleased: result.rowsReleased, rowsSuppressed: result.rowsSuppressed },
      };
    } finally {
      await removeScratch(scratchDir);
    }
  } finally {
    await room.close();
    if (storeRoot !== undefined) await removeScratch(storeRoot);
  }
}

// ---------------------------------------------------------------- (4) the DuckDB baseline
// The same SQL over the same plaintext files, with the enclave's DuckDB settings (threads,
// memory_limit, temp_directory in a memory-backed directory). "direct": one VIEW per dataset over
// read_csv/read_parquet, so the query reads the files itself; "load": CREATE TABLE AS from the
// same reader plus count(*), as the enclave's SQL session does, then the query. Timed: from
// opening DuckDB to the last result row read.
async function measureDuckdb(spec: Extract<WorkerSpec, { kind: "duckdb" }>): Promise<WorkerResult> {
  const fixture: Fixture = await loadFixture(spec.fixtureDir);
  const temp = await scratch("cleanroom-bench-duckdb-");
  try {
    await mkdir(join(temp, "tmp"));
    const rssBeforeKiB = rssKiB();
    const t0 = performance.now();
    const instance = await DuckDBInstance.create(":memory:", { temp_directory: join(temp, "tmp"), memory_limit: spec.memoryLimit, threads: String(spec.threads) });
    const conn = await instance.connect();
    let rowsLoaded = 0;
    for (const d of fixture.datasets) {
      const reader = plainReader(spec.format, d.files[spec.format].plainPath, d.schema);
      if (spec.mode === "direct") await conn.run(`CREATE VIEW "${d.name}" AS SELECT * FROM ${reader}`);
      else {
        await conn.run(`CREATE TABLE "${d.name}" AS SELECT * FROM ${reader}`);
        rowsLoaded += Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM "${d.name}"`)).getRowsJS()[0]?.[0] ?? 0);
      }
    }
    const rows = (await conn.runAndReadAll(fixture.sql)).getRowsJson();
    const ms = performance.now() - t0;
    conn.closeSync();
    instance.closeSync();
    const bytes = fixture.datasets.reduce((n, d) => n + d.files[spec.format].plaintextLength, 0);
    return { ms, bytes, maxRssKiB: process.resourceUsage().maxRSS, rssBeforeKiB, detail: { resultRows: rows.length, ...(spec.mode === "load" ? { rowsLoaded } : {}) } };
  } finally {
    await removeScratch(temp);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "") as WorkerSpec;
  let result: WorkerResult;
  switch (spec.kind) {
    case "aes": result = await measureAes(spec); break;
    case "reader": result = await measureReader(spec); break;
    case "pipeline": result = await measurePipeline(spec); break;
    case "duckdb": result = await measureDuckdb(spec); break;
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

if (!isMainThread) aesThread();
else if (import.meta.main) await main();

