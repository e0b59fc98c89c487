// Differential privacy wired into the run: the engine bounds each unit's contribution (N rows per
// group, C groups per unit), the release adds noise and keeps only groups above the noisy threshold,
// and every run spends budget from a hash-chained, HMAC'd ledger in the output container: over budget,
// tampered, rolled back or deleted ledgers are refused, the first two before any key is released.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateContract, type Contract, type DatasetSpec, type DpRules } from "../../../enclave-app/src/protocol/index.ts";
import { QueryRefusedError, RuntimeError } from "../../../enclave-app/src/runtime/errors.ts";
import { runCollaboration } from "../../../enclave-app/src/runtime/pipeline.ts";
import { LedgerError } from "../../../enclave-app/src/runtime/privacy/dp/index.ts";
import { releaseWithDp } from "../../../enclave-app/src/runtime/privacy/dp-release.ts";
import { DP_SECRET_PARAMETER, planQuery } from "../../../enclave-app/src/runtime/sql/analysis/index.ts";
import { compute } from "../../../enclave-app/src/runtime/steps/compute.ts";
import { receiptSchema } from "../../../enclave-app/src/receipt/format.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { approveAll } from "../helpers/local-room.ts";
import { MemoryBlobStore, recordingReporter, scratchDir, storeDataset, toolAttester } from "./step-helpers.ts";

const bank = makeParty("bank");
const insurer = makeParty("insurer");

// 600 customers in three regions (200 each); customer 0 has 50 extra rows of 1000 in north (beyond
// N rows and the clamp), customer 1 also appears in south (beyond C = 1 group); customer 9999 is
// alone in west. Claims: every customer but 9999.
function salesCsv(): string {
  const rows = ["customer_id,region,amount"];
  for (let i = 0; i < 600; i++) rows.push(`${i},${["north", "south", "east"][i % 3]},10`);
  for (let j = 0; j < 50; j++) rows.push("0,north,1000");
  rows.push("1,south,10", "9999,west,10");
  return `${rows.join("\n")}\n`;
}
const CLAIMS_CSV = `customer_id,kind\n${Array.from({ length: 600 }, (_, i) => `${i},fire`).join("\n")}\n`;

const SALES: Omit<DatasetSpec, "ciphertextSha256" | "plaintextLength" | "owner" | "format"> = {
  name: "sales",
  blobPath: "bank-in/sales.csv.enc",
  schema: [{ name: "customer_id", type: "BIGINT" }, { name: "region", type: "VARCHAR" }, { name: "amount", type: "DOUBLE" }],
  analysis: {
    privacyUnit: "customer_id",
    dimensions: ["region"],
    joinColumns: ["customer_id"],
    aggregates: { amount: ["SUM", "AVG", "MAX"], customer_id: ["COUNT_DISTINCT"] },
    clamp: { amount: { min: 0, max: 100 } },
  },
};
const CLAIMS: typeof SALES = {
  name: "claims",
  blobPath: "insurer-in/claims.csv.enc",
  schema: [{ name: "customer_id", type: "BIGINT" }, { name: "kind", type: "VARCHAR" }],
  analysis: { privacyUnit: "customer_id", dimensions: ["kind"], joinColumns: ["customer_id"] },
};
const SQL = "SELECT s.region, count(DISTINCT s.customer_id) AS people, count(*) AS n, sum(s.amount) AS total, avg(s.amount) AS avg_amount FROM sales s JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region ORDER BY s.region";
const DP: DpRules = { epsilon: "1", delta: "1e-6", budget: { epsilon: "2", delta: "1e-5" }, maxGroupsPerUnit: 1, maxRowsPerUnit: 2 };

let store: MemoryBlobStore;
let datasets: DatasetSpec[];
let scratch: string | undefined;

beforeAll(async () => {
  store = new MemoryBlobStore();
  datasets = [(await storeDataset(store, bank, SALES, salesCsv())).spec, (await storeDataset(store, insurer, CLAIMS, CLAIMS_CSV)).spec];
});
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

function dpContract(sql = SQL, dp: DpRules = DP, collaboration = "dp-test"): Contract {
  const c = makeContract({ parties: [bank, insurer], datasets, sql, recipients: ["bank"], authority: "https://maa.example.test", allowedColumns: ["region", "people", "n", "total", "avg_amount", "top"] });
  return { ...c, collaboration, privacy: { ...c.privacy, mode: "dp", dp } };
}

