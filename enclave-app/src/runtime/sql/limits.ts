// The approved SQL under a time limit and a result-size limit. The result is streamed chunk by
// chunk (never materialised whole by DuckDB first), counted in rows and in bytes of its JSON values,
// and the query is interrupted (DuckDBConnection.interrupt) as soon as a limit is crossed: a cross
// join or a runaway result cannot hold the enclave, or its memory, until the Job's deadline.
import { JsonDuckDBValueConverter, type DuckDBConnection, type DuckDBPreparedStatement } from "@duckdb/node-api";
import type { RunLimits } from "../../protocol/index.ts";
import { SqlError } from "../errors.ts";

/** The contract's run limits, every one set (effectiveRunLimits). */
export type SqlLimits = Required<RunLimits>;

export interface LimitedResult {
  names: string[];
  types: string[];
  rows: unknown[][];
}

export class SqlLimitError extends SqlError {
  /** The contract field of the limit crossed. */
  readonly limit: `limits.${keyof SqlLimits}`;
  constructor(limit: keyof SqlLimits, message: string) {
    super("SQL_LIMIT_EXCEEDED", message);
    this.name = "SqlLimitError";
    this.limit = `limits.${limit}`;
  }
}

export async function readWithinLimits(conn: DuckDBConnection, prepared: DuckDBPreparedStatement, limits: SqlLimits): Promise<LimitedResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
  }, limits.timeoutSeconds * 1000);
  const overTime = () =>
    new SqlLimitError("timeoutSeconds", `the approved SQL ran longer than its time limit (limits.timeoutSeconds = ${limits.timeoutSeconds} s) and was interrupted`);
  try {
    const result = await prepared.stream();
    const rows: unknown[][] = [];
    let bytes = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (timedOut) throw overTime();
      if (chunk === null || chunk.rowCount === 0) break;
      if (rows.length + chunk.rowCount > limits.maxRows) {
        conn.interrupt();
        throw new SqlLimitError("maxRows", `the approved SQL returned more than its row limit (limits.maxRows = ${limits.maxRows} rows) and was interrupted`);
      }
      for (const row of chunk.convertRows(JsonDuckDBValueConverter)) {
        bytes += Buffer.byteLength(JSON.stringify(row), "utf8");
        rows.push(row);
      }
      if (bytes > limits.maxBytes) {
        conn.interrupt();
        throw new SqlLimitError("maxBytes", `the approved SQL returned more than its size limit (limits.maxBytes = ${limits.maxBytes} bytes) and was interrupted`);
      }
    }
    return { names: result.columnNames(), types: result.columnTypes().map((t) => t.toString()), rows };
  } catch (err) {
    // The interrupt surfaces as DuckDB's own "INTERRUPT Error"; name the limit instead.
    if (timedOut && !(err instanceof SqlLimitError)) throw overTime();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
