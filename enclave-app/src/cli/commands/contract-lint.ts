// `cleanroom contract lint <contract.json>`: what the enclave will make of a contract's query, before
// anyone signs it: the privacy mode, the k that applies, the outputs and dimensions of a compliant
// query, or every reason it would be refused (the same analyzer the enclave runs; no data needed).
import type { Command } from "commander";
import { effectiveMinGroupSize, privacyMode, type Contract } from "../../protocol/index.ts";
import { planQuery, type PlanVerdict } from "../../runtime/sql/analysis/index.ts";
import { CliError, EXIT_VERIFICATION_FAILED } from "../output.ts";

function kText(contract: Contract): string {
  const owners = contract.datasets.filter((d) => d.analysis?.minGroupSize !== undefined).map((d) => `${d.owner} ${d.analysis!.minGroupSize}`);
  return `k = ${effectiveMinGroupSize(contract)} (privacy.minGroupSize ${contract.privacy.minGroupSize}${owners.length ? `; ${owners.join(", ")}` : ""})`;
}

export function lintText(contract: Contract, verdict: PlanVerdict): string {
  const lines = [`Contract ${contract.collaboration}`];
  if (privacyMode(contract) === "legacy") {
    lines.push(
      "Mode: legacy (no dataset declares analysis rules): the SQL runs as approved and rows are suppressed by its own",
      `  count column "${contract.privacy.countColumn}", which the query computes itself (the weaker mode: declare analysis rules to enforce it)`,
      kText(contract),
      "Verdict: NOT ANALYSED (legacy mode)",
    );
    return lines.join("\n") + "\n";
  }
  const owners = contract.datasets.filter((d) => d.analysis).map((d) => d.owner);
  lines.push(`Mode: enforced (analysis rules declared by ${[...new Set(owners)].join(", ")})`);
  if (!verdict.ok) {
    lines.push(kText(contract), `Refused (${verdict.problems.length} problem${verdict.problems.length === 1 ? "" : "s"}):`);
    for (const p of verdict.problems) lines.push(`  ✗ ${p.clause} [${p.rule}] ${p.message}`);
    lines.push("Verdict: REFUSED");
    return lines.join("\n") + "\n";
  }
  const plan = verdict.plan;
  if (plan.mode !== "enforced") throw new Error("an enforced contract yields an enforced plan");
  lines.push(`${kText(contract)}, counted by the engine as distinct ${plan.countColumns.map((c) => c.unit).join(", ")}`, "Outputs:");
  const width = Math.max(...plan.outputs.map((o) => o.name.length));
  for (const o of plan.outputs) lines.push(`  ${o.name.padEnd(width)}  ${o.kind.padEnd(9)}  ${o.source}`);
  lines.push(`Dimensions (GROUP BY): ${plan.groupBy.join(", ") || "none (one group)"}`, "Verdict: ACCEPTED");
  return lines.join("\n") + "\n";
}

export function registerLint(contractCommand: Command, load: (file: string, err: (s: string) => void) => Promise<Contract>, writers: (cmd: Command) => { out: (s: string) => void; err: (s: string) => void }): void {
  contractCommand
    .command("lint")
    .description("check the contract's query against the owners' analysis rules: mode, k, outputs, refusal reasons")
    .argument("<contract.json>", "contract file")
    .option("--json", "print the verdict as JSON")
    .action(async (file: string, opts: { json?: boolean }, cmd: Command) => {
      const { out, err } = writers(cmd);
      const contract = await load(file, err);
      const verdict = await planQuery(contract);
      if (opts.json) {
        const body = verdict.ok ? { ok: true, mode: verdict.plan.mode, k: verdict.plan.k, ...(verdict.plan.mode === "enforced" ? { outputs: verdict.plan.outputs, groupBy: verdict.plan.groupBy, countedUnits: verdict.plan.countColumns.map((c) => c.unit) } : {}) } : { ok: false, mode: "enforced", k: verdict.k, problems: verdict.problems };
        out(`${JSON.stringify(body, null, 2)}\n`);
      } else out(lintText(contract, verdict));
      if (!verdict.ok) throw new CliError("QUERY_REFUSED", `the query breaks the owners' analysis rules: ${verdict.problems.length} problem(s)${opts.json ? "" : ", listed above"}`, { exitCode: EXIT_VERIFICATION_FAILED });
    });
}
