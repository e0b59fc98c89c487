// Nothing secret in anything a run leaves behind or prints: the demo as a user runs it (stdout and
// stderr of `npm run demo`, happy and --tamper), the demo's wiring in-process (its report, every
// enclave log event, every output blob with its metadata), and failure cases on the same room (an
// expired attestation token, the wrong party's key released for a dataset, a recipient decrypting
// with a key that is not its own), each error's message, cause chain and util.inspect rendering.
// None may contain a sample plaintext value or row of the parties' datasets, private key material,
// or a whole signed token (the receipt alone carries the attestation token, by design).
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { METADATA_KEY } from "../../enclave-app/src/envelope/index.ts";
import { approveContract } from "../../enclave-app/src/demo/contract.ts";
import { ENCLAVE_PRINCIPAL } from "../../enclave-app/src/demo/cleanroom.ts";
import { runDemo } from "../../enclave-app/src/demo/demo.ts";
import type { DemoParty } from "../../enclave-app/src/demo/parties.ts";
import { decryptResultBlob, listBlobs } from "../../enclave-app/src/demo/results.ts";
import { newRunId, OUTPUT_CONTAINER, runEnclave } from "../../enclave-app/src/demo/run-enclave.ts";
import { fraudScenario } from "../../enclave-app/src/demo/scenarios/index.ts";
import { localCredential, localKeyClient } from "../../enclave-app/src/local/local-clients.ts";
import type { Contract } from "../../enclave-app/src/protocol/index.ts";
import { LocalAttester } from "../../enclave-app/src/runtime/attest/local.ts";
import type { RunEvent } from "../../enclave-app/src/runtime/events.ts";
import { runCollaboration } from "../../enclave-app/src/runtime/pipeline.ts";
import { NO_RETRY } from "../../enclave-app/src/runtime/retry/policy.ts";
import { blobStoreFromServiceClient } from "../../enclave-app/src/runtime/storage/blob-store.ts";
import { BlobServiceClient } from "@azure/storage-blob";
import { csvCells, csvRows, formatFindings, scanForLeaks, type LeakSource } from "../helpers/leak-scan.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROWS = 2_000;
const SEED = 13;

function runDemoProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["enclave-app/src/demo/main.ts", ...args], { cwd: ROOT, timeout: 110_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** What an operator sees of an error: message, every cause's message, and the inspected object (stack, fields). */
function errorText(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(`${e.name}: ${e.message}`);
  return `${messages.join("\ncaused by ")}\n${inspect(err, { depth: 8 })}`;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

describe("leak scan: demo output, logs, errors and blobs", () => {
  it("no sample plaintext, private key or whole token outside the receipt, in success and in failure", async () => {
    // The very plaintext the parties encrypt in these runs (same generator, rows and seed).
    const data = fraudScenario.generate({ rows: ROWS, seed: SEED });
    const csv = Object.fromEntries(data.map((d) => [d.dataset, Buffer.concat(d.chunks).toString("utf8")]));
    const plaintextValues = [
      ...csvCells(csv.bank_transactions!, ["customer_pid", "amount"]),
      ...csvCells(csv.insurer_claims!, ["customer_pid", "claim_amount"]),
    ];
    const plaintextRows = [...csvRows(csv.bank_transactions!), ...csvRows(csv.insurer_claims!)];
    // The scan must have something to find: pseudonyms and amounts from both parties.
    expect(plaintextValues.length).toBeGreaterThan(2 * ROWS);

    const sources: LeakSource[] = [];
    const events: RunEvent[] = [];
    const failures: Record<string, unknown> = {};
    const log = new PassThrough();
    const logChunks: Buffer[] = [];
    log.on("data", (c: Buffer) => logChunks.push(c));

    const [child, childTamper] = await Promise.all([
      runDemoProcess(["--rows", String(ROWS), "--seed", String(SEED), "--json"]),
      runDemoProcess(["--rows", String(ROWS), "--seed", String(SEED), "--tamper", "bank", "--json"]),
    ]);
    expect(child.code, child.stderr).toBe(0);
    expect(childTamper.code).toBe(1);
    sources.push(
      { name: "demo stdout", text: child.stdout },
      { name: "demo stderr", text: child.stderr },
      { name: "demo --tamper stdout", text: childTamper.stdout },
      { name: "demo --tamper stderr", text: childTamper.stderr },
    );

    const summary = await runDemo(
      { scenario: fraudScenario, rows: ROWS, seed: SEED, json: true },
      {
        log,
        hooks: {
          onEnclaveEvent: (e) => events.push(e),
          async afterRun({ room, parties, contract, approvals, output }) {
            for (const name of await listBlobs(output)) {
              const blob = output.getBlockBlobClient(name);
              const props = await blob.getProperties();
              sources.push(
                { name: `blob ${name}`, text: await blob.downloadToBuffer(), allowSignedTokens: name.endsWith("receipt.json") },
                { name: `metadata of ${name}`, text: JSON.stringify(props.metadata ?? {}) },
              );
            }
            const enclave = (c: Contract, attester: LocalAttester) =>
              runCollaboration({
                contract: c,
                approvals,
                runId: newRunId(),
                attester,
                keyClientFor: (vaultUrl) => localKeyClient({ url: vaultUrl, caCertPem: room.ca.certPem }, localCredential(ENCLAVE_PRINCIPAL)),
                trustedRoots: [room.ca.certPem],
                storage: blobStoreFromServiceClient(BlobServiceClient.fromConnectionString(room.azurite.connectionString)),
                outputContainer: OUTPUT_CONTAINER,
                scratchDir: room.scratchDir,
                duckdb: { memoryLimit: "1GB", threads: 2 },
                sql: c.sql,
                enclaveImage: c.enclave.image,
                authorizationRetry: NO_RETRY,
                onEvent: (e) => events.push(e),
              });
            // An expired attestation token: every vault refuses release.
            failures["expired token"] = await failure(
              enclave(contract, new LocalAttester({ authority: room.authority, mode: contract.attestation.mode, tokenOverrides: { expiresInSeconds: -120 } })),
            );
            // The wrong key: the contract (re-approved) names the insurer's key for the bank and vice versa.
            const bank = contract.parties.find((p) => p.name === "bank")!;
            const insurer = contract.parties.find((p) => p.name === "insurer")!;
            const swapped: Contract = {
              ...contract,
              parties: contract.parties.map((p) => (p.name === "bank" ? { ...p, kek: insurer.kek } : p.name === "insurer" ? { ...p, kek: bank.kek } : p)),
            };
            const reapproved = await approveContract(swapped, parties);
            failures["wrong key"] = await failure(
              runEnclave({ room, contract: reapproved.contract, approvals: reapproved.approvals, runId: newRunId(), onEvent: (e) => events.push(e) }),
            );
            // A content key that the owner's released key cannot unwrap (metadata rewritten after approval;
            // the contract pins the ciphertext, not the metadata): the key is released, then unwrapping fails.
            const bankData = contract.datasets.find((d) => d.owner === "bank")!;
            const [bankContainer, ...bankName] = bankData.blobPath.split("/");
            const bankBlob = BlobServiceClient.fromConnectionString(room.azurite.connectionString).getContainerClient(bankContainer!).getBlockBlobClient(bankName.join("/"));
            const meta = (await bankBlob.getProperties()).metadata!;
            const envelope = JSON.parse(meta[METADATA_KEY]!) as { WrappedContentKey: { EncryptedKey: string } };
            envelope.WrappedContentKey.EncryptedKey = randomBytes(384).toString("base64");
            await bankBlob.setMetadata({ ...meta, [METADATA_KEY]: JSON.stringify(envelope) });
            failures["content key under another key"] = await failure(runEnclave({ room, contract, approvals, runId: newRunId(), onEvent: (e) => events.push(e) }));
            // A recipient with a key that is not its own.
            const result = (await listBlobs(output)).find((n) => n.endsWith("result.bank.csv"))!;
            const bankParty = parties.find((p) => p.name === "bank")!;
            const outsider: DemoParty = { ...bankParty, kek: { ...bankParty.kek, privateKey: generateKeyPairSync("rsa", { modulusLength: 3072 }).privateKey } };
            failures["recipient with the wrong key"] = await failure(decryptResultBlob(output, result, outsider));
          },
        },
      },
    );
    expect(summary.ok).toBe(true);
    sources.push({ name: "in-process report", text: Buffer.concat(logChunks).toString("utf8") }, { name: "in-process summary", text: JSON.stringify(summary) });
    sources.push({ name: "enclave events", text: events.map((e) => JSON.stringify(e)).join("\n") });
    for (const [name, err] of Object.entries(failures)) sources.push({ name: `error: ${name}`, text: errorText(err) });

    // Each failure case failed for its own reason (else the scan covers a case that never happened).
    expect(failures["expired token"]).toMatchObject({ code: "KEY_RELEASE_DENIED" });
    expect(errorText(failures["expired token"])).toMatch(/expired/);
    // Refused before any release: the dataset's envelope names another key than the contract.
    expect(failures["wrong key"]).toMatchObject({ code: "DATASET_METADATA_INVALID", party: "bank" });
    expect(failures["content key under another key"]).toMatchObject({ code: "KEY_UNWRAP_FAILED", party: "bank" });
    expect((failures["recipient with the wrong key"] as { code?: string }).code).toBe("KEY_UNWRAP_FAILED");
    expect(childTamper.stdout).toMatch(/DATASET_INTEGRITY/);
    // The scan sees the happy run's outputs and the enclave's own logging.
    expect(sources.filter((s) => s.name.startsWith("blob ")).length).toBeGreaterThanOrEqual(3);
    expect(events.length).toBeGreaterThan(20);

    const findings = scanForLeaks(sources, { plaintextValues, plaintextRows });
    expect(findings, formatFindings(findings)).toEqual([]);
    console.info(`leak scan: content key under another key -> ${(failures["content key under another key"] as { code?: string }).code}; ${sources.length} sources, ${Math.round(sources.reduce((n, s) => n + s.text.length, 0) / 1024)} KiB, ${plaintextValues.length} values and ${plaintextRows.length} rows looked for`);
  }, 180_000);

  it("the scanner finds what it looks for (so an empty result above means something)", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = privateKey.export({ format: "jwk" });
    const jws = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString("base64url")}.${Buffer.from('{"x-ms-attestation-type":"sevsnpvm"}').toString("base64url")}.${"s".repeat(43)}`;
    const sources: LeakSource[] = [
      { name: "a", text: "row 2,a8d1abc7d47455b8,north,602.64,fuel" },
      { name: "b", text: privateKey.export({ format: "pem", type: "pkcs8" }) as string },
      { name: "c", text: JSON.stringify(jwk) },
      { name: "d", text: `token ${jws} end` },
      { name: "e", text: `receipt ${jws}`, allowSignedTokens: true },
      { name: "f", text: "took 1602.6412 ms, digest a8d1abc7d47455b8aa, 602.640" },
    ];
    const findings = scanForLeaks(sources, { plaintextValues: ["a8d1abc7d47455b8", "602.64"], plaintextRows: ["2,a8d1abc7d47455b8,north,602.64,fuel"] });
    expect(findings.map((f) => `${f.source}:${f.kind}`).sort()).toEqual(["a:plaintext-row", "a:plaintext-value", "a:plaintext-value", "b:private-key", "c:private-key", "d:signed-token"]);
    // Findings never carry the secret in full.
    expect(formatFindings(findings)).not.toContain("a8d1abc7d47455b8");
  });
});
