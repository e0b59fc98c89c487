// The approved SQL, in DuckDB, with nothing else reachable.
// Order matters: tables are created from the decrypted scratch files first, then external access,
// extension loading and the configuration itself are locked, and only then does the contract's SQL
// run -- so the SQL can read the datasets and nothing else (no files, no network, no extensions,
// no ATTACH/COPY), and cannot unlock any of that.
import { open } from "node:fs/promises";
import { DuckDBInstance, StatementType, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { SqlError, errorMessage } from "../errors.ts";
import { DEFAULT_RUN_LIMITS } from "../../protocol/run-limits.ts";
import { readWithinLimits, type SqlLimits } from "./limits.ts";

export interface SqlColumnSpec {
  name: string;
  type: string;
}

export interface SqlDatasetInput {
  /** Table name (validated by the contract: ^[a-z_][a-z0-9_]{0,62}$). */
  name: string;
  format: "csv" | "parquet";
  schema: SqlColumnSpec[];
  /** Decrypted file in the memory-backed scratch directory. */
  path: string;
}

export interface SqlSessionOptions {
  /** DuckDB temp_directory: must be memory-backed (decrypted data must not reach a disk). */
  tempDirectory: string;
  /** DuckDB memory_limit, e.g. "6GB". */
  memoryLimit?: string;
  threads?: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface SqlResult {
  columns: SqlColumnSpec[];
  /** Row-major values in DuckDB's JSON conversion (BIGINT/DECIMAL/DATE as strings). */
  rows: JsonValue[][];
}

const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$/;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function normalizeType(type: string): string {
  return type.toUpperCase().replace(/\s+/g, "").replace(/^TEXT$|^STRING$/, "VARCHAR").replace(/^INT$|^INT4$/, "INTEGER").replace(/^INT8$|^LONG$/, "BIGINT").replace(/^FLOAT8$/, "DOUBLE");
}

/** Splits a CSV header line (RFC 4180 quoting) into names. */
export function parseCsvHeader(line: string): string[] {
  const names: string[] = [];
  let current = "";
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') inQuotes = false;
      else current += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ",") {
      names.push(current);
      current = "";
    } else current += ch;
  }
  names.push(current);
  return names.map((n) => n.trim());
}

async function readFirstLine(path: string): Promise<string> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString("utf8").replace(/^\uFEFF/, "");
    const end = text.search(/\r?\n/);
    return end === -1 ? text : text.slice(0, end);
  } finally {
    await fh.close();
  }
}

