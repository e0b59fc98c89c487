// Enforced mode end to end on the step fakes: every known way to slip raw rows or single individuals
// past a count-column check is refused on DuckDB's parse tree, naming the clause and the rule, before
// any attestation or key release, with nothing written; a compliant query is released only for groups
// the engine itself counted at >= k individuals.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Contract, DatasetSpec } from "../../../enclave-app/src/protocol/index.ts";
import { QueryRefusedError } from "../../../enclave-app/src/runtime/errors.ts";
import type { RunEvent } from "../../../enclave-app/src/runtime/events.ts";
import { runCollaboration } from "../../../enclave-app/src/runtime/pipeline.ts";
import { applyPrivacyRules } from "../../../enclave-app/src/runtime/privacy/guard.ts";
import { planQuery } from "../../../enclave-app/src/runtime/sql/analysis/index.ts";
import { compute } from "../../../enclave-app/src/runtime/steps/compute.ts";
import { guard } from "../../../enclave-app/src/runtime/steps/guard.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { approveAll } from "../helpers/local-room.ts";
import { MemoryBlobStore, recordingReporter, scratchDir, storeDataset, toolAttester } from "./step-helpers.ts";

const bank = makeParty("bank");
const insurer = makeParty("insurer");
const K = 3;

// north: customer 1 alone, 6 rows, so COUNT(*) says 6 while one individual stands behind it.
// south: customers 2, 3, 4. east: customers 5, 6 (under k).
const SALES_CSV =
  "customer_id,region,amount\n" +
  "1,north,10\n1,north,10\n1,north,10\n1,north,10\n1,north,10\n1,north,1000000\n" +
  "2,south,5\n3,south,7\n4,south,9000\n5,east,1\n6,east,2\n";
const CLAIMS_CSV = "customer_id,kind\n1,fire\n2,fire\n3,water\n4,fire\n5,fire\n6,fire\n";

const SALES: Omit<DatasetSpec, "ciphertextSha256" | "plaintextLength" | "owner" | "format"> = {
  name: "sales",
  blobPath: "bank-in/sales.csv.enc",
  schema: [{ name: "customer_id", type: "BIGINT" }, { name: "region", type: "VARCHAR" }, { name: "amount", type: "BIGINT" }],
  analysis: {
    privacyUnit: "customer_id",
    dimensions: ["region"],
    joinColumns: ["customer_id"],
    aggregates: { amount: ["SUM", "AVG"] },
    clamp: { amount: { min: 0, max: 100 } },
    minGroupSize: K,
  },
};
const CLAIMS: typeof SALES = {
  name: "claims",
  blobPath: "insurer-in/claims.csv.enc",
  schema: [{ name: "customer_id", type: "BIGINT" }, { name: "kind", type: "VARCHAR" }],
  analysis: { privacyUnit: "customer_id", dimensions: ["kind"], joinColumns: ["customer_id"] },
};

let store: MemoryBlobStore;
let datasets: DatasetSpec[];
let scratch: string | undefined;

beforeAll(async () => {
  store = new MemoryBlobStore();
  datasets = [(await storeDataset(store, bank, SALES, SALES_CSV)).spec, (await storeDataset(store, insurer, CLAIMS, CLAIMS_CSV)).spec];
});
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function contractFor(sql: string): Contract {
  return makeContract({ parties: [bank, insurer], datasets, sql, recipients: ["bank"], authority: "https://maa.example.test", allowedColumns: ["region", "kind", "n", "total", "avg_amount"] });
}

async function run(sql: string) {
  const contract = contractFor(sql);
  const attester = toolAttester([bank, insurer]);
  const events: RunEvent[] = [];
  scratch = await scratchDir();
  const before = store.names();
  const outcome = await runCollaboration({
    contract,
    approvals: await approveAll(contract, [bank, insurer]),
    runId: "enforced",
    attester,
    storage: store,
    outputContainer: "results",
    scratchDir: scratch,
    onEvent: (e) => events.push(e),
  }).catch((e: unknown) => e);
  const written = store.names().filter((n) => !before.includes(n));
  if (written.length > 0) for (const n of written) await store.deleteIfExists("results", n.slice("results/".length));
  return { outcome, events, written, unwrapped: attester.requests.length };
}

