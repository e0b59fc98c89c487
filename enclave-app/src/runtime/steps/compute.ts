// Step 6, compute: DuckDB in memory over the decrypted files (temp directory inside the scratch
// directory, memory limit and threads set), one table per dataset from the contract's schema, then
// lock-down, then exactly the approved SELECT. The caller removes the scratch directory afterwards.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { DuckDBValue } from "@duckdb/node-api";
import type { SqlLimits } from "../sql/limits.ts";
import { runSql, type RunSqlResult } from "../sql/runner.ts";
import type { LoadedDataset } from "./load.ts";
import type { RunReporter } from "./reporter.ts";

export interface ComputeInput {
  datasets: readonly LoadedDataset[];
  /** The contract's approved SQL (verified byte-identical to what the operator asked for). */
  sql: string;
  /** The run's scratch directory; DuckDB's temp files go below it so they are removed with it. */
  scratch: string;
  duckdb?: { memoryLimit?: string; threads?: number };
  /** Time and result-size limits of the approved SQL (the contract's, defaults filled in). */
  limits?: SqlLimits;
  /** Named parameters the SQL binds (never spliced into its text). */
  parameters?: Readonly<Record<string, DuckDBValue>>;
}

export async function compute(input: ComputeInput, reporter: RunReporter): Promise<RunSqlResult> {
  const tempDirectory = join(input.scratch, "duckdb-tmp");
  await mkdir(tempDirectory, { mode: 0o700 });
  return reporter.timed("sql", () =>
    runSql({
      datasets: [...input.datasets],
      sql: input.sql,
      ...(input.limits !== undefined ? { limits: input.limits } : {}),
      ...(input.parameters !== undefined ? { parameters: input.parameters } : {}),
      tempDirectory,
      ...(input.duckdb?.memoryLimit !== undefined ? { memoryLimit: input.duckdb.memoryLimit } : {}),
      ...(input.duckdb?.threads !== undefined ? { threads: input.duckdb.threads } : {}),
    }),
  );
}
