// Differential privacy's query, rewritten from the compliant one (analyze.ts) so that the engine
// bounds what one privacy unit contributes before anything is aggregated (Wilson et al., "Differentially
// Private SQL with Bounded User Contribution", PoPETs 2020, section 3):
//   rows       the query's FROM/JOIN/WHERE, unchanged (DuckDB renders the checked parse tree), projected
//              to the output dimensions, the privacy unit and each aggregate's column
//   per_unit   one row per (group, unit): COUNTs capped at N rows, SUMs over values clamped to the
//              owner's [L, U] in fixed point, the unit's partial sum capped to N * [min(L,0), max(U,0)]
//   bounded    each unit keeps at most C groups, chosen by SHA-256 under a per-run secret (bound as
//              the parameter $__cleanroom_secret, never written into the SQL text)
//   result     per group: the number of units (for the noisy threshold) and the exact bounded sums
// The DP release (privacy/dp-release.ts) adds the noise. Every value here is an exact integer
// (HUGEINT), so the noise is added to the true bounded value, never to a rounded double.
import type { DpRules } from "../../../protocol/index.ts";
import { DEFAULT_DP_DECIMALS } from "../../../protocol/index.ts";
import type { CompliantQuery, Node, OutputItem, QueryProblem } from "./analyze.ts";
import type { ParseTree, SqlParser } from "./parse-tree.ts";
import { columnRef } from "./rewrite.ts";

/** The named parameter the run binds its bounding secret to. */
export const DP_SECRET_PARAMETER = "__cleanroom_secret";

/** How each output of the query comes out of the rewritten SQL's result. */
export type DpOutput =
  | { name: string; kind: "dimension"; column: string }
  /** COUNT(DISTINCT unit): the group's noisy unit count (the threshold's, no further budget). */
  | { name: string; kind: "units" }
  | { name: string; kind: "count"; column: string }
  | { name: string; kind: "sum"; column: string; clamp: { min: number; max: number } }
  | { name: string; kind: "avg"; sumColumn: string; countColumn: string; clamp: { min: number; max: number } };

export interface DpPlan {
  sql: string;
  /** Output of the rewritten SQL holding each group's distinct bounded units. */
  unitsColumn: string;
  outputs: DpOutput[];
  /** True when the query groups: the set of groups is then itself released by the noisy threshold. */
  grouped: boolean;
  /** "<dataset>.<unit>" of the query's privacy unit. */
  unit: string;
}

export type DpVerdict = { ok: true; plan: DpPlan } | { ok: false; problems: QueryProblem[] };

const UNITS = "__cleanroom_units";

/** Integer text of v * 10^d for a v already checked to lie on that grid. */
function units(v: number, decimals: number): bigint {
  return BigInt(Math.round(v * 10 ** decimals));
}

/** Shapes differential privacy cannot release with a bounded sensitivity here, named like the analyzer's rules. */
export function dpProblems(tree: ParseTree, query: CompliantQuery): QueryProblem[] {
  const problems: QueryProblem[] = [];
  query.items.forEach((item, i) => {
    if (item.kind !== "aggregate" || item.aggregate === "COUNT_STAR" || item.aggregate === "COUNT" || item.aggregate === "SUM" || item.aggregate === "AVG") return;
    const unit = item.table.dataset.analysis!.privacyUnit;
    if (item.aggregate === "COUNT_DISTINCT" && item.column.toLowerCase() === unit.toLowerCase()) return;
    problems.push({
      clause: `select[${i}]`,
      rule: "dp-aggregate",
      message: `${item.aggregate} of "${item.table.dataset.name}.${item.column}" has no noisy form with bounded sensitivity: with differential privacy use COUNT(*), COUNT, SUM, AVG or COUNT(DISTINCT ${unit})`,
    });
  });
  // One unit across every table: otherwise removing one individual from one dataset could remove
  // rows of many units of another, and no per-unit bound would hold.
  const linked = new Set<string>(query.tables.slice(0, 1).map((t) => t.alias));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of query.unitLinks) {
      if (linked.has(a) !== linked.has(b)) {
        linked.add(a).add(b);
        grew = true;
      }
    }
  }
  for (const t of query.tables.filter((t) => !linked.has(t.alias))) {
    problems.push({
      clause: "join",
      rule: "dp-unit-join",
      message: `with differential privacy every dataset's privacy unit must be joined to the others' (… ON ${query.tables[0]!.alias}.${query.tables[0]!.dataset.analysis!.privacyUnit} = ${t.alias}.${t.dataset.analysis!.privacyUnit}), so that one unit is one individual everywhere; "${t.dataset.name}" is not`,
    });
  }
  const select = (tree.statements as Node[])[0]!.node as Node;
  const aggregates = new Set(query.items.filter((o) => o.kind === "aggregate").map((o) => o.name.toLowerCase()));
  for (const m of (select.modifiers as Node[] | undefined) ?? []) {
    for (const o of (m.orders as Node[] | undefined) ?? []) {
      const names = ((o.expression as Node | undefined)?.column_names as string[] | undefined) ?? [];
      if (names.length === 1 && aggregates.has(names[0]!.toLowerCase())) {
        problems.push({ clause: "order by", rule: "dp-order-by-aggregate", message: "ORDER BY an aggregate would order groups by their true values: with differential privacy results are ordered by their dimensions" });
      }
    }
  }
  return problems;
}

