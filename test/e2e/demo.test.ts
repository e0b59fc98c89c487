// `npm run demo` end to end, as a user runs it: a child process on the project's Node 24, the
// whole local clean room, small --rows so the suite stays fast. The printed result is compared
// with an independent computation over the very plaintext the parties encrypted (regenerated
// here from the same seed).
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { DemoSummary } from "../../enclave-app/src/demo/demo.ts";
import { fraudScenario, rareDiseaseScenario } from "../../enclave-app/src/demo/scenarios/index.ts";
import { cents, expectedFraud, expectedRareDisease, type ExpectedGroup } from "./expected.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = "enclave-app/src/demo/main.ts";
/** Generous: the whole project's suites share two cores, and each run starts its own clean room. */
const CHILD_TIMEOUT = 120_000;

interface DemoRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runDemoProcess(args: string[]): Promise<DemoRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { cwd: ROOT, timeout: 110_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function summaryOf(run: DemoRun): DemoSummary {
  try {
    return JSON.parse(run.stdout) as DemoSummary;
  } catch {
    throw new Error(`demo printed no JSON summary (exit ${run.code}); stderr:\n${run.stderr}`);
  }
}

/** The released rows must be exactly the groups with count >= k, in the SQL's order, with exact values. */
function expectResultMatches(summary: DemoSummary, groups: ExpectedGroup[], keyColumns: string[], k: number): void {
  const result = summary.result!;
  const col = (name: string) => result.columns.indexOf(name);
  const released = groups.filter((g) => g.count >= k);
  const suppressed = groups.filter((g) => g.count < k);
  expect(result.rows.map((r) => keyColumns.map((c) => r[col(c)]).join("|"))).toEqual(released.map((g) => g.key));
  for (const [i, group] of released.entries()) {
    const row = result.rows[i]!;
    expect(Number(row[col(summary.privacy.countColumn)])).toBe(group.count);
    for (const [name, value] of Object.entries(group.values)) {
      const printed = row[col(name)]!;
      expect(name.endsWith("amount") ? cents(printed) : Number(printed), `${group.key} ${name}`).toBe(value);
    }
  }
  expect(summary.rowsReleased).toBe(released.length);
  expect(summary.rowsSuppressed).toBe(suppressed.length);
}

describe("npm run demo (end to end, child process)", () => {
  it("fraud: the decrypted result equals a direct computation, groups under k are suppressed, the receipt verifies", async () => {
    const rows = 20_000;
    const seed = 7;
    const run = await runDemoProcess(["--rows", String(rows), "--seed", String(seed), "--json"]);
    const summary = summaryOf(run);
    expect(run.code, run.stderr).toBe(0);
    expect(summary.ok).toBe(true);

    const groups = expectedFraud(fraudScenario.generate({ rows, seed }));
    // The seed must give both sides of k, or the check below proves nothing about suppression.
    expect(groups.some((g) => g.count >= 10) && groups.some((g) => g.count < 10)).toBe(true);
    expectResultMatches(summary, groups, ["region"], 10);

    expect(summary.recipients?.map((r) => r.party).sort()).toEqual(["bank", "insurer"]);
    expect(summary.recipients?.every((r) => r.sameAsFirst)).toBe(true);
    expect(summary.receipt?.ok).toBe(true);
    expect(summary.receipt?.passed).toEqual(expect.arrayContaining(["signer-binding", "contract-hash", "attestation-policy", "output-digest"]));
    expect(summary.outputBlobs.map((b) => b.split("/").pop()).sort()).toEqual(["receipt.json", "result.bank.csv", "result.insurer.csv"]);
    expect(summary.outputBlobs.every((b) => b.startsWith(`${summary.contractHash}/${summary.runId}/`))).toBe(true);
    // The human report goes to stderr with --json: it names each step and shows the suppression.
    expect(run.stderr).toMatch(/Run the enclave/);
    expect(run.stderr).toContain(`${summary.rowsSuppressed} row(s) suppressed`);
  }, CHILD_TIMEOUT);

  it("rare-disease: patients are deduplicated across the three hospitals and small groups suppressed", async () => {
    const rows = 3_000;
    const seed = 11;
    const run = await runDemoProcess(["--scenario", "rare-disease", "--rows", String(rows), "--seed", String(seed), "--json"]);
    const summary = summaryOf(run);
    expect(run.code, run.stderr).toBe(0);

    const data = rareDiseaseScenario.generate({ rows, seed });
    const groups = expectedRareDisease(data);
    expect(groups.some((g) => g.count >= 11) && groups.some((g) => g.count < 11)).toBe(true);
    expectResultMatches(summary, groups, ["diagnosis_code", "age_band"], 11);

    // Deduplication matters: counting records per hospital and adding would give a larger total.
    const naive = expectedRareDisease(data.slice(0, 1)).reduce((n, g) => n + g.count, 0) +
      expectedRareDisease(data.slice(1, 2)).reduce((n, g) => n + g.count, 0) +
      expectedRareDisease(data.slice(2)).reduce((n, g) => n + g.count, 0);
    expect(groups.reduce((n, g) => n + g.count, 0)).toBeLessThan(naive);

    expect(summary.recipients?.map((r) => r.party).sort()).toEqual(["hospital-a", "hospital-b", "hospital-c"]);
    expect(summary.receipt?.ok).toBe(true);
  }, CHILD_TIMEOUT);

  it("--tamper bank: the run fails naming the party and dataset, and the output container stays empty", async () => {
    const run = await runDemoProcess(["--rows", "2000", "--tamper", "bank", "--json"]);
    expect(run.code).not.toBe(0);
    const summary = summaryOf(run);
    expect(summary.ok).toBe(false);
    expect(summary.tamper).toMatchObject({ party: "bank", dataset: "bank_transactions", blobPath: "input-bank/transactions.csv" });
    expect(summary.error).toMatchObject({ code: "DATASET_INTEGRITY", party: "bank", dataset: "bank_transactions" });
    expect(summary.outputBlobs).toEqual([]);
    expect(summary.result).toBeUndefined();
    expect(run.stderr).toMatch(/party: bank, dataset: bank_transactions/);
    expect(run.stderr).toMatch(/Output container "output" after the failed run: empty/);
  }, CHILD_TIMEOUT);

  it("confidential-container: same result as confidential-node for the same seed, container-shaped token, hostdata pinned", async () => {
    const args = ["--rows", "4000", "--seed", "5", "--json"];
    const [node, container] = await Promise.all([runDemoProcess(args), runDemoProcess([...args, "--isolation", "confidential-container"])]);
    const nodeSummary = summaryOf(node);
    const containerSummary = summaryOf(container);
    expect(node.code, node.stderr).toBe(0);
    expect(container.code, container.stderr).toBe(0);
    expect(containerSummary.ok).toBe(true);
    expect(containerSummary.isolation).toBe("confidential-container");
    expect(nodeSummary.isolation).toBe("confidential-node");
    expect(containerSummary.result).toEqual(nodeSummary.result);
    expect(containerSummary.rowsReleased).toBe(nodeSummary.rowsReleased);
    expect(containerSummary.rowsSuppressed).toBe(nodeSummary.rowsSuppressed);
    // The contract pins the hash of the policy the enclave was started with.
    expect(containerSummary.containerPolicy).toMatchObject({ tampered: false });
    expect(containerSummary.containerPolicy?.startedHostdata).toBe(containerSummary.containerPolicy?.approvedHostdata);
    expect(containerSummary.containerPolicy?.approvedHostdata).toMatch(/^[0-9a-f]{64}$/);
    expect(containerSummary.receipt?.ok).toBe(true);
    expect(containerSummary.receipt?.passed).toEqual(expect.arrayContaining(["contract-hash", "attestation-policy", "output-digest"]));
    expect(container.stderr).toMatch(/isolation: confidential-container \(container policy SIMULATED\)/);
  }, CHILD_TIMEOUT);

  it("--format parquet: the parties encrypt Parquet, the contract pins it, and the result is the CSV run's", async () => {
    const args = ["--rows", "4000", "--seed", "9", "--json"];
    const [csv, parquet] = await Promise.all([runDemoProcess(args), runDemoProcess([...args, "--format", "parquet"])]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(parquet.code, parquet.stderr).toBe(0);
    const a = summaryOf(csv);
    const b = summaryOf(parquet);
    expect(b.ok).toBe(true);
    expect(b.datasets.map((d) => d.format)).toEqual(b.datasets.map(() => "parquet"));
    expect(b.datasets.every((d) => d.blobPath.endsWith(".parquet"))).toBe(true);
    expect(a.datasets.map((d) => d.format)).toEqual(a.datasets.map(() => "csv"));
    expect(b.result).toEqual(a.result);
    expect(b.rowsReleased).toBe(a.rowsReleased);
    expect(b.receipt?.ok).toBe(true);
    expect(parquet.stderr).toMatch(/Convert to Parquet/);
  }, CHILD_TIMEOUT);

  it("--tamper-policy: the enclave and every party's vault refuse on x-ms-sevsnpvm-hostdata, exit 1, nothing written", async () => {
    const run = await runDemoProcess(["--rows", "2000", "--isolation", "confidential-container", "--tamper-policy", "--json"]);
    expect(run.code).toBe(1);
    const summary = summaryOf(run);
    expect(summary.ok).toBe(false);
    expect(summary.containerPolicy?.tampered).toBe(true);
    expect(summary.containerPolicy?.startedHostdata).not.toBe(summary.containerPolicy?.approvedHostdata);
    expect(summary.error).toMatchObject({ code: "KEY_RELEASE_DENIED", step: "attest" });
    expect(summary.error?.message).toMatch(/x-ms-sevsnpvm-hostdata/);
    expect(summary.vaultAnswers?.map((a) => a.party).sort()).toEqual(["bank", "insurer"]);
    for (const answer of summary.vaultAnswers ?? []) {
      expect(answer).toMatchObject({ released: false, status: 403 });
      expect(answer.message).toMatch(/claim 'x-ms-sevsnpvm-hostdata' must equal/);
    }
    expect(summary.outputBlobs).toEqual([]);
    expect(summary.result).toBeUndefined();
    expect(run.stderr).toMatch(/x-ms-sevsnpvm-hostdata/);
    expect(run.stderr).toMatch(/Output container "output" after the failed run: empty/);
  }, CHILD_TIMEOUT);

  it("rejects --tamper-policy without --isolation confidential-container, before starting anything", async () => {
    const run = await runDemoProcess(["--tamper-policy"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--tamper-policy needs --isolation confidential-container/);
    expect(run.stdout).not.toMatch(/Start the local clean room/);
  });

  it("rejects a --tamper party that owns no dataset, naming the owners, before starting anything", async () => {
    const run = await runDemoProcess(["--tamper", "auditor"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--tamper must name a data owner of the fraud scenario \(bank, insurer\)/);
    expect(run.stdout).not.toMatch(/Start the local clean room/);
  });
});
