// runCollaboration end to end on the local clean room: Azurite, the simulated attestation authority,
// one Key Vault stand-in per party (real release-policy enforcement), DuckDB. Small data.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptStream, parseEncryptionData, unwrapContentKey } from "../../enclave-app/src/envelope/index.ts";
import { startAttestationAuthority, type LocalAttestationAuthority } from "../../enclave-app/src/local/attestation-authority.ts";
import { localCredential, localKeyClient } from "../../enclave-app/src/local/local-clients.ts";
import type { Approvals, Contract, DatasetSpec, IsolationMode } from "../../enclave-app/src/protocol/index.ts";
import type { Attester } from "../../enclave-app/src/runtime/attest/attester.ts";
import { CvmSkrAttester } from "../../enclave-app/src/runtime/attest/cvm-skr.ts";
import { LocalAttester, type SimulatedTokenRequest } from "../../enclave-app/src/runtime/attest/local.ts";
import { ccePolicyHostdata, contractHash, formatPartySigners, parsePartySigners } from "../../enclave-app/src/protocol/index.ts";
import { HostdataMismatchError, RuntimeError } from "../../enclave-app/src/runtime/errors.ts";
import type { RunEvent } from "../../enclave-app/src/runtime/events.ts";
import { runCollaboration, type RunOptions } from "../../enclave-app/src/runtime/pipeline.ts";
import { verifyReceipt } from "../../enclave-app/src/receipt/index.ts";
import { parseKeyVaultKeyId as parseKeyId } from "../../enclave-app/src/protocol/key-id.ts";
import { blobStoreFromServiceClient, type BlobStore } from "../../enclave-app/src/runtime/storage/blob-store.ts";
import { makeContract, makeParty, type TestParty } from "./helpers/contract.ts";
import { installFakeTools } from "./helpers/fake-tools.ts";
import { ENCLAVE_PRINCIPAL, approveAll, container, listBlobs, provisionKek, startRoom, uploadDataset, type LocalRoom } from "./helpers/local-room.ts";

const SALES_CSV = "customer_id,name,region,amount\n1,Zed Secretson,north,10\n2,Ann Other,north,20\n3,Bo Third,south,5\n4,Cy Fourth,south,7\n5,Di Fifth,east,1\n6,Ed Sixth,north,3\n";
const CLAIMS_CSV = "customer_id,claim\n1,100\n2,50\n3,10\n4,20\n5,999\n6,1\n";
const SQL =
  "SELECT s.region, count(*)::BIGINT AS n, sum(c.claim)::DOUBLE AS total FROM sales s JOIN claims c USING (customer_id) GROUP BY s.region ORDER BY s.region";

let room: LocalRoom;
let bank: TestParty;
let insurer: TestParty;
let auditor: TestParty;
let storage: BlobStore;
let outputCounter = 0;

interface Scenario {
  contract: Contract;
  approvals: Approvals;
}

beforeAll(async () => {
  room = await startRoom(["bank", "insurer"]);
  bank = makeParty("bank");
  insurer = makeParty("insurer");
  auditor = makeParty("auditor");
  storage = blobStoreFromServiceClient(room.service);
});

afterAll(async () => {
  await room?.close();
});

/** The parties' side: keys with this attestation policy, encrypted uploads, contract, approvals. */
async function scenario(opts: { mode?: IsolationMode; hostdata?: string; tag: string; sql?: string; tamperSales?: boolean }): Promise<Scenario> {
  const mode = opts.mode ?? "confidential-node";
  const attestation = { authority: room.authority.url, mode, ...(mode === "confidential-container" ? { hostdata: opts.hostdata ?? "a".repeat(64) } : {}) };
  await provisionKek(room, bank, attestation);
  await provisionKek(room, insurer, attestation);
  const datasets: DatasetSpec[] = [
    await uploadDataset(
      room,
      bank,
      { name: "sales", blobPath: `bank-in/${opts.tag}/sales.csv.enc`, schema: [{ name: "customer_id", type: "BIGINT" }, { name: "name", type: "VARCHAR" }, { name: "region", type: "VARCHAR" }, { name: "amount", type: "DOUBLE" }] },
      SALES_CSV,
    ),
    await uploadDataset(room, insurer, { name: "claims", blobPath: `insurer-in/${opts.tag}/claims.csv.enc`, schema: [{ name: "customer_id", type: "BIGINT" }, { name: "claim", type: "DOUBLE" }] }, CLAIMS_CSV),
  ];
  if (opts.tamperSales) datasets[0] = { ...datasets[0]!, ciphertextSha256: "0".repeat(64) };
  const contract = makeContract({
    parties: [bank, insurer, auditor],
    datasets,
    sql: opts.sql ?? SQL,
    recipients: ["bank", "auditor"],
    authority: room.authority.url,
    mode,
    ...(attestation.hostdata ? { hostdata: attestation.hostdata } : {}),
    minGroupSize: 2,
  });
  return { contract, approvals: await approveAll(contract, [bank, insurer]) };
}

interface Run {
  opts: RunOptions;
  events: RunEvent[];
  outputContainer: string;
  calls: { attest: number; keyClients: number };
}

