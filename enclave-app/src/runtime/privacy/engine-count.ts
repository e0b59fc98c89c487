// Enforced mode's suppression: a group is released only when the engine's own COUNT(DISTINCT unit),
// appended to the query by the rewrite, reaches k for every dataset the query reads. The query's own
// count columns play no part. The engine's columns are removed before anything is sealed.
import { minGroupSizeProblem } from "../../protocol/index.ts";
import { PrivacyError } from "../errors.ts";
import type { EngineCountColumn } from "../sql/analysis/index.ts";
import type { JsonValue, SqlResult } from "../sql/runner.ts";
import { checkOutputColumns, type GuardedResult } from "./guard.ts";

export interface EngineCountRules {
  /** k, the strictest of every owner's and the contract's. */
  k: number;
  countColumns: readonly EngineCountColumn[];
  allowedColumns: readonly string[];
}

function units(value: JsonValue | undefined): bigint | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

export function applyEngineCount(result: SqlResult, rules: EngineCountRules): GuardedResult {
  const kProblem = minGroupSizeProblem(rules.k);
  if (kProblem) throw new PrivacyError("min-group-size", kProblem.message);
  const names = result.columns.map((c) => c.name);
  const countIndexes = rules.countColumns.map((c) => {
    const i = names.indexOf(c.name);
    if (i === -1) throw new PrivacyError("engine-count-missing", `the engine's count of ${c.unit} is missing from the result`);
    return i;
  });
  const engine = new Set(countIndexes);
  const keep = names.flatMap((_, i) => (engine.has(i) ? [] : [i]));
  const columns = keep.map((i) => result.columns[i]!);
  checkOutputColumns(columns.map((c) => c.name), rules.allowedColumns);
  const k = BigInt(rules.k);
  const rows: JsonValue[][] = [];
  let suppressed = 0;
  for (const row of result.rows) {
    const small = countIndexes.some((i) => {
      const n = units(row[i]);
      return n === undefined || n < k;
    });
    if (small) suppressed++;
    else rows.push(keep.map((i) => row[i] ?? null));
  }
  return { columns, rows, rowsReleased: rows.length, rowsSuppressed: suppressed };
}
