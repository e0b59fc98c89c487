// `cleanroom receipt verify` as a user runs it: the real bin, files on disk, exit codes.
import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractHash } from "../../enclave-app/src/protocol/index.ts";
import { generateRuntimeKeys, runtimeDataFor } from "../../enclave-app/src/runtime/attest/attester.ts";
import { buildReceipt } from "../../enclave-app/src/runtime/receipt/build.ts";
import { signReceipt } from "../../enclave-app/src/runtime/receipt/sign.ts";
import type { Receipt } from "../../enclave-app/src/receipt/index.ts";
import { makeContract, makeParty } from "./helpers/contract.ts";

const BIN = resolve(import.meta.dirname, "../../enclave-app/bin/cleanroom.ts");
const AUTHORITY = "https://cleanroomtest.weu.attest.azure.net";
const run = promisify(execFile);

let dir: string;
let receipt: Receipt;
const ciphertext = Buffer.from("encrypted result for bank");

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cleanroom-cli-receipt-"));
  const maa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(join(dir, "jwks.json"), JSON.stringify({ keys: [{ ...maa.publicKey.export({ format: "jwk" }), kid: "k1" }] }));
  const contract = makeContract({
    parties: [makeParty("bank"), makeParty("insurer")],
    datasets: [{ name: "sales", owner: "bank", blobPath: "bank-in/s.enc", format: "csv", schema: [{ name: "region", type: "VARCHAR" }], ciphertextSha256: "3".repeat(64), plaintextLength: 9 }],
    sql: "SELECT region, count(*) AS n FROM sales GROUP BY region",
    recipients: ["bank"],
    authority: AUTHORITY,
  });
  await writeFile(join(dir, "contract.json"), JSON.stringify(contract));
  const keys = generateRuntimeKeys({ rsaBits: 2048 }).keys;
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    "x-ms-attestation-type": "azurevm",
    "x-ms-isolation-tee": { "x-ms-attestation-type": "sevsnpvm", "x-ms-compliance-status": "azure-compliant-cvm", "x-ms-sevsnpvm-is-debuggable": false },
    "x-ms-runtime": runtimeDataFor(keys),
  })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer(AUTHORITY)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(maa.privateKey);
  const hash = contractHash(contract);
  const blobName = `${hash}/job-7/result.bank.csv`;
  receipt = await signReceipt(
    buildReceipt({
      contract,
      contractHash: hash,
      runId: "job-7",
      startedAt: new Date(),
      finishedAt: new Date(),
      attester: { kind: "local", mode: "confidential-node", keyBinding: "runtime-keys", signing: keys.signing },
      token,
      datasets: [{ name: "sales", rowCount: 2 }],
      keysReleased: [],
      outputs: [{ recipient: "bank", container: "output", blobName, ciphertextSha256: createHash("sha256").update(ciphertext).digest("hex"), ciphertextLength: ciphertext.length }],
      rowsReleased: 1,
      rowsSuppressed: 0,
    }),
    keys.signing.privateKey,
    keys.signing.kid,
  );
  await writeFile(join(dir, "receipt.json"), JSON.stringify(receipt, null, 2));
  await writeFile(join(dir, "edited.json"), JSON.stringify({ ...receipt, runId: "job-8" }));
  // confidential-container: a receipt whose token shows another container policy than the contract pins.
  const approvedHostdata = "a".repeat(64);
  const containerContract = { ...contract, attestation: { authority: AUTHORITY, mode: "confidential-container" as const, hostdata: approvedHostdata } };
  await writeFile(join(dir, "container-contract.json"), JSON.stringify(containerContract));
  const otherPolicyToken = await new SignJWT({
    "x-ms-attestation-type": "sevsnpvm",
    "x-ms-compliance-status": "azure-compliant-uvm",
    "x-ms-sevsnpvm-hostdata": "b".repeat(64),
    "x-ms-sevsnpvm-is-debuggable": false,
    "x-ms-runtime": runtimeDataFor(keys),
  })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer(AUTHORITY)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(maa.privateKey);
  const containerHash = contractHash(containerContract);
  const containerReceipt = await signReceipt(
    buildReceipt({
      contract: containerContract,
      contractHash: containerHash,
      runId: "job-9",
      startedAt: new Date(),
      finishedAt: new Date(),
      attester: { kind: "sidecar", mode: "confidential-container", keyBinding: "runtime-keys", signing: keys.signing },
      token: otherPolicyToken,
      datasets: [{ name: "sales", rowCount: 2 }],
      keysReleased: [],
      outputs: [{ recipient: "bank", container: "output", blobName: `${containerHash}/job-9/result.bank.csv`, ciphertextSha256: createHash("sha256").update(ciphertext).digest("hex"), ciphertextLength: ciphertext.length }],
      rowsReleased: 1,
      rowsSuppressed: 0,
    }),
    keys.signing.privateKey,
    keys.signing.kid,
  );
  await writeFile(join(dir, "container-receipt.json"), JSON.stringify(containerReceipt));
  await mkdir(join(dir, "good"));
  await writeFile(join(dir, "good", "result.bank.csv"), ciphertext);
  await mkdir(join(dir, "bad"));
  await writeFile(join(dir, "bad", "result.bank.csv"), Buffer.from("something else"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("cleanroom receipt verify", () => {
  it("exits 0 and summarises a valid receipt checked against the contract and the outputs", async () => {
    const r = await cli("receipt", "verify", "receipt.json", "--jwks", "jwks.json", "--contract", "contract.json", "--outputs", "good");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^receipt OK: collaboration runtime-test/);
    expect(r.stdout).toMatch(/checks passed: .*output-digest/);
  });

  it("exits 1 naming the first failed check", async () => {
    const tampered = await cli("receipt", "verify", "edited.json", "--jwks", "jwks.json");
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/RECEIPT_INVALID: receipt check "receipt-signature" failed/);
    const wrongOutput = await cli("receipt", "verify", "receipt.json", "--jwks", "jwks.json", "--outputs", "bad");
    expect(wrongOutput.code).toBe(1);
    expect(wrongOutput.stderr).toMatch(/receipt check "output-digest" failed: output ".*result.bank.csv" has SHA-256/);
  });

  it("exits 1 when the token's container policy hash (hostdata) is not the contract's", async () => {
    const r = await cli("receipt", "verify", "container-receipt.json", "--jwks", "jwks.json", "--contract", "container-contract.json");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/receipt check "attestation-policy" failed: .*x-ms-sevsnpvm-hostdata must equal the contract's attestation.hostdata "aaaaaaaaaaaaaaaa…aaaaaaaa".*the token has "bbbbbbbbbbbbbbbb…bbbbbbbb"/);
    expect(r.stderr).not.toContain("b".repeat(64));
  });

  it("exits 2 on a receipt that gives a key twice, naming it", async () => {
    const text = await readFile(join(dir, "receipt.json"), "utf8");
    await writeFile(join(dir, "twice.json"), text.replace(/^\{/, '{"contractHash":"00",'));
    const r = await cli("receipt", "verify", "twice.json", "--jwks", "jwks.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/receipt \S*twice\.json gives the key "contractHash" twice at the top level/);
  });

  it("exits 2 when it is not told whose signature to trust", async () => {
    const r = await cli("receipt", "verify", "receipt.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--jwks <file>, --authority <url> or --contract <file>/);
  });

  it("prints the result as JSON on request", async () => {
    const r = await cli("receipt", "verify", "receipt.json", "--jwks", "jwks.json", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, passed: expect.arrayContaining(["receipt-signature"]) });
  });
});