const BYPASSES: [what: string, sql: string, rule: string][] = [
  ["a constant count next to raw rows", "SELECT region, 1000 AS n FROM sales", "constant-output"],
  ["a window count", "SELECT region, count(*) OVER () AS n FROM sales", "window-function"],
  ["a count times a constant", "SELECT region, count(*) * 1000 AS n FROM sales GROUP BY region", "output-expression"],
  ["a UNION ALL of a safe aggregate with raw rows", "SELECT region, count(*) AS n FROM sales GROUP BY region UNION ALL SELECT region, amount AS n FROM sales", "set-operation"],
  ["GROUP BY a unique key", "SELECT customer_id AS region, count(*) AS n FROM sales GROUP BY customer_id", "group-by-not-dimension"],
  ["HAVING selecting one group", "SELECT region, count(*) AS n FROM sales GROUP BY region HAVING count(*) = 1", "having"],
  ["a CTE hiding raw rows", "WITH raw AS (SELECT * FROM sales) SELECT region, count(*) AS n FROM raw GROUP BY region", "cte"],
  ["a subquery returning raw rows", "SELECT region, count(*) AS n FROM (SELECT * FROM sales) s GROUP BY region", "subquery"],
  ["a self-join isolating one unit", "SELECT a.region, count(*) AS n FROM sales a JOIN sales b ON a.customer_id = b.customer_id GROUP BY a.region", "self-join"],
  ["LIMIT after ORDER BY", "SELECT region, count(*) AS n FROM sales GROUP BY region ORDER BY n LIMIT 1", "limit"],
  ["OFFSET", "SELECT region, count(*) AS n FROM sales GROUP BY region ORDER BY region OFFSET 1", "limit"],
  ["ORDER BY a non-output expression", "SELECT region, count(*) AS n FROM sales GROUP BY region ORDER BY max(amount)", "order-by-not-output"],
  ["a table function", "SELECT region, count(*) AS n FROM read_csv('/etc/passwd') GROUP BY region", "table-function"],
  ["a join on a column that is not a join column", "SELECT s.region, count(*) AS n FROM sales s JOIN claims c ON s.region = c.kind GROUP BY s.region", "join-column-not-allowed"],
  ["an aggregate the owner did not allow", "SELECT region, max(amount) AS total FROM sales GROUP BY region", "aggregate-not-allowed"],
  ["renaming columns in FROM so the unit reads as a dimension", "SELECT region, count(*) AS n FROM sales s(region, customer_id) GROUP BY region", "column-rename"],
  ["a non-inner join", "SELECT s.region, count(*) AS n FROM sales s LEFT JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region", "join-type"],
  ["a cross join", "SELECT s.region, count(*) AS n FROM sales s, claims c GROUP BY s.region", "cross-join"],
  ["WHERE on the privacy unit", "SELECT region, count(*) AS n FROM sales WHERE customer_id = 1 GROUP BY region", "where-not-dimension"],
  ["ROLLUP", "SELECT region, count(*) AS n FROM sales GROUP BY ROLLUP (region)", "grouping-sets"],
  ["SELECT *", "SELECT * FROM sales", "star"],
  ["two statements", "SELECT region, count(*) AS n FROM sales GROUP BY region; SELECT * FROM sales", "one-statement"],
  ["a statement that is not a SELECT", "DELETE FROM sales", "not-a-select"],
  ["a raw dimension without GROUP BY", "SELECT region FROM sales", "output-not-grouped"],
];