async function run(contract: Contract, runId: string, expectedLedgerHead?: { seq: number; hash: string }) {
  const attester = toolAttester([bank, insurer]);
  scratch ??= await scratchDir();
  const before = store.names();
  const outcome = await runCollaboration({
    contract,
    approvals: await approveAll(contract, [bank, insurer]),
    runId,
    attester,
    storage: store,
    outputContainer: "results",
    scratchDir: scratch,
    ...(expectedLedgerHead ? { expectedLedgerHead } : {}),
  }).catch((e: unknown) => e);
  return { outcome, written: store.names().filter((n) => !before.includes(n)), unwrapped: attester.requests.length };
}

describe("differential privacy: the rewrite bounds what one unit contributes", () => {
  it("caps rows per unit and group at N, groups per unit at C, clamps values, and keeps only groups above tau", async () => {
    const contract = dpContract(SQL, { ...DP, epsilon: "1000000000", budget: { epsilon: "1000000000", delta: "1e-5" } });
    const verdict = await planQuery(contract);
    if (!verdict.ok || verdict.plan.mode !== "dp") throw new Error(`expected a dp plan: ${JSON.stringify(verdict)}`);
    // The secret is bound, never spliced into the SQL text.
    expect(verdict.plan.sql).toContain(`$${DP_SECRET_PARAMETER}`);
    scratch = await scratchDir();
    await writeFile(join(scratch, "sales.csv"), salesCsv());
    await writeFile(join(scratch, "claims.csv"), CLAIMS_CSV);
    const loaded = [
      { name: "sales", format: "csv" as const, schema: SALES.schema, path: join(scratch, "sales.csv") },
      { name: "claims", format: "csv" as const, schema: CLAIMS.schema, path: join(scratch, "claims.csv") },
    ];
    const { reporter } = recordingReporter();
    const result = await compute({ datasets: loaded, sql: verdict.plan.sql, scratch, parameters: { [DP_SECRET_PARAMETER]: "ab".repeat(32) } }, reporter);
    const exact = Object.fromEntries(result.rows.map((r) => [r[0], r.slice(1)]));
    // The exact bounded values the noise is added to. north: 200 units; customer 0's 51 rows count as
    // N = 2, its 1000s are clamped to 100 and its sum (10 + 50 * 100) capped at N * 100:
    // 199 * 10 + 200 = 2190.00 in cents. Customer 1 (east and south) counts in one group only.
    // west has no claim, so no row.
    expect(exact["north"]).toEqual(["200", "201", "219000", "219000", "201"]);
    expect(Object.keys(exact).sort()).toEqual(["east", "north", "south"]);
    expect(Number(exact["east"]![0]) + Number(exact["south"]![0])).toBe(400);
    // With epsilon 1e9 the noise scale is ~1e-4 of one cent, so the noise rounds to 0: what comes out is the bounded value, never the raw one
    // (raw north: 251 rows, sum 51,990).
    const released = releaseWithDp({ result, plan: verdict.plan.dp, dp: contract.privacy.dp!, k: 2, allowedColumns: contract.privacy.allowedColumns });
    const north = released.rows.find((r) => r[0] === "north")!;
    expect(north).toEqual(["north", "200", "201", 2190, Math.round((2190 / 201) * 100) / 100]);
    expect(released.columns.map((c) => `${c.name} ${c.type}`)).toEqual(["region VARCHAR", "people BIGINT", "n BIGINT", "total DOUBLE", "avg_amount DOUBLE"]);
    expect(released.spend).toEqual({ epsilon: "1000000000", delta: "0.000001", parts: 4 });
  });

  it("at epsilon 1 a group of one unit is not released and values carry noise scaled to the bounds", async () => {
    const contract = dpContract(SQL.replace("JOIN claims c ON s.customer_id = c.customer_id ", "JOIN claims c USING (customer_id) ").replace("s.customer_id)", "customer_id)"), DP, "dp-noise");
    const { outcome, written } = await run(contract, "noise-1");
    expect(outcome).not.toBeInstanceOf(Error);
    const result = outcome as Awaited<ReturnType<typeof runCollaboration>>;
    expect(result.rowsReleased).toBe(3);
    // The receipt states the spend and the ledger head, not how many groups were withheld.
    const privacy = receiptSchema.parse(result.receipt).privacy;
    expect(privacy).not.toHaveProperty("rowsSuppressed");
    expect(privacy.dp).toMatchObject({ epsilon: "1", delta: "0.000001", tau: "56", budget: { epsilon: "2", delta: "1e-5" }, ledger: { seq: 1, spent: { epsilon: "1", delta: "0.000001" } } });
    expect(written.filter((n) => n.includes("/_ledger/"))).toHaveLength(1);
  });
});