export class SqlSession {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;
  #locked = false;
  #closed = false;
  /** Files the approved SQL reads in place (Parquet views): the only paths allowed after lock-down. */
  readonly #inPlace: string[] = [];

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection) {
    this.#instance = instance;
    this.#conn = conn;
  }

  static async open(opts: SqlSessionOptions): Promise<SqlSession> {
    const config: Record<string, string> = {
      temp_directory: opts.tempDirectory,
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      allow_community_extensions: "false",
      allow_unsigned_extensions: "false",
    };
    if (opts.memoryLimit !== undefined) config["memory_limit"] = opts.memoryLimit;
    if (opts.threads !== undefined) config["threads"] = String(opts.threads);
    try {
      const instance = await DuckDBInstance.create(":memory:", config);
      return new SqlSession(instance, await instance.connect());
    } catch (err) {
      throw new SqlError("SQL_FAILED", `cannot open DuckDB: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Creates the dataset's table from its decrypted file and returns its row count. */
  async loadDataset(ds: SqlDatasetInput): Promise<number> {
    if (this.#locked) throw new SqlError("SQL_REFUSED", `dataset "${ds.name}" cannot be loaded after lock-down`, { dataset: ds.name });
    for (const col of ds.schema) {
      if (!TYPE_PATTERN.test(col.type)) {
        throw new SqlError("SQL_REFUSED", `dataset "${ds.name}" column "${col.name}" has an unsupported type "${col.type}"`, { dataset: ds.name });
      }
    }
    const table = quoteIdent(ds.name);
    try {
      if (ds.format === "csv") {
        const header = parseCsvHeader(await readFirstLine(ds.path));
        const expected = ds.schema.map((c) => c.name);
        if (header.length !== expected.length || header.some((h, i) => h !== expected[i])) {
          throw new SqlError("SQL_REFUSED", `dataset "${ds.name}": CSV header has ${header.length} columns that do not match the contract's schema (${expected.join(", ")}) in order`, { dataset: ds.name });
        }
        const columns = ds.schema.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(", ");
        await this.#conn.run(
          `CREATE TABLE ${table} AS SELECT * FROM read_csv(${quoteLiteral(ds.path)}, columns={${columns}}, header=true, auto_detect=false, delim=',', quote='"', escape='"')`,
        );
      } else {
        const described = await this.#conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(ds.path)})`);
        const actual = described.getRowObjectsJson().map((r) => ({ name: String(r["column_name"]), type: String(r["column_type"]) }));
        const mismatch =
          actual.length !== ds.schema.length ||
          actual.some((a, i) => a.name !== ds.schema[i]?.name || normalizeType(a.type) !== normalizeType(ds.schema[i]?.type ?? ""));
        if (mismatch) {
          throw new SqlError(
            "SQL_REFUSED",
            `dataset "${ds.name}": Parquet schema (${actual.map((a) => `${a.name} ${a.type}`).join(", ")}) does not match the contract (${ds.schema.map((c) => `${c.name} ${c.type}`).join(", ")})`,
            { dataset: ds.name },
          );
        }
        // Parquet is typed and its schema checked above: the SQL reads the decrypted file in place
        // (one plaintext copy, no load pass); lock-down allows exactly these files.
        await this.#conn.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet(${quoteLiteral(ds.path)})`);
        this.#inPlace.push(ds.path);
      }
      const counted = await this.#conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${table}`);
      return Number(counted.getRowsJS()[0]?.[0] ?? 0);
    } catch (err) {
      if (err instanceof SqlError) throw err;
      // DuckDB's message may quote a malformed line of the dataset: keep only its first line and cap it.
      throw new SqlError("SQL_FAILED", `dataset "${ds.name}" could not be loaded as ${ds.format}: ${safeDuckDbMessage(errorMessage(err))}`, { dataset: ds.name });
    }
  }

  /** No files but the datasets read in place, no network, no extensions from here on, and no way to change that back. */
  async lockDown(): Promise<void> {
    try {
      await this.#conn.run(`SET allowed_paths = [${this.#inPlace.map(quoteLiteral).join(", ")}]`);
      await this.#conn.run("SET enable_external_access = false");
      await this.#conn.run("SET autoinstall_known_extensions = false");
      await this.#conn.run("SET autoload_known_extensions = false");
      await this.#conn.run("SET lock_configuration = true");
      this.#locked = true;
    } catch (err) {
      throw new SqlError("SQL_FAILED", `DuckDB lock-down failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Runs exactly one SELECT statement, within the limits; anything else is refused before it runs. */
  async runApproved(sql: string, limits: SqlLimits = DEFAULT_RUN_LIMITS, parameters?: Readonly<Record<string, DuckDBValue>>): Promise<SqlResult> {
    if (!this.#locked) throw new SqlError("SQL_REFUSED", "the approved SQL runs only after lock-down");
    let statements;
    try {
      statements = await this.#conn.extractStatements(sql);
    } catch (err) {
      throw new SqlError("SQL_FAILED", `the approved SQL does not parse: ${safeDuckDbMessage(errorMessage(err))}`, { cause: err });
    }
    if (statements.count !== 1) {
      throw new SqlError("SQL_REFUSED", `the approved SQL must be exactly one statement, found ${statements.count}`);
    }
    try {
      const prepared = await statements.prepare(0);
      if (prepared.statementType !== StatementType.SELECT) {
        throw new SqlError("SQL_REFUSED", `the approved SQL must be a query (SELECT), found a ${StatementType[prepared.statementType] ?? "non-query"} statement`);
      }
      // Values are bound, never spliced into the SQL text.
      if (parameters !== undefined) prepared.bind({ ...parameters });
      const { names, types, rows } = await readWithinLimits(this.#conn, prepared, limits);
      return { columns: names.map((name, i) => ({ name, type: types[i] ?? "UNKNOWN" })), rows: rows as JsonValue[][] };
    } catch (err) {
      if (err instanceof SqlError) throw err;
      // No `cause`: DuckDB's own message may quote values.
      throw new SqlError("SQL_FAILED", `the approved SQL failed: ${safeDuckDbMessage(errorMessage(err))}`);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.closeSync();
    } finally {
      this.#instance.closeSync();
    }
  }
}

function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

// Errors about the SQL text or the schema are safe to show; others (conversion, constraint, CSV
// errors) can quote values of the data, so only their class and line number are kept.
const SAFE_ERROR_CLASSES = /^(Parser|Binder|Catalog|Permission|Invalid Configuration|Not implemented|Dependency) Error/;

export function safeDuckDbMessage(message: string): string {
  const line = firstLine(message);
  if (SAFE_ERROR_CLASSES.test(line)) return line;
  const cls = /^([A-Za-z ]+Error)/.exec(line)?.[1] ?? "DuckDB error";
  const lineNo = /Line:\s*(\d+)/.exec(message)?.[1];
  return `${cls}${lineNo ? ` at line ${lineNo}` : ""} (details withheld: they may quote data)`;
}

export interface RunSqlOptions extends SqlSessionOptions {
  datasets: SqlDatasetInput[];
  sql: string;
  /** Default: DEFAULT_RUN_LIMITS (15 min, 10,000,000 rows, 1 GiB). */
  limits?: SqlLimits;
  /** Named parameters ($name) of the SQL, bound by the prepared statement. */
  parameters?: Readonly<Record<string, DuckDBValue>>;
}

export interface RunSqlResult extends SqlResult {
  rowCounts: Record<string, number>;
}

/** Open, load every dataset, lock down, run the approved SQL, close. */
export async function runSql(opts: RunSqlOptions): Promise<RunSqlResult> {
  const session = await SqlSession.open(opts);
  try {
    const rowCounts: Record<string, number> = {};
    for (const ds of opts.datasets) rowCounts[ds.name] = await session.loadDataset(ds);
    await session.lockDown();
    return { ...(await session.runApproved(opts.sql, opts.limits ?? DEFAULT_RUN_LIMITS, opts.parameters)), rowCounts };
  } finally {
    session.close();
  }
}