describe("enforced mode: the analysis rules on DuckDB's parse tree", () => {
  it.each(BYPASSES)("refuses %s before any key is released, nothing written", async (_what, sql, rule) => {
    const { outcome, events, written, unwrapped } = await run(sql);
    expect(outcome).toBeInstanceOf(QueryRefusedError);
    const err = outcome as QueryRefusedError;
    expect(err).toMatchObject({ code: "QUERY_REFUSED", step: "analyze" });
    expect(err.problems.map((p) => p.rule)).toContain(rule);
    expect(err.message).toContain(`[${rule}]`);
    expect(written).toEqual([]);
    expect(unwrapped).toBe(0);
    expect(events.map((e) => e.step)).not.toContain("attest");
    // The error names clauses and rules; no row of the data could be in it (nothing was decrypted).
    expect(JSON.stringify(events)).not.toMatch(/north|south|1000000/);
  });

  it("releases only groups with >= k distinct individuals counted by the engine, whatever the query's own count says", async () => {
    const sql = "SELECT s.region, count(*)::BIGINT AS n, sum(s.amount) AS total FROM sales s JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region ORDER BY s.region";
    const verdict = await planQuery(contractFor(sql));
    expect(verdict).toMatchObject({ ok: true, plan: { mode: "enforced", k: K, countColumns: [{ unit: "sales.customer_id" }, { unit: "claims.customer_id" }] } });
    const { outcome, written } = await run(sql);
    // north has COUNT(*) = 6 >= k but one customer; east has two: both suppressed. south is released.
    expect(outcome).toMatchObject({ rowsReleased: 1, rowsSuppressed: 2 });
    // The receipt states the k the run enforced (the bank's 3), not the contract's 2.
    expect(outcome).toMatchObject({ receipt: { privacy: { minGroupSize: K } } });
    expect(written.some((n) => n.endsWith(".receipt.json") || n.includes("receipt"))).toBe(true);
  });

  it("counts k and clamps sums in the engine: the query's own count and unbounded values decide nothing", async () => {
    const sql = "SELECT s.region, count(*)::BIGINT AS n, sum(s.amount) AS total FROM sales s JOIN claims c ON s.customer_id = c.customer_id GROUP BY s.region ORDER BY s.region";
    const contract = contractFor(sql);
    const verdict = await planQuery(contract);
    if (!verdict.ok || verdict.plan.mode !== "enforced") throw new Error("expected an enforced plan");
    scratch = await scratchDir();
    await writeFile(join(scratch, "sales.csv"), SALES_CSV);
    await writeFile(join(scratch, "claims.csv"), CLAIMS_CSV);
    const loaded = [
      { name: "sales", format: "csv" as const, schema: SALES.schema, path: join(scratch, "sales.csv") },
      { name: "claims", format: "csv" as const, schema: CLAIMS.schema, path: join(scratch, "claims.csv") },
    ];
    const { reporter } = recordingReporter();
    const result = await compute({ datasets: loaded, sql: verdict.plan.sql, scratch }, reporter);
    // The query's own count would release north (6 rows, one customer) under the legacy check.
    expect(applyPrivacyRules({ columns: result.columns.slice(0, 3), rows: result.rows.map((r) => r.slice(0, 3)) }, contract.privacy).rows.map((r) => r[0])).toContain("north");
    const guarded = await guard({ result, privacy: contract.privacy, plan: verdict.plan }, reporter);
    expect(guarded.columns.map((c) => c.name)).toEqual(["region", "n", "total"]);
    // south: customers 2, 3, 4; 9000 clamped to 100 -> 5 + 7 + 100.
    expect(guarded.rows).toEqual([["south", "3", "112"]]);
    expect(guarded.rowsSuppressed).toBe(2);
  });

  it("accepts USING joins, WHERE on dimensions and a global aggregate, each with the engine's count appended", async () => {
    for (const sql of [
      "SELECT s.region, avg(s.amount) AS avg_amount FROM sales s JOIN claims USING (customer_id) WHERE claims.kind IN ('fire', 'water') AND s.region <> 'east' GROUP BY s.region ORDER BY avg_amount",
      "SELECT count(*) AS n FROM sales WHERE region = 'south'",
    ]) {
      const verdict = await planQuery(contractFor(sql));
      expect(verdict, sql).toMatchObject({ ok: true, plan: { mode: "enforced" } });
      if (verdict.ok) expect(verdict.plan.sql).toContain("count(DISTINCT ");
    }
  });

  it("leaves a contract without analysis rules exactly as approved (legacy mode)", async () => {
    const sql = "SELECT region, 1000 AS n FROM sales";
    const legacy = { ...contractFor(sql), datasets: datasets.map(({ analysis: _drop, ...d }) => d) };
    expect(await planQuery(legacy)).toEqual({ ok: true, plan: { mode: "legacy", sql, k: 2 } });
  });
});