describe("differential privacy: the budget ledger", () => {
  it("spends epsilon per run and refuses the run that would exceed the budget before any key is released, writing nothing", async () => {
    const contract = dpContract(SQL, DP, "dp-budget");
    const first = await run(contract, "b-1");
    const second = await run(contract, "b-2");
    expect((second.outcome as { receipt: { privacy: { dp: { ledger: { seq: number } } } } }).receipt.privacy.dp.ledger.seq).toBe(2);
    expect(first.unwrapped).toBe(2);
    const third = await run(contract, "b-3");
    expect(third.outcome).toBeInstanceOf(LedgerError);
    expect(third.outcome).toMatchObject({ code: "PRIVACY_REFUSED", reason: "budget-exhausted" });
    expect((third.outcome as Error).message).toMatch(/refused before any key release: this run \(epsilon 1, delta 0\.000001\) would go over the budget: epsilon 3 exceeds the collaboration budget 2/);
    expect(third.unwrapped).toBe(0);
    expect(third.written).toEqual([]);
  });

  it("refuses an altered, forged, rolled-back or deleted ledger, writing nothing", async () => {
    const contract = dpContract(SQL, { ...DP, budget: { epsilon: "10", delta: "1e-5" } }, "dp-tamper");
    const ok = (await run(contract, "t-1")).outcome as { receipt: { contractHash: string; privacy: { dp: { ledger: { seq: number; hash: string } } } } };
    await run(contract, "t-2");
    const hash = ok.receipt.contractHash;
    const entry = (seq: number) => `${hash}/_ledger/0000000${seq}.json`;
    const original = store.blobs.get(`results/${entry(2)}`)!;
    const edit = async (change: (record: { entry: Record<string, unknown>; hash: string; signature: string }) => void, label: string) => {
      const record = JSON.parse(original.data.toString("utf8"));
      change(record);
      store.put("results", entry(2), Buffer.from(JSON.stringify(record)), {});
      const attempt = await run(contract, `t-${label}`);
      store.put("results", entry(2), original.data, {});
      return attempt;
    };

    // Spending rewritten down: the hash no longer matches, refused before any key release.
    const altered = await edit((r) => (r.entry.epsilon = "0.001"), "altered");
    expect(altered.outcome).toMatchObject({ reason: "bad-hash", seq: 2 });
    expect([altered.unwrapped, altered.written.length]).toEqual([0, 0]);

    // A consistent entry (hash recomputed) without the ledger key: caught after release, before decrypting.
    const { entryHash } = await import("../../../enclave-app/src/runtime/privacy/dp/ledger.ts");
    const forged = await edit((r) => {
      r.entry.epsilon = "0.001";
      r.hash = entryHash(r.entry as never);
    }, "forged");
    expect(forged.outcome).toMatchObject({ reason: "bad-signature", seq: 2 });
    expect(forged.written).toEqual([]);

    // Rolled back to entry 1: only a party that remembers the later head can tell; the run is refused.
    const head2 = JSON.parse(original.data.toString("utf8")).hash as string;
    await store.deleteIfExists("results", entry(2));
    const rolledBack = await run(contract, "t-rollback", { seq: 2, hash: head2 });
    expect(rolledBack.outcome).toMatchObject({ reason: "rollback" });
    expect(rolledBack.written).toEqual([]);

    // The whole chain deleted while receipts of this contract exist: refused as a missing chain.
    await store.deleteIfExists("results", entry(1));
    const deleted = await run(contract, "t-deleted");
    expect(deleted.outcome).toMatchObject({ reason: "missing-chain" });
    expect([deleted.unwrapped, deleted.written.length]).toEqual([0, 0]);
  });
});

