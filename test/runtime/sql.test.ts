// The DuckDB runner: tables from the contract's schema, then lock-down, then exactly one SELECT.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqlError } from "../../enclave-app/src/runtime/errors.ts";
import { SqlLimitError } from "../../enclave-app/src/runtime/sql/limits.ts";
import { SqlSession, parseCsvHeader, runSql, safeDuckDbMessage, type SqlDatasetInput } from "../../enclave-app/src/runtime/sql/runner.ts";

let dir: string;
let sales: SqlDatasetInput;
let customers: SqlDatasetInput;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cleanroom-sql-"));
  await writeFile(join(dir, "sales.csv"), "customer_id,amount,day\n1,10.5,2024-01-01\n2,20,2024-01-02\n1,5,2024-01-03\n3,7.25,2024-01-03\n");
  await writeFile(join(dir, "customers.csv"), 'customer_id,region\n1,"North, upper"\n2,South\n3,South\n');
  sales = { name: "sales", format: "csv", path: join(dir, "sales.csv"), schema: [{ name: "customer_id", type: "BIGINT" }, { name: "amount", type: "DECIMAL(10,2)" }, { name: "day", type: "DATE" }] };
  customers = { name: "customers", format: "csv", path: join(dir, "customers.csv"), schema: [{ name: "customer_id", type: "BIGINT" }, { name: "region", type: "VARCHAR" }] };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const opts = () => ({ tempDirectory: join(dir, "tmp"), memoryLimit: "256MB", threads: 1 });

