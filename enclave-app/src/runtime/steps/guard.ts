// Step 7, guard: the contract's output privacy rules (privacy/guard.ts) on the SQL result, before
// anything is encrypted: only allow-listed columns, rows under the minimum group size dropped and
// counted. Refusals name the column and rule, never values.
import type { PrivacyRules } from "../../protocol/index.ts";
import { applyPrivacyRules, type GuardedResult } from "../privacy/guard.ts";
import type { SqlResult } from "../sql/runner.ts";
import type { RunReporter } from "./reporter.ts";

export interface GuardInput {
  result: SqlResult;
  privacy: PrivacyRules;
}

export async function guard(input: GuardInput, reporter: RunReporter): Promise<GuardedResult> {
  const guarded = await reporter.timed("privacy", async () => applyPrivacyRules(input.result, input.privacy));
  reporter.emit({ level: "info", step: "privacy", event: "applied", rows: guarded.rowsReleased, detail: `${guarded.rowsSuppressed} row(s) suppressed below k=${input.privacy.minGroupSize}` });
  return guarded;
}