describe("differential privacy: what the query and the contract may say", () => {
  it.each([
    ["MAX has no bounded noisy form", "SELECT s.region, max(s.amount) AS top FROM sales s JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region", "dp-aggregate"],
    ["datasets joined on something other than the unit", "SELECT s.region, count(*) AS n FROM sales s JOIN claims c ON s.customer_id = c.customer_id AND s.region = c.kind GROUP BY s.region", "join-column-not-allowed"],
    ["ORDER BY an aggregate", "SELECT s.region, count(*) AS n FROM sales s JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region ORDER BY n", "dp-order-by-aggregate"],
  ])("refuses %s before any key release", async (_what, sql, rule) => {
    const { outcome, unwrapped, written } = await run(dpContract(sql, DP, "dp-refuse"), "refused");
    expect(outcome).toBeInstanceOf(QueryRefusedError);
    expect((outcome as QueryRefusedError).problems.map((p) => p.rule)).toContain(rule);
    expect([unwrapped, written.length]).toEqual([0, 0]);
  });

  it("refuses datasets whose privacy units are not joined to each other", async () => {
    const claimsByKind = datasets.map((d) => (d.name === "claims" ? { ...d, analysis: { ...d.analysis!, privacyUnit: "kind", dimensions: [], joinColumns: ["customer_id"] } } : d));
    const contract = { ...dpContract(), datasets: claimsByKind };
    const verdict = await planQuery({ ...contract, sql: "SELECT s.region, count(*) AS n FROM sales s JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region" });
    expect(verdict.ok ? [] : verdict.problems.map((p) => p.rule)).toEqual(["dp-unit-join"]);
  });

  it("states each contract rule of the dp mode at its path", () => {
    const base = dpContract();
    const rules = (c: unknown) => {
      const check = validateContract(c);
      return check.ok ? [] : check.issues.map((i) => `${i.path} ${i.rule}`);
    };
    expect(rules(base)).toEqual([]);
    const { dp: _dp, ...noRules } = base.privacy;
    expect(rules({ ...base, privacy: noRules })).toEqual(["privacy.dp dp-rules-missing"]);
    const { mode: _mode, ...noMode } = base.privacy;
    expect(rules({ ...base, privacy: noMode })).toEqual(["privacy.mode dp-mode-missing"]);
    const withDp = (dp: Record<string, unknown>) => ({ ...base, privacy: { ...base.privacy, dp: { ...DP, ...dp } } });
    expect(rules(withDp({ epsilon: "3" }))).toEqual(["privacy.dp.epsilon dp-over-budget"]);
    expect(rules(withDp({ epsilon: "0" }))).toEqual(["privacy.dp.epsilon dp-not-positive"]);
    expect(rules(withDp({ delta: "1" }))).toEqual(["privacy.dp.delta dp-delta-range", "privacy.dp.delta dp-over-budget"]);
    expect(rules(withDp({ epsilon: "one" }))).toEqual(["privacy.dp.epsilon bad-decimal"]);
    expect(rules(withDp({ maxRowsPerUnit: 0 }))).toEqual(["privacy.dp.maxRowsPerUnit dp-bound"]);
    expect(rules(withDp({ decimals: 0, epsilon: "1" }))).toEqual([]);
    const offGrid = { ...base, datasets: base.datasets.map((d, i) => (i === 0 ? { ...d, analysis: { ...d.analysis!, clamp: { amount: { min: 0, max: 99.995 } } } } : d)) };
    expect(rules(offGrid)).toEqual(["datasets[0].analysis.clamp.amount.max clamp-off-grid"]);
    const unanalysed = { ...base, datasets: base.datasets.map((d, i) => (i === 1 ? { ...d, analysis: undefined } : d)) };
    expect(rules(JSON.parse(JSON.stringify(unanalysed)))).toEqual(["datasets[1].analysis dp-needs-analysis"]);
  });

  it("keeps RuntimeError's shape for ledger refusals (code, step, rule)", () => {
    const err = new LedgerError("conflict", "x", 3);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.toJSON()).toMatchObject({ code: "PRIVACY_REFUSED", step: "privacy" });
  });
});