describe("runSql", () => {
  it("loads each dataset with the contract's types, counts rows and runs the approved join", async () => {
    const result = await runSql({
      ...opts(),
      datasets: [sales, customers],
      sql: "SELECT c.region, count(*) AS n, sum(s.amount) AS total FROM sales s JOIN customers c USING (customer_id) GROUP BY c.region ORDER BY c.region",
    });
    expect(result.rowCounts).toEqual({ sales: 4, customers: 3 });
    expect(result.columns).toEqual([
      { name: "region", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
      { name: "total", type: "DECIMAL(38,2)" },
    ]);
    expect(result.rows).toEqual([
      ["North, upper", "2", "15.50"],
      ["South", "2", "27.25"],
    ]);
  });

  it("refuses a second statement before running anything", async () => {
    const err = await runSql({ ...opts(), datasets: [sales], sql: "SELECT count(*) AS n FROM sales; DROP TABLE sales" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).code).toBe("SQL_REFUSED");
    expect((err as Error).message).toMatch(/exactly one statement, found 2/);
  });

  it("refuses statements that are not queries", async () => {
    await expect(runSql({ ...opts(), datasets: [sales], sql: "CREATE TABLE x AS SELECT * FROM sales" })).rejects.toThrow(/must be a query \(SELECT\), found a CREATE/);
    await expect(runSql({ ...opts(), datasets: [sales], sql: "SET enable_external_access = true" })).rejects.toThrow(/must be a query/);
  });

  it("cannot read files, write files, attach databases or unlock after lock-down", async () => {
    const session = await SqlSession.open(opts());
    try {
      await session.loadDataset(sales);
      await session.lockDown();
      const secret = join(dir, "customers.csv");
      await expect(session.runApproved(`SELECT * FROM read_csv('${secret}')`)).rejects.toThrow(/Permission Error/);
      await expect(session.runApproved(`SELECT * FROM '${secret}'`)).rejects.toThrow(/Permission Error|Catalog Error/);
      await expect(session.runApproved(`SELECT * FROM read_parquet('https://example.com/x.parquet')`)).rejects.toThrow(SqlError);
      // A dataset cannot be added once locked either.
      await expect(session.loadDataset(customers)).rejects.toThrow(/after lock-down/);
      // The session still answers the approved query.
      const ok = await session.runApproved("SELECT count(*) AS n FROM sales");
      expect(ok.rows).toEqual([["4"]]);
    } finally {
      session.close();
    }
  });

  it("refuses a CSV whose header does not match the contract's columns in order", async () => {
    const swapped: SqlDatasetInput = { ...customers, schema: [customers.schema[1]!, customers.schema[0]!] };
    await expect(runSql({ ...opts(), datasets: [swapped], sql: "SELECT 1 AS n" })).rejects.toThrow(/header .* do not match the contract's schema/);
  });

  it("reports a bad value without quoting it", async () => {
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "customer_id,region\n1,North\nAlice-Secret,South\n");
    const err = await runSql({ ...opts(), datasets: [{ ...customers, path: bad }], sql: "SELECT 1 AS n" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlError);
    expect((err as Error).message).toMatch(/dataset "customers" could not be loaded as csv/);
    expect((err as Error).message).not.toContain("Alice-Secret");
  });

  it("checks a Parquet file's schema against the contract", async () => {
    const path = join(dir, "p.parquet");
    // The fixture file is written by a separate, unlocked DuckDB.
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const inst = await DuckDBInstance.create(":memory:");
    const conn = await inst.connect();
    await conn.run(`COPY (SELECT 1::BIGINT AS customer_id, 'x' AS region) TO '${path}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    const good: SqlDatasetInput = { name: "p", format: "parquet", path, schema: [{ name: "customer_id", type: "BIGINT" }, { name: "region", type: "VARCHAR" }] };
    expect((await runSql({ ...opts(), datasets: [good], sql: "SELECT count(*) AS n FROM p" })).rowCounts).toEqual({ p: 1 });
    const wrong: SqlDatasetInput = { ...good, schema: [{ name: "customer_id", type: "INTEGER" }, { name: "region", type: "VARCHAR" }] };
    await expect(runSql({ ...opts(), datasets: [wrong], sql: "SELECT 1 AS n" })).rejects.toThrow(/Parquet schema .* does not match the contract/);
  });
});

describe("Parquet datasets, read in place", () => {
  it("queries the decrypted file itself after lock-down, and nothing else: other files, writes and unlocking stay refused", async () => {
    const path = join(dir, "inplace.parquet");
    const other = join(dir, "other.parquet");
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const inst = await DuckDBInstance.create(":memory:");
    const conn = await inst.connect();
    await conn.run(`COPY (SELECT range::BIGINT AS customer_id, 'r' || (range % 3) AS region FROM range(1000)) TO '${path}' (FORMAT parquet)`);
    await conn.run(`COPY (SELECT 'secret' AS s) TO '${other}' (FORMAT parquet)`);
    conn.closeSync();
    inst.closeSync();
    const ds: SqlDatasetInput = { name: "p", format: "parquet", path, schema: [{ name: "customer_id", type: "BIGINT" }, { name: "region", type: "VARCHAR" }] };
    const session = await SqlSession.open(opts());
    try {
      expect(await session.loadDataset(ds)).toBe(1000);
      await session.lockDown();
      // A view, not a copy: the query reads the file.
      const kinds = await session.runApproved("SELECT table_type FROM information_schema.tables WHERE table_name = 'p'");
      expect(kinds.rows).toEqual([["VIEW"]]);
      const ok = await session.runApproved("SELECT region, count(*) AS n FROM p GROUP BY region ORDER BY region");
      expect(ok.rows).toEqual([["r0", "334"], ["r1", "333"], ["r2", "333"]]);
      await expect(session.runApproved(`SELECT * FROM read_parquet('${other}')`)).rejects.toThrow(/Permission Error/);
      await expect(session.runApproved(`SELECT * FROM glob('${dir}/*')`)).rejects.toThrow(/Permission Error/);
      await expect(session.runApproved(`SELECT * FROM read_csv('${join(dir, "customers.csv")}')`)).rejects.toThrow(/Permission Error/);
      await expect(session.runApproved("SET allowed_paths = ['/']")).rejects.toThrow(/must be a query/);
      await expect(session.runApproved(`COPY (SELECT * FROM p) TO '${join(dir, "out.parquet")}'`)).rejects.toThrow(/must be a query|Permission Error/);
    } finally {
      session.close();
    }
  });
});

describe("helpers", () => {
  it("parses quoted CSV header names", () => {
    expect(parseCsvHeader('a,"b, c","d""e"')).toEqual(["a", "b, c", 'd"e']);
  });

  it("keeps SQL-text errors and withholds data-bearing ones", () => {
    expect(safeDuckDbMessage('Binder Error: Referenced column "x" not found')).toBe('Binder Error: Referenced column "x" not found');
    expect(safeDuckDbMessage("Conversion Error: Could not convert string 'Bob' to INT64\nLine: 3")).toBe("Conversion Error at line 3 (details withheld: they may quote data)");
  });
});

describe("runSql limits (the contract's limits, defaults otherwise)", () => {
  const limits = { timeoutSeconds: 900, maxRows: 10_000_000, maxBytes: 1024 ** 3 };

  it("interrupts a query that runs past limits.timeoutSeconds and names the limit", async () => {
    const started = performance.now();
    const err = await runSql({
      ...opts(),
      datasets: [sales],
      // A cross join of range tables: hours of work for one thread.
      sql: "SELECT count(*) AS n FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = -1",
      limits: { ...limits, timeoutSeconds: 1 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlLimitError);
    expect(err).toMatchObject({ code: "SQL_LIMIT_EXCEEDED", step: "sql", limit: "limits.timeoutSeconds" });
    expect((err as Error).message).toMatch(/time limit \(limits\.timeoutSeconds = 1 s\) and was interrupted/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("stops a result with more rows than limits.maxRows, and one with more bytes than limits.maxBytes", async () => {
    const rows = await runSql({ ...opts(), datasets: [sales], sql: "SELECT range AS n FROM range(100000000)", limits: { ...limits, maxRows: 5000 } }).catch((e: unknown) => e);
    expect(rows).toMatchObject({ code: "SQL_LIMIT_EXCEEDED", limit: "limits.maxRows" });
    expect((rows as Error).message).toMatch(/more than its row limit \(limits\.maxRows = 5000 rows\)/);

    const bytes = await runSql({ ...opts(), datasets: [sales], sql: "SELECT repeat('x', 1000) AS pad FROM range(100000)", limits: { ...limits, maxBytes: 100_000 } }).catch((e: unknown) => e);
    expect(bytes).toMatchObject({ code: "SQL_LIMIT_EXCEEDED", limit: "limits.maxBytes" });
    expect((bytes as Error).message).toMatch(/more than its size limit \(limits\.maxBytes = 100000 bytes\)/);
  });

  it("returns a result exactly at the limits", async () => {
    const result = await runSql({ ...opts(), datasets: [sales], sql: "SELECT range AS n FROM range(3000)", limits: { ...limits, maxRows: 3000 } });
    expect(result.rows).toHaveLength(3000);
    expect(result.rows[2999]).toEqual(["2999"]);
  });
});
