// Step 7, guard: the contract's output privacy rules (privacy/guard.ts, or privacy/engine-count.ts in
// enforced mode) on the SQL result, before
// anything is encrypted: only allow-listed columns, rows under the minimum group size dropped and
// counted. Refusals name the column and rule, never values.
import type { PrivacyRules } from "../../protocol/index.ts";
import { releaseWithDp, type DpReleased } from "../privacy/dp-release.ts";
import { applyEngineCount } from "../privacy/engine-count.ts";
import { applyPrivacyRules, type GuardedResult } from "../privacy/guard.ts";
import type { QueryPlan } from "../sql/analysis/index.ts";
import type { SqlResult } from "../sql/runner.ts";
import { PrivacyError } from "../errors.ts";
import type { RunReporter } from "./reporter.ts";

export interface GuardInput {
  result: SqlResult;
  privacy: PrivacyRules;
  /** From the analyze step; enforced mode suppresses by the engine's count, legacy by privacy.countColumn. */
  plan?: QueryPlan;
}

export async function guard(input: GuardInput, reporter: RunReporter): Promise<GuardedResult | DpReleased> {
  const plan = input.plan;
  if (plan?.mode === "dp") {
    const dp = input.privacy.dp;
    if (!dp) throw new PrivacyError("dp-rules-missing", "the plan is differentially private but the contract has no privacy.dp");
    const released = await reporter.timed("privacy", async () => releaseWithDp({ result: input.result, plan: plan.dp, dp, k: plan.k, allowedColumns: input.privacy.allowedColumns }));
    reporter.emit({
      level: "info",
      step: "privacy",
      event: "applied",
      rows: released.rowsReleased,
      detail: `differential privacy: epsilon ${released.spend.epsilon}, delta ${released.spend.delta} over ${released.spend.parts} release(s)${released.tau !== undefined ? `; groups released above tau=${released.tau} noisy units and k=${plan.k}` : ""}`,
    });
    return released;
  }
  const enforced = plan?.mode === "enforced" ? plan : undefined;
  const guarded = await reporter.timed("privacy", async () =>
    enforced
      ? applyEngineCount(input.result, { k: enforced.k, countColumns: enforced.countColumns, allowedColumns: input.privacy.allowedColumns })
      : applyPrivacyRules(input.result, input.privacy),
  );
  const how = enforced ? `k=${enforced.k} distinct ${enforced.countColumns.map((c) => c.unit).join(", ")} counted by the engine` : `k=${input.privacy.minGroupSize}`;
  reporter.emit({ level: "info", step: "privacy", event: "applied", rows: guarded.rowsReleased, detail: `${guarded.rowsSuppressed} row(s) suppressed below ${how}` });
  return guarded;
}
