// Differential privacy's release: the bounded, exact per-group values of the rewritten query
// (sql/analysis/dp-rewrite.ts) become noisy values, and only groups whose noisy unit count clears the
// threshold tau (and k) are released. The run's epsilon is shared evenly between the group threshold
// (when the query groups) and each aggregate output; delta goes to the threshold. One unit changes
// at most C groups (maxGroupsPerUnit) by at most N rows (maxRowsPerUnit) each, so a count has L1
// sensitivity C*N, a sum C*N*max(|L|,|U|) and the unit count C. Sequential composition over the
// parts gives (epsilon, delta) for the whole result. Nothing here reads the query's own values
// other than the bounded ones: no true count, sum or group total leaves this function.
import type { DpRules } from "../../protocol/index.ts";
import { DEFAULT_DP_DECIMALS } from "../../protocol/index.ts";
import { PrivacyError } from "../errors.ts";
import type { DpPlan } from "../sql/analysis/index.ts";
import type { JsonValue, SqlColumnSpec, SqlResult } from "../sql/runner.ts";
import { noisyCount, noisyExactSum, selectGroups, type SamplerOptions } from "./dp/index.ts";
import { checkDelta, checkEpsilon } from "./dp/params.ts";
import { type Rational, rational, toDecimalText, toNumber } from "./dp/rational.ts";
import { checkOutputColumns, type GuardedResult } from "./guard.ts";

export interface DpReleaseInput {
  result: SqlResult;
  plan: DpPlan;
  dp: DpRules;
  /** k still applies, to the noisy unit count (post-processing: it costs no budget). */
  k: number;
  allowedColumns: readonly string[];
}

/** What one run spends, known before any key is released. */
export interface DpSpend {
  epsilon: string;
  delta: string;
  /** How many releases share epsilon (the threshold, then each aggregate). */
  parts: number;
}

export interface DpReleased extends GuardedResult {
  spend: DpSpend;
  /** The noisy threshold a group's unit count had to exceed (grouped queries). */
  tau?: string;
}

function partsOf(plan: DpPlan): number {
  const aggregates = plan.outputs.filter((o) => o.kind === "count" || o.kind === "sum" || o.kind === "avg").length;
  const unitsReleased = plan.outputs.some((o) => o.kind === "units");
  return aggregates + (plan.grouped || unitsReleased ? 1 : 0);
}

/** epsilon and delta the run spends: delta only when a threshold selects the groups. */
export function dpSpend(plan: DpPlan, dp: DpRules): DpSpend {
  const epsilon = checkEpsilon(dp.epsilon, "privacy.dp.epsilon");
  const delta = plan.grouped ? toDecimalText(checkDelta(dp.delta, "privacy.dp.delta")) : "0";
  return { epsilon: toDecimalText(epsilon), delta, parts: partsOf(plan) };
}

function exactInteger(value: JsonValue | undefined, column: string): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  // The rewrite makes every bounded value a HUGEINT; anything else means the SQL is not ours.
  throw new PrivacyError("dp-value", `the engine's bounded value ${column} is not an integer`);
}

export function releaseWithDp(input: DpReleaseInput, options: SamplerOptions = {}): DpReleased {
  const { plan, dp, result } = input;
  const spend = dpSpend(plan, dp);
  const eps = checkEpsilon(dp.epsilon, "privacy.dp.epsilon");
  const part: Rational = rational(eps.num, eps.den * BigInt(spend.parts));
  const half: Rational = rational(part.num, part.den * 2n);
  const groups = plan.grouped ? dp.maxGroupsPerUnit : 1;
  const rowsPerUnit = groups * dp.maxRowsPerUnit;
  const decimals = dp.decimals ?? DEFAULT_DP_DECIMALS;
  const scale = 10 ** decimals;

  checkOutputColumns(plan.outputs.map((o) => o.name), input.allowedColumns);
  const index = new Map(result.columns.map((c, i) => [c.name, i]));
  const at = (row: JsonValue[], column: string): JsonValue | undefined => {
    const i = index.get(column);
    if (i === undefined) throw new PrivacyError("dp-column-missing", `the engine's column ${column} is missing from the result`);
    return row[i];
  };

  // Which groups: noisy threshold (grouped), or the single group a query without GROUP BY always has.
  let candidates: { row: JsonValue[]; noisyUnits?: bigint }[];
  let tau: string | undefined;
  if (plan.grouped) {
    const selection = selectGroups(
      result.rows.map((row) => ({ group: row, units: exactInteger(at(row, plan.unitsColumn), plan.unitsColumn) })),
      { epsilon: part, delta: dp.delta, maxGroupsPerUnit: dp.maxGroupsPerUnit },
      options,
    );
    tau = selection.threshold.tau.toString();
    candidates = selection.released.filter((g) => g.noisyUnits >= BigInt(input.k)).map((g) => ({ row: g.group, noisyUnits: g.noisyUnits }));
  } else {
    candidates = result.rows.map((row) => ({ row }));
  }

  const rows = candidates.map(({ row, noisyUnits }) =>
    plan.outputs.map((o): JsonValue => {
      switch (o.kind) {
        case "dimension":
          return at(row, o.column) ?? null;
        case "units": {
          const noisy = noisyUnits ?? noisyCount({ count: exactInteger(at(row, plan.unitsColumn), plan.unitsColumn), epsilon: part, maxRowsPerUnit: 1 }, options).value;
          return (noisy < 0n ? 0n : noisy).toString();
        }
        case "count": {
          const noisy = noisyCount({ count: exactInteger(at(row, o.column), o.column), epsilon: part, maxRowsPerUnit: rowsPerUnit }, options).value;
          return (noisy < 0n ? 0n : noisy).toString();
        }
        case "sum": {
          const sum = noisyExactSum({ units: exactInteger(at(row, o.column), o.column), lower: o.clamp.min, upper: o.clamp.max, decimals, maxRowsPerUnit: rowsPerUnit, epsilon: part }, options);
          return Math.round(sum.value * scale) / scale;
        }
        case "avg": {
          const sum = noisyExactSum({ units: exactInteger(at(row, o.sumColumn), o.sumColumn), lower: o.clamp.min, upper: o.clamp.max, decimals, maxRowsPerUnit: rowsPerUnit, epsilon: half }, options);
          const count = noisyCount({ count: exactInteger(at(row, o.countColumn), o.countColumn), epsilon: half, maxRowsPerUnit: rowsPerUnit }, options).value;
          const avg = toNumber(rational(sum.units, (count < 1n ? 1n : count) * 10n ** BigInt(decimals)));
          return Math.round(Math.min(Math.max(avg, o.clamp.min), o.clamp.max) * scale) / scale;
        }
      }
    }),
  );
  const dimType = (column: string): string => result.columns[index.get(column) ?? -1]?.type ?? "VARCHAR";
  const columns: SqlColumnSpec[] = plan.outputs.map((o) => ({ name: o.name, type: o.kind === "dimension" ? dimType(o.column) : o.kind === "units" || o.kind === "count" ? "BIGINT" : "DOUBLE" }));
  // How many groups were withheld is a count over the true groups: not released (rowsSuppressed 0).
  return { columns, rows, rowsReleased: rows.length, rowsSuppressed: 0, spend, ...(tau !== undefined ? { tau } : {}) };
}
