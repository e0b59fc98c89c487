// Enforced mode's query plan: parse with DuckDB, check the owners' rules, rewrite for the engine's count.
import { effectiveMinGroupSize, privacyMode, type Contract } from "../../../protocol/index.ts";
import { analyzeQuery, type QueryOutput, type QueryProblem } from "./analyze.ts";
import { withParser } from "./parse-tree.ts";
import { dpProblems, rewriteForDp, type DpPlan } from "./dp-rewrite.ts";
import { rewriteForEngineCount, type EngineCountColumn } from "./rewrite.ts";

export type QueryPlan =
  | { mode: "legacy"; sql: string; k: number }
  | { mode: "enforced"; sql: string; k: number; outputs: QueryOutput[]; groupBy: string[]; countColumns: EngineCountColumn[] }
  | { mode: "dp"; sql: string; k: number; outputs: QueryOutput[]; groupBy: string[]; dp: DpPlan };

export type PlanVerdict = { ok: true; plan: QueryPlan } | { ok: false; k: number; problems: QueryProblem[] };

/**
 * Legacy contracts run their SQL as approved; enforced ones run the checked query rewritten for the
 * engine's count; differential privacy runs it rewritten to bound each unit's contribution.
 */
export async function planQuery(contract: Pick<Contract, "sql" | "datasets" | "privacy">): Promise<PlanVerdict> {
  const k = effectiveMinGroupSize(contract);
  if (privacyMode(contract) === "legacy") return { ok: true, plan: { mode: "legacy", sql: contract.sql, k } };
  return withParser(async (parser) => {
    const analysis = analyzeQuery(await parser.serialize(contract.sql), contract.datasets);
    if (!analysis.ok) return { ok: false, k, problems: analysis.problems };
    const { outputs, groupBy } = analysis.query;
    if (contract.privacy.mode === "dp" && contract.privacy.dp) {
      const problems = dpProblems(analysis.tree, analysis.query);
      if (problems.length > 0) return { ok: false, k, problems };
      const dp = await rewriteForDp(analysis.tree, analysis.query, contract.privacy.dp, parser);
      return { ok: true, plan: { mode: "dp", sql: dp.sql, k, outputs, groupBy, dp } };
    }
    const rewritten = rewriteForEngineCount(analysis.tree, analysis.query);
    const sql = await parser.deserialize(rewritten.tree);
    return { ok: true, plan: { mode: "enforced", sql, k, outputs, groupBy, countColumns: rewritten.countColumns } };
  });
}

export type { QueryOutput, QueryProblem, EngineCountColumn, DpPlan };
export { DP_SECRET_PARAMETER, type DpOutput } from "./dp-rewrite.ts";
