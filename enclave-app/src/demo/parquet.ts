// Parquet datasets for the demo (and the benchmark): the generated CSV converted by DuckDB with the
// contract's column types, so the file's schema is exactly the one the enclave checks.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ColumnSpec } from "../protocol/index.ts";

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The same read_csv call as the enclave's SQL session: the contract's columns, no detection. */
export function csvReader(path: string, schema: readonly ColumnSpec[]): string {
  const columns = schema.map((c) => `${quote(c.name)}: ${quote(c.type)}`).join(", ");
  return `read_csv(${quote(path)}, columns={${columns}}, header=true, auto_detect=false, delim=',', quote='"', escape='"')`;
}

/** Converts CSV files to Parquet files, path by path, in one DuckDB session. */
export async function csvFilesToParquet(files: readonly { csv: string; parquet: string; schema: readonly ColumnSpec[] }[], threads = 2): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
  const conn = await instance.connect();
  try {
    for (const f of files) await conn.run(`COPY (SELECT * FROM ${csvReader(f.csv, f.schema)}) TO ${quote(f.parquet)} (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** One dataset's CSV (in memory) as Parquet bytes, through a private temporary directory under `workDir`. */
export async function csvToParquet(csv: readonly Buffer[], schema: readonly ColumnSpec[], workDir: string): Promise<Buffer> {
  const dir = await mkdtemp(join(workDir, "parquet-"));
  try {
    const csvPath = join(dir, "data.csv");
    const parquetPath = join(dir, "data.parquet");
    await writeFile(csvPath, csv, { mode: 0o600 });
    await csvFilesToParquet([{ csv: csvPath, parquet: parquetPath, schema }]);
    return await readFile(parquetPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