async function prepareRun(s: Scenario, over: { attester?: Attester; tokenOverrides?: Partial<SimulatedTokenRequest>; authority?: LocalAttestationAuthority; hostdata?: string } & Partial<RunOptions> = {}): Promise<Run> {
  const outputContainer = `out-${++outputCounter}`;
  await container(room, outputContainer);
  const events: RunEvent[] = [];
  const calls = { attest: 0, keyClients: 0 };
  const inner: Attester =
    over.attester ??
    new LocalAttester({
      // The simulated authority's in-process door when a test shapes the token, HTTPS otherwise.
      authority: over.tokenOverrides || over.authority ? (over.authority ?? room.authority) : { url: room.authority.url, caCertPem: room.ca.certPem },
      mode: s.contract.attestation.mode,
      ...((over.hostdata ?? s.contract.attestation.hostdata) ? { hostdata: (over.hostdata ?? s.contract.attestation.hostdata)! } : {}),
      ...(over.tokenOverrides ? { tokenOverrides: over.tokenOverrides } : {}),
    });
  const counting: Attester = {
    kind: inner.kind,
    mode: inner.mode,
    keyBinding: inner.keyBinding,
    signing: inner.signing,
    attest: (o: { nonce?: string }) => {
      calls.attest++;
      return inner.attest(o);
    },
    ...(inner.unwrapReleasedKey ? { unwrapReleasedKey: (keyHsm: string) => inner.unwrapReleasedKey!(keyHsm) } : {}),
    ...(inner.unwrapContentKeys ? { unwrapContentKeys: (req: Parameters<NonNullable<Attester["unwrapContentKeys"]>>[0]) => inner.unwrapContentKeys!(req) } : {}),
  };
  const credential = localCredential(ENCLAVE_PRINCIPAL);
  const opts: RunOptions = {
    contract: JSON.parse(JSON.stringify(s.contract)),
    approvals: JSON.parse(JSON.stringify(s.approvals)),
    runId: `job-${outputCounter}`,
    attester: counting,
    keyClientFor: (vaultUrl) => {
      calls.keyClients++;
      return localKeyClient({ url: vaultUrl, caCertPem: room.ca.certPem }, credential);
    },
    trustedRoots: [room.ca.certPem],
    storage,
    outputContainer,
    scratchDir: room.scratchDir,
    duckdb: { memoryLimit: "256MB", threads: 1 },
    onEvent: (e) => events.push(e),
    ...over,
  };
  return { opts, events, outputContainer, calls };
}

async function decryptAs(party: TestParty, blobName: string, outputContainer: string): Promise<string> {
  const blob = room.service.getContainerClient(outputContainer).getBlockBlobClient(blobName);
  const props = await blob.getProperties();
  const encryptionData = parseEncryptionData(props.metadata!["encryptiondata"]!);
  const cek = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
    kek: party.kek.privateKey,
    algorithm: encryptionData.WrappedContentKey.Algorithm,
    protocol: encryptionData.EncryptionAgent.Protocol,
  });
  const chunks: Buffer[] = [];
  await decryptStream(Readable.from([await blob.downloadToBuffer()]), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }), { cek, encryptionData });
  return Buffer.concat(chunks).toString("utf8");
}

async function expectFailure(run: Run, code: string): Promise<RuntimeError> {
  const err = await runCollaboration(run.opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).code).toBe(code);
  // Nothing written, nothing left behind.
  expect(await listBlobs(room.service.getContainerClient(run.outputContainer))).toEqual([]);
  expect(await readdir(room.scratchDir)).toEqual([]);
  return err as RuntimeError;
}

