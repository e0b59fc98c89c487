// Step 2, analyze: in enforced mode the approved SQL is checked against the owners' analysis rules on
// DuckDB's parse tree and rewritten so the engine counts each group's individuals. Runs before
// attestation and key release: a refused query never sees a key, and nothing is written.
import type { Contract } from "../../protocol/index.ts";
import { QueryRefusedError } from "../errors.ts";
import { planQuery, type QueryPlan } from "../sql/analysis/index.ts";
import type { RunReporter } from "./reporter.ts";

export async function analyzeQuery(input: { contract: Contract }, reporter: RunReporter): Promise<QueryPlan> {
  const plan = await reporter.timed("analyze", async () => {
    const verdict = await planQuery(input.contract);
    if (!verdict.ok) throw new QueryRefusedError(verdict.problems);
    return verdict.plan;
  });
  reporter.emit({
    level: "info",
    step: "analyze",
    event: plan.mode,
    detail: plan.mode === "enforced" ? `query within the analysis rules; k=${plan.k} counted by the engine on ${plan.countColumns.map((c) => c.unit).join(", ")}` : "no analysis rules: the contract's count column is checked (legacy mode)",
  });
  return plan;
}
