import { readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compute } from "../../../enclave-app/src/runtime/steps/compute.ts";
import { SALES_CSV, SALES_SCHEMA, recordingReporter, scratchDir } from "./step-helpers.ts";

let scratch: string | undefined;
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("compute step", () => {
  it("runs the approved SQL over the loaded files, counts rows, keeps DuckDB's temp directory in the scratch directory", async () => {
    scratch = await scratchDir();
    const path = join(scratch, "sales.csv");
    await writeFile(path, SALES_CSV);
    const { reporter, names } = recordingReporter();
    const result = await compute(
      { datasets: [{ name: "sales", format: "csv", schema: SALES_SCHEMA, path }], sql: "SELECT region, count(*)::BIGINT AS n FROM sales GROUP BY region ORDER BY region", scratch, duckdb: { memoryLimit: "128MB", threads: 1 } },
      reporter,
    );
    expect(result.rowCounts).toEqual({ sales: 3 });
    expect(result.columns.map((c) => c.name)).toEqual(["region", "n"]);
    // BIGINT arrives as a string (DuckDB's JSON conversion).
    expect(result.rows).toEqual([["north", "2"], ["south", "1"]]);
    expect(await readdir(scratch)).toContain("duckdb-tmp");
    expect(names()).toEqual(["sql:start", "sql:done"]);
  });

  it("refuses anything but one SELECT", async () => {
    scratch = await scratchDir();
    const path = join(scratch, "sales.csv");
    await writeFile(path, SALES_CSV);
    const err = await compute({ datasets: [{ name: "sales", format: "csv", schema: SALES_SCHEMA, path }], sql: "SELECT 1; SELECT 2", scratch }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SQL_REFUSED", step: "sql" });
  });
});