describe("runCollaboration on the local clean room", () => {
  let happy: Scenario;

  beforeAll(async () => {
    happy = await scenario({ tag: "happy" });
  });

  it("computes, suppresses small groups, encrypts to each recipient and commits a verifiable receipt", async () => {
    const run = await prepareRun(happy);
    const result = await runCollaboration(run.opts);
    expect(result.rowsReleased).toBe(2);
    expect(result.rowsSuppressed).toBe(1);

    const names = await listBlobs(room.service.getContainerClient(run.outputContainer));
    expect(names.sort()).toEqual([`${result.contractHash}/${run.opts.runId}/receipt.json`, `${result.contractHash}/${run.opts.runId}/result.auditor.csv`, `${result.contractHash}/${run.opts.runId}/result.bank.csv`].sort());

    const expected = "region,n,total\nnorth,3,151\nsouth,2,30\n";
    expect(await decryptAs(bank, `${result.contractHash}/${run.opts.runId}/result.bank.csv`, run.outputContainer)).toBe(expected);
    expect(await decryptAs(auditor, `${result.contractHash}/${run.opts.runId}/result.auditor.csv`, run.outputContainer)).toBe(expected);
    // A data owner that is not a recipient cannot open either result.
    await expect(decryptAs(insurer, `${result.contractHash}/${run.opts.runId}/result.bank.csv`, run.outputContainer)).rejects.toThrow();

    // The receipt in the container verifies offline, with the authority's keys fetched over HTTPS.
    const out = room.service.getContainerClient(run.outputContainer);
    const receipt = JSON.parse((await out.getBlockBlobClient(result.receiptBlobName).downloadToBuffer()).toString("utf8"));
    const outputBlobs = Object.fromEntries(await Promise.all(result.outputs.map(async (o) => [o.blobName, await out.getBlockBlobClient(o.blobName).downloadToBuffer()] as const)));
    const verified = await verifyReceipt(receipt, { contract: happy.contract, caCertPem: room.ca.certPem, outputBlobs });
    expect(verified.ok ? "ok" : verified.failure).toBe("ok");
    expect(receipt.datasets.map((d: { rowCount: number }) => d.rowCount)).toEqual([6, 6]);
    expect(receipt.keysReleased.map((k: { party: string; mechanism: string }) => `${k.party}:${k.mechanism}`)).toEqual(["bank:released-key", "insurer:released-key"]);

    // Logs: steps and timings, never rows, names or whole tokens.
    // (timestamps left out: "151" is a sample amount, and also a millisecond count)
    const log = JSON.stringify(run.events.map(({ time: _time, ...e }) => e));
    expect(log).not.toMatch(/Secretson|north|151/);
    expect(log).not.toContain(receipt.attestation.token);
    expect(run.events.filter((e) => e.event === "done").map((e) => e.step)).toEqual(
      expect.arrayContaining(["load", "approvals", "attest", "release", "decrypt", "sql", "privacy", "encrypt", "upload", "receipt", "run"]),
    );
    // Both vaults are asked at once (Key Vault flow), and both datasets decrypted at once.
    for (const step of ["release", "decrypt"]) {
      const marks = run.events.filter((e) => e.step === step && (e.event === "start" || e.event === "done")).map((e) => e.event);
      expect(marks, step).toEqual(["start", "start", "done", "done"]);
    }
    expect(await readdir(room.scratchDir)).toEqual([]);
  });

  it.each([
    ["a debuggable enclave", { debuggable: true }, /x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable/],
    ["an expired token", { expiresInSeconds: -120 }, /expired/],
    ["a token without runtime keys", { runtimeKeys: [] }, /x-ms-runtime.keys/],
  ] as const)("fails when Key Vault refuses release for %s, writing nothing", async (_label, tokenOverrides, why) => {
    const run = await prepareRun(happy, { tokenOverrides: tokenOverrides as Partial<SimulatedTokenRequest> });
    const err = await expectFailure(run, "KEY_RELEASE_DENIED");
    expect(err.party).toBe("bank");
    expect(err.message).toMatch(why);
  });

  it("fails when the token comes from another attestation authority", async () => {
    const rogue = await startAttestationAuthority({ ca: room.ca });
    try {
      const run = await prepareRun(happy, { authority: rogue });
      const err = await expectFailure(run, "KEY_RELEASE_DENIED");
      expect(err.message).toMatch(/not trusted by this vault|authority/);
    } finally {
      await rogue.close();
    }
  });

  it("fails when the container policy (hostdata) differs from the one the keys require", async () => {
    const container = await scenario({ tag: "hostdata", mode: "confidential-container", hostdata: "a".repeat(64) });
    const run = await prepareRun(container, { hostdata: "b".repeat(64) });
    const err = await expectFailure(run, "KEY_RELEASE_DENIED");
    expect(err.message).toMatch(/x-ms-sevsnpvm-hostdata/);
    // The enclave refuses on its own, after attesting and before asking any vault.
    expect(err).toBeInstanceOf(HostdataMismatchError);
    expect(err).toMatchObject({ step: "attest", claim: "x-ms-sevsnpvm-hostdata", expected: "a".repeat(64), actual: "b".repeat(64) });
    expect(err.message).toContain(`"${"a".repeat(16)}…${"a".repeat(8)}"`);
    expect(err.message).toContain(`"${"b".repeat(16)}…${"b".repeat(8)}"`);
    expect(err.message).not.toContain("b".repeat(64));
    expect(run.calls).toEqual({ attest: 1, keyClients: 0 });
    expect(run.events.some((e) => e.step === "release")).toBe(false);
    expect(run.events.at(-1)).toMatchObject({ level: "error", event: "failed", code: "KEY_RELEASE_DENIED", step: "attest" });
  });

  it("confidential-container: runs only a contract whose parties sign with the keys the container policy pins", async () => {
    const container = await scenario({ tag: "signers", mode: "confidential-container", hostdata: "c".repeat(64) });
    const pinned = parsePartySigners(formatPartySigners(container.contract.parties));
    const ok = await runCollaboration((await prepareRun(container, { partySigners: pinned })).opts);
    expect(ok.contractHash).toBe(contractHash(container.contract));

    // A deployer who brings a contract of their own (here: another key signing as "bank") is refused
    // before the enclave attests, so no vault is ever asked.
    const impostor = await prepareRun(container, { partySigners: { ...pinned, bank: pinned["insurer"]! } });
    const err = await expectFailure(impostor, "SIGNERS_MISMATCH");
    expect(err.message).toMatch(/\(CLEANROOM_PARTY_SIGNERS\): party "bank" signs with key [\w-]{43}, the pinned key is [\w-]{43}/);
    expect(impostor.calls).toEqual({ attest: 0, keyClients: 0 });
    const missing = await prepareRun(container, { partySigners: { ...pinned, hospital: "h".repeat(43) } });
    expect((await expectFailure(missing, "SIGNERS_MISMATCH")).message).toMatch(/pinned party "hospital" is missing from the contract/);
  });

  it("refuses before attesting or releasing when an approval is missing, for another contract, or the SQL differs", async () => {
    const { bank: _bankApproval, ...onlyInsurer } = happy.approvals;
    const missing = await prepareRun({ ...happy, approvals: onlyInsurer });
    expect((await expectFailure(missing, "APPROVALS_INVALID")).message).toMatch(/missing approval from bank/);
    expect(missing.calls).toEqual({ attest: 0, keyClients: 0 });

    const otherContract = { ...happy.contract, sql: `${SQL} LIMIT 1` };
    const forOther = await approveAll(otherContract, [bank, insurer]);
    const stale = await prepareRun({ contract: happy.contract, approvals: { ...happy.approvals, insurer: forOther["insurer"]! } });
    expect((await expectFailure(stale, "APPROVALS_INVALID")).message).toMatch(/insurer/);
    expect(stale.calls).toEqual({ attest: 0, keyClients: 0 });

    const differentSql = await prepareRun(happy, { sql: "SELECT name AS region, 99 AS n FROM sales" });
    await expectFailure(differentSql, "SQL_MISMATCH");
    expect(differentSql.calls).toEqual({ attest: 0, keyClients: 0 });
  });

  it("removes the results already uploaded when a later upload fails", async () => {
    let uploads = 0;
    const flaky: BlobStore = {
      ...storage,
      uploadNew: async (c, n, d, m) => {
        if (++uploads === 2) throw new Error("503 Server Busy");
        return storage.uploadNew(c, n, d, m);
      },
    };
    const run = await prepareRun(happy, { storage: flaky });
    const err = await expectFailure(run, "OUTPUT_FAILED");
    expect(err.step).toBe("upload");
    expect(run.events.some((e) => e.event === "output-removed")).toBe(true);
  });

  it("completes with a verifiable receipt when storage writes a blob but the answer is lost", async () => {
    const lost: string[] = [];
    const losing: BlobStore = {
      ...storage,
      uploadNew: async (c, n, d, m) => {
        await storage.uploadNew(c, n, d, m);
        lost.push(n);
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      },
    };
    const run = await prepareRun(happy, { storage: losing });
    const result = await runCollaboration(run.opts);
    expect(lost).toHaveLength(3);
    const out = room.service.getContainerClient(run.outputContainer);
    expect((await listBlobs(out)).sort()).toEqual([...lost].sort());
    const receipt = JSON.parse((await out.getBlockBlobClient(result.receiptBlobName).downloadToBuffer()).toString("utf8"));
    const outputBlobs = Object.fromEntries(await Promise.all(result.outputs.map(async (o) => [o.blobName, await out.getBlockBlobClient(o.blobName).downloadToBuffer()] as const)));
    const verified = await verifyReceipt(receipt, { contract: happy.contract, caCertPem: room.ca.certPem, outputBlobs });
    expect(verified.ok ? "ok" : verified.failure).toBe("ok");
  });

  it("a retry with the run id of a killed run (staged blobs, no receipt) removes them and commits; other runs untouched", async () => {
    const committed = await prepareRun(happy);
    const out = room.service.getContainerClient(committed.outputContainer);
    const committedResult = await runCollaboration(committed.opts);

    // The killed attempt: its results reached storage, then the process died before the receipt
    // (no cleanup ran: deletes do nothing).
    const killedStore: BlobStore = {
      ...storage,
      uploadNew: async (c, n, d, m) => {
        if (n.endsWith("/receipt.json")) throw new Error("SIGKILL");
        return storage.uploadNew(c, n, d, m);
      },
      deleteIfExists: async () => undefined,
    };
    const runId = "job-retried";
    const prefix = `${committedResult.contractHash}/${runId}/`;
    const killed = await prepareRun(happy, { storage: killedStore, runId, outputContainer: committed.outputContainer });
    await expect(runCollaboration(killed.opts)).rejects.toMatchObject({ step: "receipt" });
    const staged = (await listBlobs(out)).filter((n) => n.startsWith(prefix));
    expect(staged).toHaveLength(2);
    // A stray blob of that attempt the retry will not write again, and another run's uncommitted blob
    // whose run id merely starts the same.
    await out.getBlockBlobClient(`${prefix}result.former-recipient.csv`).uploadData(Buffer.from("stale"));
    const neighbour = `${committedResult.contractHash}/${runId}-2/result.bank.csv`;
    await out.getBlockBlobClient(neighbour).uploadData(Buffer.from("another run"));
    const untouched = async () =>
      Object.fromEntries(await Promise.all((await listBlobs(out)).filter((n) => !n.startsWith(prefix)).map(async (n) => [n, (await out.getBlockBlobClient(n).getProperties()).etag] as const)));
    const othersBefore = await untouched();
    const stagedEtags = await Promise.all(staged.map(async (n) => (await out.getBlockBlobClient(n).getProperties()).etag));

    const retry = await prepareRun(happy, { runId, outputContainer: committed.outputContainer });
    const result = await runCollaboration(retry.opts);
    expect((await listBlobs(out)).filter((n) => n.startsWith(prefix)).sort()).toEqual([...staged, result.receiptBlobName].sort());
    // The staged results were removed and written anew (new etags), and the receipt verifies against them.
    const newEtags = await Promise.all(staged.map(async (n) => (await out.getBlockBlobClient(n).getProperties()).etag));
    newEtags.forEach((etag, i) => expect(etag).not.toBe(stagedEtags[i]));
    const receipt = JSON.parse((await out.getBlockBlobClient(result.receiptBlobName).downloadToBuffer()).toString("utf8"));
    const outputBlobs = Object.fromEntries(await Promise.all(result.outputs.map(async (o) => [o.blobName, await out.getBlockBlobClient(o.blobName).downloadToBuffer()] as const)));
    const verified = await verifyReceipt(receipt, { contract: happy.contract, caCertPem: room.ca.certPem, outputBlobs });
    expect(verified.ok ? "ok" : verified.failure).toBe("ok");
    expect(retry.events.filter((e) => e.event === "uncommitted-removed").map((e) => e.detail).sort()).toEqual([...staged, `${prefix}result.former-recipient.csv`].sort());
    // The committed run and the neighbouring run are exactly as they were.
    expect(await untouched()).toEqual(othersBefore);
    expect(othersBefore).toHaveProperty([neighbour]);
    expect(othersBefore).toHaveProperty([committedResult.receiptBlobName]);
  });

  it("empties the scratch directory when a run starts, before any dataset is decrypted, even if the run then fails", async () => {
    // What a killed run leaves: its run directory with decrypted plaintext, and anything else.
    const killedDir = join(room.scratchDir, "run-killed");
    await mkdir(killedDir);
    await writeFile(join(killedDir, "sales.csv"), SALES_CSV);
    await writeFile(join(room.scratchDir, "stray.tmp"), "x");
    const seenAtDecrypt: string[][] = [];
    const run = await prepareRun(happy);
    const inner = run.opts.onEvent!;
    run.opts.onEvent = (e) => {
      if (e.step === "decrypt" && e.event === "start") seenAtDecrypt.push(readdirSync(room.scratchDir));
      inner(e);
    };
    await runCollaboration(run.opts);
    // Only this run's own directory is there when decryption starts.
    const own = [expect.stringMatching(/^run-(?!killed$)/)];
    expect(seenAtDecrypt).toEqual([own, own]);

    await writeFile(join(room.scratchDir, "stray.tmp"), "x");
    const { bank: _bankApproval, ...onlyInsurer } = happy.approvals;
    await expectFailure(await prepareRun({ ...happy, approvals: onlyInsurer }), "APPROVALS_INVALID");
  });

  it("never overwrites or deletes the outputs of an earlier run with the same run id", async () => {
    const first = await prepareRun(happy);
    await runCollaboration(first.opts);
    const before = await listBlobs(room.service.getContainerClient(first.outputContainer));
    const again = await prepareRun(happy, { runId: first.opts.runId, outputContainer: first.outputContainer });
    const err = await runCollaboration(again.opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "OUTPUT_FAILED" });
    expect((err as Error).message).toMatch(/already exists: outputs are never overwritten/);
    expect(await listBlobs(room.service.getContainerClient(first.outputContainer))).toEqual(before);
    // Refused at the start: no key is asked for a run that cannot commit.
    expect(err).toMatchObject({ step: "cleanup" });
    expect(again.calls).toEqual({ attest: 0, keyClients: 0 });
  });

  it.each([
    ["time", { timeoutSeconds: 1 }, "SELECT count(*)::BIGINT AS n, 'all' AS region FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = -1", /limits\.timeoutSeconds = 1 s/],
    ["row", { maxRows: 1 }, SQL, /limits\.maxRows = 1 rows/],
  ] as const)("fails a query over the contract's %s limit, naming it, and writes nothing", async (_label, limits, sql, named) => {
    const base = await scenario({ tag: `limit-${Object.keys(limits)[0]}`, sql });
    const contract: Contract = { ...base.contract, limits };
    const run = await prepareRun({ contract, approvals: await approveAll(contract, [bank, insurer]) });
    const err = await expectFailure(run, "SQL_LIMIT_EXCEEDED");
    expect(err.step).toBe("sql");
    expect(err.message).toMatch(named);
  });

  it("refuses a dataset whose ciphertext is not the one the contract pins", async () => {
    const tampered = await scenario({ tag: "tampered", tamperSales: true });
    const err = await expectFailure(await prepareRun(tampered), "DATASET_INTEGRITY");
    expect(err.dataset).toBe("sales");
  });

  it("refuses a result with a column outside the allow-list", async () => {
    const leaky = await scenario({ tag: "leaky", sql: "SELECT s.name, count(*)::BIGINT AS n FROM sales s GROUP BY s.name" });
    const err = await expectFailure(await prepareRun(leaky), "PRIVACY_REFUSED");
    expect(err.message).toMatch(/"name"/);
    expect(err.message).not.toContain("Secretson");
  });
});