/** The rewritten SQL; call only for a compliant query without dpProblems. */
export async function rewriteForDp(tree: ParseTree, query: CompliantQuery, dp: DpRules, parser: SqlParser): Promise<DpPlan> {
  const n = BigInt(dp.maxRowsPerUnit);
  const decimals = dp.decimals ?? DEFAULT_DP_DECIMALS;
  const first = query.tables[0]!;
  const unitColumn = first.dataset.analysis!.privacyUnit;

  // rows: the query's own FROM and WHERE, projected. The checked tree is rendered by DuckDB itself.
  const copy = structuredClone(tree);
  const select = (copy.statements as Node[])[0]!.node as Node;
  const dims = query.items.filter((o): o is Extract<OutputItem, { kind: "dimension" }> => o.kind === "dimension");
  const read = query.items.flatMap((o, j) => (o.kind === "aggregate" && o.aggregate !== "COUNT_STAR" && o.aggregate !== "COUNT_DISTINCT" ? [{ o, j }] : []));
  select.select_list = [
    ...dims.map((d, i) => ({ ...columnRef(d.alias, d.column), alias: `__d${i}` })),
    { ...columnRef(first.alias, unitColumn), alias: "__unit" },
    ...read.map(({ o, j }) => ({ ...columnRef((o as { alias: string }).alias, (o as { column: string }).column), alias: `__a${j}` })),
  ];
  select.group_expressions = [];
  select.group_sets = [];
  select.modifiers = [];
  const rows = await parser.deserialize(copy);

  const dimCols = dims.map((_, i) => `__d${i}`);
  const perUnit: string[] = [];
  const outer: string[] = [];
  const outputs: DpOutput[] = [];
  let d = 0;
  query.items.forEach((o, j) => {
    if (o.kind === "dimension") {
      outputs.push({ name: o.name, kind: "dimension", column: `__d${d++}` });
      return;
    }
    if (o.aggregate === "COUNT_DISTINCT") {
      outputs.push({ name: o.name, kind: "units" });
      return;
    }
    if (o.aggregate === "COUNT_STAR" || o.aggregate === "COUNT") {
      perUnit.push(`least(count(${o.aggregate === "COUNT_STAR" ? "*" : `__a${j}`}), ${n}) AS __p${j}`);
      outer.push(`sum(__p${j})::HUGEINT AS __p${j}`);
      outputs.push({ name: o.name, kind: "count", column: `__p${j}` });
      return;
    }
    const clamp = o.table.dataset.analysis!.clamp![Object.keys(o.table.dataset.analysis!.clamp!).find((k) => k.toLowerCase() === o.column.toLowerCase())!]!;
    const lo = units(clamp.min, decimals);
    const hi = units(clamp.max, decimals);
    const value = `CAST(greatest(least(round(CAST(__a${j} AS DOUBLE) * ${10 ** decimals}), ${hi}), ${lo}) AS HUGEINT)`;
    const cap = `greatest(least(sum(${value}), ${n * (hi > 0n ? hi : 0n)}), ${n * (lo < 0n ? lo : 0n)})`;
    perUnit.push(`${cap} AS __p${j}`);
    outer.push(`coalesce(sum(__p${j}), 0)::HUGEINT AS __p${j}`);
    if (o.aggregate === "SUM") outputs.push({ name: o.name, kind: "sum", column: `__p${j}`, clamp });
    else {
      perUnit.push(`least(count(__a${j}), ${n}) AS __q${j}`);
      outer.push(`coalesce(sum(__q${j}), 0)::HUGEINT AS __q${j}`);
      outputs.push({ name: o.name, kind: "avg", sumColumn: `__p${j}`, countColumn: `__q${j}`, clamp });
    }
  });
  const groupKey = ["__unit", ...dimCols].map((c) => `CAST(${c} AS VARCHAR)`).join(", ");
  const groupBy = dimCols.length > 0 ? ` GROUP BY ${dimCols.join(", ")}` : "";
  const sql = [
    `WITH __cleanroom_rows AS (${rows}),`,
    `__cleanroom_per_unit AS (SELECT ${[...dimCols, "__unit", ...perUnit].join(", ")} FROM __cleanroom_rows WHERE __unit IS NOT NULL GROUP BY ${[...dimCols, "__unit"].join(", ")}),`,
    `__cleanroom_bounded AS (SELECT *, row_number() OVER (PARTITION BY __unit ORDER BY sha256(concat($${DP_SECRET_PARAMETER}::VARCHAR, to_json([${groupKey}])))) AS __cleanroom_rank FROM __cleanroom_per_unit)`,
    `SELECT ${[...dimCols, `count(*)::HUGEINT AS ${UNITS}`, ...outer].join(", ")} FROM __cleanroom_bounded WHERE __cleanroom_rank <= ${dp.maxGroupsPerUnit}${groupBy}${dimCols.length > 0 ? ` ORDER BY ${dimCols.join(", ")}` : ""}`,
  ].join("\n");
  return { sql, unitsColumn: UNITS, outputs, grouped: dimCols.length > 0, unit: `${first.dataset.name}.${unitColumn}` };
}
