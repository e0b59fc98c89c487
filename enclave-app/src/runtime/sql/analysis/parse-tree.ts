// DuckDB's own parser as the source of truth for what a query does: json_serialize_sql gives the
// parse tree the engine will run, json_deserialize_sql turns a rewritten tree back into SQL. A
// separate in-memory instance with no data, no files, no network and no extensions: parsing only.
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { SqlError, errorMessage } from "../../errors.ts";

export type ParseTree = Record<string, unknown>;

// DuckDB writes "no location" as UINT64_MAX, which JSON.parse rounds to a number DuckDB then rejects
// as out of range; locations only serve error messages, so they are reset before parsing.
const NO_LOCATION = /"query_location":\d{16,}/g;

export class SqlParser {
  readonly #instance: DuckDBInstance;
  readonly #conn: DuckDBConnection;

  private constructor(instance: DuckDBInstance, conn: DuckDBConnection) {
    this.#instance = instance;
    this.#conn = conn;
  }

  static async open(): Promise<SqlParser> {
    const instance = await DuckDBInstance.create(":memory:", {
      enable_external_access: "false",
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      lock_configuration: "true",
    });
    return new SqlParser(instance, await instance.connect());
  }

  /** The parse tree ({error: true, ...} when DuckDB cannot parse or serialize it). */
  async serialize(sql: string): Promise<ParseTree> {
    const reader = await this.#conn.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR)", [sql]);
    const text = String(reader.getRowsJS()[0]?.[0] ?? "");
    return JSON.parse(text.replace(NO_LOCATION, '"query_location":0')) as ParseTree;
  }

  /** SQL text for a (rewritten) tree. */
  async deserialize(tree: ParseTree): Promise<string> {
    try {
      const reader = await this.#conn.runAndReadAll("SELECT json_deserialize_sql($1::JSON)", [JSON.stringify(tree)]);
      return String(reader.getRowsJS()[0]?.[0] ?? "");
    } catch (err) {
      throw new SqlError("SQL_FAILED", `the rewritten query could not be rendered: ${errorMessage(err).split("\n")[0]}`);
    }
  }

  close(): void {
    try {
      this.#conn.closeSync();
    } finally {
      this.#instance.closeSync();
    }
  }
}

/** Opens a parser for one job and always closes it. */
export async function withParser<T>(fn: (parser: SqlParser) => Promise<T>): Promise<T> {
  const parser = await SqlParser.open();
  try {
    return await fn(parser);
  } finally {
    parser.close();
  }
}