describe("runCollaboration while role assignments propagate (403s retried within a bound)", () => {
  const RETRY = { maxElapsedMs: 2_000, initialDelayMs: 20, maxDelayMs: 200 };
  let s: Scenario;
  let bankKey: string;

  beforeAll(async () => {
    s = await scenario({ tag: "propagation" });
    bankKey = parseKeyId(bank.kek.keyId).name;
  });

  /** The vault of `party` answers 403 ForbiddenByRbac until its release role is granted after `denials` refusals. */
  function grantAfter(run: Run, party: TestParty, denials: number): { releaseCalls: () => number } {
    const vault = room.vaults.get(party.name)!;
    const keyName = parseKeyId(party.kek.keyId).name;
    vault.revokeRelease(keyName, ENCLAVE_PRINCIPAL);
    let calls = 0;
    const base = run.opts.keyClientFor!;
    run.opts.keyClientFor = (vaultUrl, p) => {
      const client = base(vaultUrl, p);
      if (p !== party.name) return client;
      return {
        vaultUrl: client.vaultUrl,
        releaseKey: async (name, token, o) => {
          if (++calls > denials) vault.grantRelease(keyName, ENCLAVE_PRINCIPAL);
          return client.releaseKey(name, token, o);
        },
      };
    };
    return { releaseCalls: () => calls };
  }

  it("releases once the enclave's release role has propagated, logging each retry", async () => {
    const run = await prepareRun(s, { authorizationRetry: RETRY });
    const bankCalls = grantAfter(run, bank, 2);
    const result = await runCollaboration(run.opts);
    expect(result.rowsReleased).toBe(2);
    expect(bankCalls.releaseCalls()).toBe(3);
    const retries = run.events.filter((e) => e.event === "authorization-retry");
    expect(retries.map((e) => [e.step, e.party])).toEqual([
      ["release", "bank"],
      ["release", "bank"],
    ]);
    expect(retries[0]!.detail).toMatch(new RegExp(`release of key "${bankKey}": HTTP 403 ForbiddenByRbac; retry 1 in \\d+ ms`));
  });

  it("fails after the bound naming the party, with the vault's 403, and writes nothing", async () => {
    const run = await prepareRun(s, { authorizationRetry: { maxElapsedMs: 300, initialDelayMs: 20, maxDelayMs: 80 } });
    const calls = grantAfter(run, bank, Number.POSITIVE_INFINITY);
    try {
      const err = await expectFailure(run, "KEY_RELEASE_DENIED");
      expect(err.party).toBe("bank");
      expect(err.message).toMatch(/party "bank": Key Vault .* answered HTTP 403/);
      expect(err.message).toMatch(/still HTTP 403 ForbiddenByRbac after \d+ attempt\(s\)/);
      expect(err.message).toMatch(/Caller is not authorized/);
      expect(calls.releaseCalls()).toBeGreaterThan(2);
    } finally {
      room.vaults.get("bank")!.grantRelease(bankKey, ENCLAVE_PRINCIPAL);
    }
  });

  it("does not retry a release-policy denial", async () => {
    const run = await prepareRun(s, { authorizationRetry: { maxElapsedMs: 60_000, initialDelayMs: 10_000 }, tokenOverrides: { debuggable: true } });
    const calls = grantAfter(run, bank, 0);
    const err = await expectFailure(run, "KEY_RELEASE_DENIED");
    expect(err.message).toMatch(/is-debuggable/);
    expect(calls.releaseCalls()).toBe(1);
    expect(run.events.some((e) => e.event === "authorization-retry")).toBe(false);
  });

  it("retries storage reads and writes that answer 403 AuthorizationPermissionMismatch", async () => {
    const pending = () => Object.assign(new Error("This request is not authorized to perform this operation using this permission."), { statusCode: 403, code: "AuthorizationPermissionMismatch" });
    const budget = { getProperties: 2, download: 1, uploadNew: 2 };
    const flaky: BlobStore = {
      getProperties: async (c, n) => (budget.getProperties-- > 0 ? Promise.reject(pending()) : storage.getProperties(c, n)),
      download: async (c, n, e) => (budget.download-- > 0 ? Promise.reject(pending()) : storage.download(c, n, e)),
      uploadNew: async (c, n, d, m) => (budget.uploadNew-- > 0 ? Promise.reject(pending()) : storage.uploadNew(c, n, d, m)),
      deleteIfExists: (c, n) => storage.deleteIfExists(c, n),
      list: (c, p) => storage.list(c, p),
    };
    const run = await prepareRun(s, { storage: flaky, authorizationRetry: RETRY });
    const result = await runCollaboration(run.opts);
    expect(result.rowsReleased).toBe(2);
    const retries = run.events.filter((e) => e.event === "authorization-retry");
    expect(retries.map((e) => e.step)).toEqual(["download", "download", "download", "upload", "upload"]);
    expect(retries[0]!.detail).toMatch(/^getProperties bank-in\/propagation\/sales.csv.enc: HTTP 403 AuthorizationPermissionMismatch/);
  });

  it("fails a write that stays forbidden past the bound, naming the blob, and leaves the output empty", async () => {
    const forbidden: BlobStore = {
      ...storage,
      uploadNew: async () => Promise.reject(Object.assign(new Error("This request is not authorized to perform this operation."), { statusCode: 403, code: "AuthorizationFailure" })),
    };
    const run = await prepareRun(s, { storage: forbidden, authorizationRetry: { maxElapsedMs: 200, initialDelayMs: 20, maxDelayMs: 50 } });
    const err = await expectFailure(run, "OUTPUT_FAILED");
    expect(err.step).toBe("upload");
    expect(err.message).toMatch(new RegExp(`storage uploadNew of ${run.outputContainer}/[0-9a-f]{64}/${run.opts.runId}/result\\.(bank|auditor)\\.csv: still HTTP 403 AuthorizationFailure`));
  });
});

