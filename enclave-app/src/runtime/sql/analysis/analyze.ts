// The owners' analysis rules checked on DuckDB's parse tree (enforced mode). An allow-list grammar,
// not a list of known attacks: one SELECT over contract datasets joined by equality on declared join
// columns, grouped by dimensions, whose outputs are dimensions or allowed aggregates of one column.
// Everything else (set operations, CTEs, subqueries, windows, HAVING, LIMIT/OFFSET, table functions,
// expressions around aggregates, ...) is refused with the clause and the rule named.
import type { AnalysisAggregate, DatasetSpec } from "../../../protocol/index.ts";
import type { ParseTree } from "./parse-tree.ts";

export interface QueryProblem {
  /** Where: "statement", "from", "join", "select[2]", "group by", "where", "order by", ... */
  clause: string;
  /** Machine-readable rule id, e.g. "window-function". */
  rule: string;
  message: string;
}

export interface TableUse {
  /** The name the query refers to the table by (its alias, or the dataset name). */
  alias: string;
  dataset: DatasetSpec;
}

export interface QueryOutput {
  name: string;
  kind: "dimension" | "aggregate";
  /** e.g. "sales.region" or "SUM(claims.amount)". */
  source: string;
}

/** An output as the engine rewrites it: which column it reads and, for aggregates, which one. */
export type OutputItem =
  | { name: string; kind: "dimension"; alias: string; column: string }
  | { name: string; kind: "aggregate"; aggregate: "COUNT_STAR" }
  | { name: string; kind: "aggregate"; aggregate: AnalysisAggregate; alias: string; column: string; table: TableUse };

export interface CompliantQuery {
  tables: TableUse[];
  outputs: QueryOutput[];
  /** The outputs in order, resolved to table aliases and schema columns (the DP rewrite reads them). */
  items: OutputItem[];
  /** Pairs of table aliases a join condition equates on both tables' privacy units. */
  unitLinks: [string, string][];
  /** Resolved GROUP BY columns, e.g. "sales.region". */
  groupBy: string[];
  /** The aggregate nodes to clamp, with the bounds (rewrite.ts edits them). */
  clamps: { node: Node; min: number; max: number }[];
}

export type Analysis = { ok: true; query: CompliantQuery; tree: ParseTree } | { ok: false; problems: QueryProblem[] };

/** Output names the engine's own columns use; a query may not claim them. */
export const ENGINE_COLUMN_PREFIX = "__cleanroom";

