// The compliant query, rewritten on its parse tree so the engine (not the query) measures each group:
// every summed or averaged column is clamped to its owner's bounds, and one COUNT(DISTINCT unit) per
// dataset read is appended to the same SELECT, so it is computed over exactly the rows and groups of
// the query's own outputs. The guard suppresses groups by these columns and then drops them.
import type { CompliantQuery, Node } from "./analyze.ts";
import { ENGINE_COLUMN_PREFIX } from "./analyze.ts";
import type { ParseTree } from "./parse-tree.ts";

export interface EngineCountColumn {
  /** Output column the engine appends, e.g. "__cleanroom_units_0". */
  name: string;
  /** "<dataset>.<privacy unit>". */
  unit: string;
}

function fn(name: string, children: Node[], extra: Partial<Node> = {}): Node {
  return {
    class: "FUNCTION",
    type: "FUNCTION",
    alias: "",
    query_location: 0,
    function_name: name,
    schema: "",
    children,
    filter: null,
    order_bys: { type: "ORDER_MODIFIER", orders: [] },
    distinct: false,
    is_operator: false,
    export_state: false,
    catalog: "",
    ...extra,
  };
}

function constant(value: number): Node {
  // Integer bounds stay integers so a BIGINT or DECIMAL sum keeps its exact type.
  const id = Number.isSafeInteger(value) ? "BIGINT" : "DOUBLE";
  return { class: "CONSTANT", type: "VALUE_CONSTANT", alias: "", query_location: 0, value: { type: { id, type_info: null }, is_null: false, value } };
}

export function columnRef(table: string, column: string): Node {
  return { class: "COLUMN_REF", type: "COLUMN_REF", alias: "", query_location: 0, column_names: [table, column] };
}

/** Returns a new tree (the analysed one is left as it was) and the engine's count columns. */
export function rewriteForEngineCount(tree: ParseTree, query: CompliantQuery): { tree: ParseTree; countColumns: EngineCountColumn[] } {
  // Clamp in place on the analysed nodes first, then copy: the clamp list points into this tree.
  const originals = query.clamps.map((c) => ({ node: c.node, children: c.node.children }));
  for (const c of query.clamps) {
    const [arg] = c.node.children as Node[];
    c.node.children = [fn("greatest", [fn("least", [arg!, constant(c.max)]), constant(c.min)])];
  }
  const copy = structuredClone(tree);
  for (const o of originals) o.node.children = o.children;

  const select = ((copy.statements as Node[])[0]!.node as Node);
  const countColumns = query.tables.map((t, i) => ({ name: `${ENGINE_COLUMN_PREFIX}_units_${i}`, unit: `${t.dataset.name}.${t.dataset.analysis!.privacyUnit}` }));
  (select.select_list as Node[]).push(
    ...query.tables.map((t, i) => fn("count", [columnRef(t.alias, t.dataset.analysis!.privacyUnit)], { distinct: true, alias: countColumns[i]!.name })),
  );
  return { tree: copy, countColumns };
}