describe("runCollaboration in confidential-node mode (AzureAttestSKR flow, fake tools)", () => {
  it("unwraps content keys through the tool, binds the receipt key by nonce, and the receipt verifies", async () => {
    const tools = await installFakeTools();
    try {
      const maa = "https://sharedweu.weu.attest.azure.net";
      const maaKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
      await writeFile(join(tools.dir, "maa.pem"), maaKey.privateKey.export({ format: "pem", type: "pkcs8" }) as string);
      const s = await scenario({ tag: "cvm" });
      // The tool "releases" each party's KEK by key URL, as Key Vault would to the vTPM.
      const map: Record<string, string> = {};
      for (const p of [bank, insurer]) {
        const path = join(tools.dir, `${p.name}.pem`);
        await writeFile(path, p.kek.privateKey.export({ format: "pem", type: "pkcs8" }) as string);
        map[p.kek.keyId] = path;
      }
      await writeFile(join(tools.dir, "keks.json"), JSON.stringify(map));
      const contract = { ...s.contract, attestation: { authority: maa, mode: "confidential-node" as const } };
      const approvals = await approveAll(contract, [bank, insurer]);
      const attester = new CvmSkrAttester({
        attestationUrl: maa,
        skrPath: tools.skrPath,
        attestationClientPath: tools.attestationClientPath,
        imdsClientId: "kubelet",
        env: { PATH: process.env["PATH"] ?? "", FAKE_SKR_KEK_MAP: join(tools.dir, "keks.json"), FAKE_SKR_LOG: tools.logPath, FAKE_AC_SIGNING_KEY_PEM: join(tools.dir, "maa.pem"), FAKE_AC_KID: "maa-1" },
      });
      const run = await prepareRun({ contract, approvals }, { attester, keyClientFor: undefined, trustedRoots: undefined });
      const result = await runCollaboration(run.opts);
      expect(result.receipt.keysReleased).toEqual([
        { party: "bank", keyId: bank.kek.keyId, mechanism: "azure-attest-skr" },
        { party: "insurer", keyId: insurer.kek.keyId, mechanism: "azure-attest-skr" },
      ]);
      expect(result.receipt.signer.binding).toBe("client-payload-nonce");
      expect(await decryptAs(bank, result.outputs[0]!.blobName, run.outputContainer)).toBe("region,n,total\nnorth,3,151\nsouth,2,30\n");
      const jwks = { keys: [{ ...maaKey.publicKey.export({ format: "jwk" }), kid: "maa-1" }] };
      const verified = await verifyReceipt(result.receipt, { jwks, contract });
      expect(verified.ok ? "ok" : verified.failure).toBe("ok");
    } finally {
      await tools.cleanup();
    }
  });
});

