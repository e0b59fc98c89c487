// Output privacy rules (legacy mode; enforced mode is engine-count.ts), applied to the SQL result before anything is encrypted or written:
//  - every result column must be on the contract's allow-list (refuse otherwise: nothing is written);
//  - the count column must be present and of an integer type (refuse otherwise);
//  - rows whose count is below k (or NULL) are dropped and only counted.
// Errors name columns and rules, never values.
import { minGroupSizeProblem } from "../../protocol/index.ts";
import { PrivacyError } from "../errors.ts";
import type { JsonValue, SqlResult } from "../sql/runner.ts";

export interface PrivacyRulesInput {
  minGroupSize: number;
  countColumn: string;
  allowedColumns: string[];
}

export interface GuardedResult extends SqlResult {
  rowsReleased: number;
  rowsSuppressed: number;
}

const INTEGER_TYPES = new Set(["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"]);

export function isIntegerType(type: string): boolean {
  return INTEGER_TYPES.has(type.toUpperCase().trim());
}

function countOf(value: JsonValue | undefined): bigint | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** Both modes: every result column named once and on the contract's allow-list. */
export function checkOutputColumns(names: readonly string[], allowedColumns: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new PrivacyError("duplicate-column", `result column "${name}" appears more than once; name every output column uniquely`);
    seen.add(name);
  }
  const allowed = new Set(allowedColumns);
  const outside = names.filter((n) => !allowed.has(n));
  if (outside.length > 0) {
    throw new PrivacyError("column-not-allowed", `result column(s) ${outside.map((n) => `"${n}"`).join(", ")} are not in privacy.allowedColumns`);
  }
}

/** Legacy mode: rows are measured by the query's own count column (the weaker mode, see docs/protocol.md). */
export function applyPrivacyRules(result: SqlResult, rules: PrivacyRulesInput): GuardedResult {
  const kProblem = minGroupSizeProblem(rules.minGroupSize);
  if (kProblem) throw new PrivacyError("min-group-size", `privacy.${kProblem.message}`);
  const names = result.columns.map((c) => c.name);
  checkOutputColumns(names, rules.allowedColumns);
  const countIndex = names.indexOf(rules.countColumn);
  if (countIndex === -1) {
    throw new PrivacyError("count-column-missing", `the result has no count column "${rules.countColumn}" (privacy.countColumn)`);
  }
  const countType = result.columns[countIndex]?.type ?? "";
  if (!isIntegerType(countType)) {
    throw new PrivacyError("count-column-not-integer", `count column "${rules.countColumn}" has type ${countType}; it must be an integer type`);
  }
  const k = BigInt(rules.minGroupSize);
  const kept: JsonValue[][] = [];
  let suppressed = 0;
  for (const row of result.rows) {
    const count = countOf(row[countIndex]);
    if (count === undefined || count < k) suppressed++;
    else kept.push(row);
  }
  return { columns: result.columns, rows: kept, rowsReleased: kept.length, rowsSuppressed: suppressed };
}