export type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
const nodes = (v: unknown): Node[] => (Array.isArray(v) ? v.filter(isNode) : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

const AGGREGATE_OF: Record<string, AnalysisAggregate> = { count: "COUNT", sum: "SUM", avg: "AVG", min: "MIN", max: "MAX" };

interface Column {
  table: TableUse;
  /** The schema's spelling. */
  name: string;
}

class Checker {
  readonly problems: QueryProblem[] = [];
  readonly tables: TableUse[] = [];
  readonly usingColumns = new Set<string>();
  readonly unitLinks: [string, string][] = [];
  readonly datasets: readonly DatasetSpec[];

  constructor(datasets: readonly DatasetSpec[]) {
    this.datasets = datasets;
  }

  refuse(clause: string, rule: string, message: string): void {
    this.problems.push({ clause, rule, message });
  }

  /** Collects the FROM clause's tables; join conditions are checked once every table is known. */
  from(ref: Node, joins: Node[]): void {
    const type = str(ref.type);
    if (type === "BASE_TABLE") {
      const table = str(ref.table_name);
      if (str(ref.schema_name) !== "" || str(ref.catalog_name) !== "") {
        return this.refuse("from", "qualified-table", `table ${JSON.stringify(table)} must be named without schema or catalog: only the contract's datasets are readable`);
      }
      const dataset = this.datasets.find((d) => d.name.toLowerCase() === table.toLowerCase());
      if (!dataset) return this.refuse("from", "unknown-table", `${JSON.stringify(table)} is not one of the contract's datasets`);
      if (!dataset.analysis) {
        return this.refuse("from", "dataset-without-analysis", `dataset "${dataset.name}" declares no analysis rules, so an enforced contract's query cannot read it`);
      }
      // FROM sales s(region, customer_id) would rename columns by position: "region" would then be the unit.
      if (Array.isArray(ref.column_name_alias) && ref.column_name_alias.length > 0) {
        return this.refuse("from", "column-rename", `renaming the columns of "${dataset.name}" in FROM is refused: the rules name its columns as the schema does`);
      }
      if (ref.at_clause != null) return this.refuse("from", "time-travel", `AT (...) on "${dataset.name}" is refused`);
      if (ref.sample !== null && ref.sample !== undefined) return this.refuse("from", "sample", `TABLESAMPLE on "${dataset.name}" is refused: a sample can isolate individuals`);
      if (this.tables.some((t) => t.dataset === dataset)) {
        return this.refuse("from", "self-join", `dataset "${dataset.name}" is read more than once: a self-join can single out one individual`);
      }
      const alias = str(ref.alias) || dataset.name;
      this.tables.push({ alias, dataset });
      return;
    }
    if (type === "JOIN") {
      const refType = str(ref.ref_type);
      const using = Array.isArray(ref.using_columns) ? ref.using_columns.length : 0;
      if (refType === "CROSS" || (ref.condition == null && using === 0)) {
        this.refuse("join", "cross-join", "cross joins (FROM a, b) are refused: join on declared join columns");
      } else if (refType !== "REGULAR") this.refuse("join", "join-type", `${refType} joins are refused: use an INNER JOIN on declared join columns`);
      else if (str(ref.join_type) !== "INNER") this.refuse("join", "join-type", `${str(ref.join_type)} joins are refused: use an INNER JOIN on declared join columns`);
      if (isNode(ref.left)) this.from(ref.left, joins);
      if (isNode(ref.right)) this.from(ref.right, joins);
      joins.push(ref);
      return;
    }
    if (type === "TABLE_FUNCTION") {
      const fn = isNode(ref.function) ? str(ref.function.function_name) : "?";
      return this.refuse("from", "table-function", `table function ${fn}() is refused: a query reads only the contract's datasets`);
    }
    if (type === "SUBQUERY") return this.refuse("from", "subquery", "subqueries in FROM are refused: they can return raw rows to the output");
    if (type === "EMPTY") return this.refuse("from", "no-dataset", "the query reads no dataset (no FROM clause)");
    this.refuse("from", "from-clause", `${type} in FROM is refused`);
  }

  join(ref: Node): void {
    const using = Array.isArray(ref.using_columns) ? ref.using_columns.filter((c): c is string => typeof c === "string") : [];
    for (const column of using) {
      this.usingColumns.add(column.toLowerCase());
      const holders = this.tables.filter((t) => t.dataset.schema.some((c) => c.name.toLowerCase() === column.toLowerCase()));
      for (const t of holders) this.joinColumn({ table: t, name: column }, "join");
      const units = holders.filter((t) => isUnit({ table: t, name: column }));
      for (const t of units.slice(1)) this.unitLinks.push([units[0]!.alias, t.alias]);
    }
    if (ref.condition == null) return;
    for (const eq of conjuncts(ref.condition)) {
      const [left, right] = [eq.left, eq.right];
      if (str(eq.type) !== "COMPARE_EQUAL" || !isNode(left) || !isNode(right) || str(left.class) !== "COLUMN_REF" || str(right.class) !== "COLUMN_REF") {
        this.refuse("join", "join-condition", "a join condition may only be equalities between join columns, combined with AND");
        continue;
      }
      const a = this.resolve(left, "join");
      const b = this.resolve(right, "join");
      if (a) this.joinColumn(a, "join");
      if (b) this.joinColumn(b, "join");
      if (a && b && a.table === b.table) this.refuse("join", "join-condition", `join condition compares two columns of "${a.table.dataset.name}"`);
      else if (a && b && isUnit(a) && isUnit(b)) this.unitLinks.push([a.table.alias, b.table.alias]);
    }
  }

  joinColumn(col: Column, clause: string): void {
    const allowed = col.table.dataset.analysis?.joinColumns ?? [];
    if (!allowed.some((c) => c.toLowerCase() === col.name.toLowerCase())) {
      this.refuse(clause, "join-column-not-allowed", `"${col.table.dataset.name}.${col.name}" is not one of its owner's joinColumns (${allowed.join(", ") || "none"})`);
    }
  }

  resolve(ref: Node, clause: string): Column | undefined {
    const names = Array.isArray(ref.column_names) ? ref.column_names.map(String) : [];
    const column = names.at(-1) ?? "";
    const has = (t: TableUse) => t.dataset.schema.find((c) => c.name.toLowerCase() === column.toLowerCase());
    let candidates: TableUse[];
    if (names.length === 1) candidates = this.tables.filter(has);
    else if (names.length === 2) candidates = this.tables.filter((t) => t.alias.toLowerCase() === names[0]!.toLowerCase() && has(t));
    else candidates = [];
    const first = candidates[0];
    if (!first) {
      this.refuse(clause, "unknown-column", `column ${JSON.stringify(names.join("."))} is not a column of the datasets this query reads`);
      return undefined;
    }
    if (candidates.length > 1 && !this.usingColumns.has(column.toLowerCase())) {
      this.refuse(clause, "ambiguous-column", `column ${JSON.stringify(column)} is in several datasets: qualify it (table.column)`);
      return undefined;
    }
    return { table: first, name: has(first)!.name };
  }

  dimension(ref: Node, clause: string, rule: string): Column | undefined {
    const col = this.resolve(ref, clause);
    if (!col) return undefined;
    const dims = col.table.dataset.analysis?.dimensions ?? [];
    if (!dims.some((d) => d.toLowerCase() === col.name.toLowerCase())) {
      this.refuse(clause, rule, `"${col.table.dataset.name}.${col.name}" is not one of its owner's dimensions (${dims.join(", ") || "none"})`);
      return undefined;
    }
    return col;
  }

  /** WHERE: comparisons, AND/OR/NOT, IN lists, BETWEEN, IS NULL over dimensions and constants. */
  where(expr: Node): void {
    const cls = str(expr.class);
    switch (cls) {
      case "COLUMN_REF":
        this.dimension(expr, "where", "where-not-dimension");
        return;
      case "CONSTANT":
        return;
      case "SUBQUERY":
        return this.refuse("where", "subquery", "subqueries in WHERE are refused");
      case "COMPARISON":
      case "CONJUNCTION":
      case "OPERATOR":
      case "BETWEEN":
      case "CAST": {
        for (const key of ["left", "right", "child", "input", "lower", "upper"]) if (isNode(expr[key])) this.where(expr[key]);
        for (const child of nodes(expr.children)) this.where(child);
        return;
      }
      default:
        this.refuse("where", "where-expression", `${cls.toLowerCase() || "this"} expressions are refused in WHERE: compare dimensions with constants`);
    }
  }
}

function isUnit(col: Column): boolean {
  return col.table.dataset.analysis?.privacyUnit.toLowerCase() === col.name.toLowerCase();
}

function conjuncts(expr: unknown): Node[] {
  if (!isNode(expr)) return [];
  if (str(expr.type) === "CONJUNCTION_AND") return nodes(expr.children).flatMap(conjuncts);
  return [expr];
}

/** Checks one parse tree against the contract's datasets; a compliant query comes with what it outputs. */
export function analyzeQuery(tree: ParseTree, datasets: readonly DatasetSpec[]): Analysis {
  const c = new Checker(datasets);
  if (tree.error === true) {
    const kind = str(tree.error_type);
    const rule = kind === "not implemented" ? "not-a-select" : "parse-error";
    const detail = rule === "not-a-select" ? "only a SELECT statement can run" : str(tree.error_message);
    return { ok: false, problems: [{ clause: "statement", rule, message: `the query does not parse as a SELECT: ${detail}` }] };
  }
  const statements = nodes(tree.statements);
  if (statements.length !== 1) {
    return { ok: false, problems: [{ clause: "statement", rule: "one-statement", message: `the query must be exactly one statement; found ${statements.length}` }] };
  }
  const node = isNode(statements[0]!.node) ? statements[0]!.node : {};
  const type = str(node.type);
  if (type === "SET_OPERATION_NODE") {
    const op = str(node.setop_type) || "set operation";
    return { ok: false, problems: [{ clause: "statement", rule: "set-operation", message: `${op} is refused: the engine counts k per group of a single SELECT, so each arm would escape it` }] };
  }
  if (type !== "SELECT_NODE") return { ok: false, problems: [{ clause: "statement", rule: "not-a-select", message: `${type} queries are refused` }] };

  if (isNode(node.cte_map) && nodes(node.cte_map.map).length > 0) c.refuse("with", "cte", "WITH (common table expressions) is refused: a CTE can carry raw rows to the output");
  if (node.having != null) c.refuse("having", "having", "HAVING is refused: the engine drops groups under k itself, and a HAVING filter can single out one group");
  if (node.qualify != null) c.refuse("qualify", "qualify", "QUALIFY is refused (it filters on window functions)");
  if (node.sample != null) c.refuse("sample", "sample", "USING SAMPLE is refused: a sample can isolate individuals");
  if (str(node.aggregate_handling) !== "STANDARD_HANDLING") c.refuse("group by", "group-by-all", "GROUP BY ALL is refused: name the dimensions");

  const joins: Node[] = [];
  if (isNode(node.from_table)) c.from(node.from_table, joins);
  for (const j of joins) c.join(j);
  if (isNode(node.where_clause)) c.where(node.where_clause);

  // GROUP BY: dimensions only, one plain grouping (ROLLUP/CUBE/GROUPING SETS release sub-totals that difference).
  const groupExprs = nodes(node.group_expressions);
  const sets = Array.isArray(node.group_sets) ? node.group_sets : [];
  if (groupExprs.length > 0 && !(sets.length === 1 && Array.isArray(sets[0]) && sets[0].length === groupExprs.length)) {
    c.refuse("group by", "grouping-sets", "ROLLUP, CUBE and GROUPING SETS are refused: group by dimensions once");
  }
  const grouped = new Set<string>();
  const groupBy: string[] = [];
  for (const g of groupExprs) {
    if (str(g.class) !== "COLUMN_REF") {
      c.refuse("group by", "group-by-not-dimension", "GROUP BY may only name dimension columns, not expressions");
      continue;
    }
    const col = c.dimension(g, "group by", "group-by-not-dimension");
    if (col) {
      grouped.add(`${col.table.alias}.${col.name}`.toLowerCase());
      groupBy.push(`${col.table.dataset.name}.${col.name}`);
    }
  }

  const outputs: QueryOutput[] = [];
  const items: OutputItem[] = [];
  const clamps: CompliantQuery["clamps"] = [];
  nodes(node.select_list).forEach((item, i) => {
    const clause = `select[${i}]`;
    const alias = str(item.alias);
    if (alias.toLowerCase().startsWith(ENGINE_COLUMN_PREFIX)) c.refuse(clause, "reserved-name", `output names starting with "${ENGINE_COLUMN_PREFIX}" are the engine's`);
    const cls = str(item.class);
    if (cls === "COLUMN_REF") {
      const col = c.dimension(item, clause, "output-not-dimension");
      if (!col) return;
      if (!grouped.has(`${col.table.alias}.${col.name}`.toLowerCase())) {
        c.refuse(clause, "output-not-grouped", `output column "${col.name}" must also be in GROUP BY, or every row would be released`);
        return;
      }
      outputs.push({ name: alias || col.name, kind: "dimension", source: `${col.table.dataset.name}.${col.name}` });
      items.push({ name: alias || col.name, kind: "dimension", alias: col.table.alias, column: col.name });
      return;
    }
    let agg: Node = item;
    // A cast of an aggregate (count(*)::BIGINT) changes its type, not what it reveals.
    while (str(agg.class) === "CAST" && isNode(agg.child)) agg = agg.child;
    const aggClass = str(agg.class);
    if (aggClass === "WINDOW") return c.refuse(clause, "window-function", `window functions (${str(agg.function_name)} OVER ...) are refused: they attach group values to individual rows`);
    if (aggClass === "STAR") return c.refuse(clause, "star", "SELECT * is refused: name dimensions and aggregates");
    if (aggClass === "CONSTANT") return c.refuse(clause, "constant-output", "a constant output column is refused (a made-up count would pass a count check)");
    if (aggClass === "SUBQUERY") return c.refuse(clause, "subquery", "subqueries in the output are refused");
    const fn = str(agg.function_name).toLowerCase();
    if (aggClass !== "FUNCTION" || agg.is_operator === true || (fn !== "count_star" && !(fn in AGGREGATE_OF))) {
      return c.refuse(clause, "output-expression", "an output column must be a dimension or one allowed aggregate (COUNT, SUM, AVG, MIN, MAX) of one column, not an expression");
    }
    if (agg.filter != null) return c.refuse(clause, "aggregate-filter", "FILTER (WHERE ...) on an aggregate is refused: filter in WHERE on dimensions");
    if (isNode(agg.order_bys) && nodes(agg.order_bys.orders).length > 0) return c.refuse(clause, "aggregate-order", "ORDER BY inside an aggregate is refused");
    if (!alias) return c.refuse(clause, "output-alias-required", `name the aggregate output (… AS name)`);
    if (fn === "count_star") {
      outputs.push({ name: alias, kind: "aggregate", source: "COUNT(*)" });
      items.push({ name: alias, kind: "aggregate", aggregate: "COUNT_STAR" });
      return;
    }
    const args = nodes(agg.children);
    if (args.length !== 1 || str(args[0]!.class) !== "COLUMN_REF") return c.refuse(clause, "aggregate-argument", `${fn.toUpperCase()} must take one column, not an expression`);
    const col = c.resolve(args[0]!, clause);
    if (!col) return;
    const base = AGGREGATE_OF[fn]!;
    if (agg.distinct === true && base !== "COUNT") return c.refuse(clause, "aggregate-distinct", `${base}(DISTINCT …) is refused`);
    const kind: AnalysisAggregate = agg.distinct === true ? "COUNT_DISTINCT" : base;
    const allowed = col.table.dataset.analysis?.aggregates?.[Object.keys(col.table.dataset.analysis?.aggregates ?? {}).find((k) => k.toLowerCase() === col.name.toLowerCase()) ?? ""] ?? [];
    if (!allowed.includes(kind)) {
      return c.refuse(clause, "aggregate-not-allowed", `${kind} of "${col.table.dataset.name}.${col.name}" is not allowed by its owner (allowed: ${allowed.join(", ") || "none"})`);
    }
    if (kind === "SUM" || kind === "AVG") {
      const bounds = col.table.dataset.analysis?.clamp?.[col.name];
      if (!bounds) return c.refuse(clause, "clamp-missing", `"${col.table.dataset.name}.${col.name}" has no clamp bounds`);
      clamps.push({ node: agg, ...bounds });
    }
    outputs.push({ name: alias, kind: "aggregate", source: `${kind}(${col.table.dataset.name}.${col.name})` });
    items.push({ name: alias, kind: "aggregate", aggregate: kind, alias: col.table.alias, column: col.name, table: col.table });
  });

  const seen = new Set<string>();
  for (const o of outputs) {
    if (o.name.toLowerCase().startsWith(ENGINE_COLUMN_PREFIX) && o.kind === "dimension") c.refuse("select", "reserved-name", `output names starting with "${ENGINE_COLUMN_PREFIX}" are the engine's`);
    if (seen.has(o.name.toLowerCase())) c.refuse("select", "duplicate-output", `output column "${o.name}" appears more than once`);
    seen.add(o.name.toLowerCase());
  }

  // ORDER BY only on output columns (it reorders released groups, nothing more); LIMIT/OFFSET refused
  // (a limit after ordering picks out the extreme group, and with OFFSET pages through them).
  for (const m of nodes(node.modifiers)) {
    const mt = str(m.type);
    if (mt === "ORDER_MODIFIER") {
      for (const o of nodes(m.orders)) {
        const e = isNode(o.expression) ? o.expression : {};
        const names = Array.isArray(e.column_names) ? e.column_names.map(String) : [];
        const byName = names.length === 1 && seen.has(names[0]!.toLowerCase());
        const byColumn = () => {
          const col = str(e.class) === "COLUMN_REF" && names.length === 2 ? c.resolve(e, "order by") : undefined;
          return col !== undefined && outputs.some((o) => o.kind === "dimension" && o.source === `${col.table.dataset.name}.${col.name}`);
        };
        if (str(e.class) !== "COLUMN_REF" || !(byName || byColumn())) {
          c.refuse("order by", "order-by-not-output", "ORDER BY may only name output columns");
        }
      }
    } else if (mt === "LIMIT_MODIFIER" || mt === "LIMIT_PERCENT_MODIFIER") c.refuse("limit", "limit", "LIMIT and OFFSET are refused: with ORDER BY they single out extreme groups");
    else if (mt === "DISTINCT_MODIFIER") c.refuse("select", "distinct", "SELECT DISTINCT is refused: GROUP BY the dimensions instead");
    else c.refuse("select", "modifier", `${mt} is refused`);
  }
  if (outputs.length === 0 && c.problems.length === 0) c.refuse("select", "no-output", "the query has no output columns");

  if (c.problems.length > 0) return { ok: false, problems: c.problems };
  return { ok: true, tree, query: { tables: c.tables, outputs, items, unitLinks: c.unitLinks, groupBy, clamps } };
}