describe("main.ts, the Job entry point", () => {
  const MAIN = resolve(import.meta.dirname, "../../enclave-app/src/runtime/main.ts");
  // The runtime does not import the local clean room; its entry point hands the local clients in.
  const LOCAL_MAIN = resolve(import.meta.dirname, "../../enclave-app/src/local/enclave-main.ts");

  async function job(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const entry = env["CLEANROOM_ATTESTER"] === "local" ? LOCAL_MAIN : MAIN;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [entry], { env: { PATH: process.env["PATH"] ?? "", ...env } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("runs a collaboration from the Job environment with the local adapters", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cleanroom-job-"));
    try {
      const s = await scenario({ tag: "job" });
      await writeFile(join(dir, "contract.json"), JSON.stringify(s.contract));
      await writeFile(join(dir, "approvals.json"), JSON.stringify(s.approvals));
      await writeFile(join(dir, "ca.pem"), room.ca.certPem);
      await container(room, "job-output");
      const r = await job({
        CLEANROOM_CONTRACT: join(dir, "contract.json"),
        CLEANROOM_APPROVALS: join(dir, "approvals.json"),
        CLEANROOM_STORAGE_URL: room.azurite.blobEndpoint,
        CLEANROOM_STORAGE_CONNECTION_STRING: room.azurite.connectionString,
        CLEANROOM_OUTPUT_CONTAINER: "job-output",
        CLEANROOM_ATTESTER: "local",
        CLEANROOM_MAA_ENDPOINT: room.authority.url,
        CLEANROOM_LOCAL_CA_FILE: join(dir, "ca.pem"),
        CLEANROOM_LOCAL_PRINCIPAL: ENCLAVE_PRINCIPAL,
        CLEANROOM_SCRATCH_DIR: room.scratchDir,
        CLEANROOM_RUN_ID: "job-main-1",
        CLEANROOM_MEMORY_LIMIT: "256MB",
        CLEANROOM_THREADS: "1",
      });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.at(-1)).toMatchObject({ event: "run-complete", runId: "job-main-1", rowsReleased: 2, rowsSuppressed: 1 });
      expect(await listBlobs(room.service.getContainerClient("job-output"))).toHaveLength(3);
      expect(r.stdout).not.toMatch(/Secretson|north/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("confidential-container: reports the hostdata of the policy file it was started with, and exits 1 on another policy, writing nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cleanroom-job-cce-"));
    try {
      const approvedPolicy = Buffer.from("package policy\n# approved\n").toString("base64");
      const otherPolicy = Buffer.from("package policy\n# something else\n").toString("base64");
      const s = await scenario({ tag: "job-cce", mode: "confidential-container", hostdata: ccePolicyHostdata(approvedPolicy) });
      await writeFile(join(dir, "contract.json"), JSON.stringify(s.contract));
      await writeFile(join(dir, "approvals.json"), JSON.stringify(s.approvals));
      await writeFile(join(dir, "ca.pem"), room.ca.certPem);
      await writeFile(join(dir, "approved.b64"), `${approvedPolicy}\n`);
      await writeFile(join(dir, "other.b64"), `${otherPolicy}\n`);
      await container(room, "job-cce-output");
      const env = (policyFile: string, runId: string) => ({
        CLEANROOM_CONTRACT: join(dir, "contract.json"),
        CLEANROOM_APPROVALS: join(dir, "approvals.json"),
        CLEANROOM_STORAGE_URL: room.azurite.blobEndpoint,
        CLEANROOM_STORAGE_CONNECTION_STRING: room.azurite.connectionString,
        CLEANROOM_OUTPUT_CONTAINER: "job-cce-output",
        CLEANROOM_ATTESTER: "local",
        CLEANROOM_MAA_ENDPOINT: room.authority.url,
        CLEANROOM_LOCAL_CA_FILE: join(dir, "ca.pem"),
        CLEANROOM_LOCAL_PRINCIPAL: ENCLAVE_PRINCIPAL,
        CLEANROOM_LOCAL_CCE_POLICY_FILE: join(dir, policyFile),
        CLEANROOM_SCRATCH_DIR: room.scratchDir,
        CLEANROOM_RUN_ID: runId,
        CLEANROOM_MEMORY_LIMIT: "256MB",
        CLEANROOM_THREADS: "1",
      });
      const refused = await job(env("other.b64", "job-cce-other"));
      expect(refused.code).toBe(1);
      const line = JSON.parse(refused.stderr.trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ level: "error", code: "KEY_RELEASE_DENIED", step: "attest", claim: "x-ms-sevsnpvm-hostdata", runId: "job-cce-other" });
      expect(line["expected"]).toBe(`${ccePolicyHostdata(approvedPolicy).slice(0, 16)}…${ccePolicyHostdata(approvedPolicy).slice(-8)}`);
      expect(line["message"]).toMatch(/key release refused before asking any vault: x-ms-sevsnpvm-hostdata must equal/);
      expect(await listBlobs(room.service.getContainerClient("job-cce-output"))).toEqual([]);

      const ok = await job(env("approved.b64", "job-cce-approved"));
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(await listBlobs(room.service.getContainerClient("job-cce-output"))).toHaveLength(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a contract or approvals file with a key given twice (exit 2, the key named), writing nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cleanroom-job-dup-"));
    try {
      const s = await scenario({ tag: "job-dup" });
      // A reviewer reading the first `sql` and a hash over the last would disagree on what was approved.
      const contractText = JSON.stringify(s.contract).replace(/^\{/, '{"sql":"SELECT * FROM sales",');
      await writeFile(join(dir, "contract.json"), contractText);
      await writeFile(join(dir, "good-contract.json"), JSON.stringify(s.contract));
      const approvalsText = JSON.stringify(s.approvals).replace(/^\{"(\w+)":("[^"]*")/, '{"$1":$2,"$1":$2');
      await writeFile(join(dir, "approvals.json"), approvalsText);
      await writeFile(join(dir, "good-approvals.json"), JSON.stringify(s.approvals));
      await writeFile(join(dir, "ca.pem"), room.ca.certPem);
      await container(room, "job-dup-output");
      const env = (contract: string, approvals: string) => ({
        CLEANROOM_CONTRACT: join(dir, contract),
        CLEANROOM_APPROVALS: join(dir, approvals),
        CLEANROOM_STORAGE_URL: room.azurite.blobEndpoint,
        CLEANROOM_STORAGE_CONNECTION_STRING: room.azurite.connectionString,
        CLEANROOM_OUTPUT_CONTAINER: "job-dup-output",
        CLEANROOM_ATTESTER: "local",
        CLEANROOM_MAA_ENDPOINT: room.authority.url,
        CLEANROOM_LOCAL_CA_FILE: join(dir, "ca.pem"),
        CLEANROOM_LOCAL_PRINCIPAL: ENCLAVE_PRINCIPAL,
        CLEANROOM_SCRATCH_DIR: room.scratchDir,
        CLEANROOM_RUN_ID: "job-dup-1",
        CLEANROOM_MEMORY_LIMIT: "256MB",
        CLEANROOM_THREADS: "1",
      });
      const badContract = await job(env("contract.json", "good-approvals.json"));
      expect(badContract.code).toBe(2);
      const line = JSON.parse(badContract.stderr.trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ level: "error", code: "CONFIG_INVALID", variable: "CLEANROOM_CONTRACT" });
      expect(line["message"]).toMatch(/contract \S+contract\.json gives the key "sql" twice at the top level/);
      expect(line["message"]).not.toContain("SELECT");
      const badApprovals = await job(env("good-contract.json", "approvals.json"));
      expect(badApprovals.code).toBe(2);
      const approvalsLine = JSON.parse(badApprovals.stderr.trim()) as Record<string, unknown>;
      expect(approvalsLine).toMatchObject({ code: "CONFIG_INVALID", variable: "CLEANROOM_APPROVALS" });
      expect(approvalsLine["message"]).toMatch(/approvals \S+approvals\.json gives the key "\w+" twice/);
      expect(badApprovals.stderr).not.toMatch(/eyJ/);
      expect(await listBlobs(room.service.getContainerClient("job-dup-output"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("ends a failed run with one JSON error line on stderr and a non-zero status", async () => {
    const r = await job({ CLEANROOM_ATTESTER: "sidecar" });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", code: "CONFIG_INVALID", variable: "CLEANROOM_OUTPUT_CONTAINER" });
    expect(JSON.parse(lines[0]!).message).toMatch(/^CLEANROOM_OUTPUT_CONTAINER: is required/);
  });
});
