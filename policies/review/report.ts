// The review as Markdown, sized for a pull-request comment: the verdict first, then violations by
// severity with the resource and the fix, then what was reviewed.
import type { Severity } from "@pulumi/policy";
import type { CleanRoomPolicy } from "../rules/index.ts";
import { hasMandatoryViolation, type Diagnostic, type EffectivePolicyConfig, type Evaluation } from "./evaluate.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";

export interface ReviewSummary {
  stack: string;
  programDir: string;
  packName: string;
  packVersion: string;
  policies: readonly CleanRoomPolicy[];
  config: ReadonlyMap<string, EffectivePolicyConfig>;
  resources: readonly GraphResource[];
  evaluation: Evaluation;
  warnings: readonly string[];
}

const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low"];
const TITLE: Record<Severity, string> = { critical: "Critical", high: "High", medium: "Medium", low: "Low" };

/** Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function resourceCell(d: Diagnostic): string {
  if (!d.urn) return "_stack_";
  return d.resourceName ? `\`${cell(d.resourceName)}\` (${cell(d.resourceType ?? "")})<br>\`${cell(d.urn)}\`` : `\`${cell(d.urn)}\``;
}

export function renderReport(s: ReviewSummary): string {
  const violations = s.evaluation.diagnostics.filter((d) => d.kind === "violation");
  const mandatory = violations.filter((d) => d.enforcementLevel === "mandatory");
  const advisory = violations.filter((d) => d.enforcementLevel === "advisory");
  const notEvaluated = s.evaluation.diagnostics.filter((d) => d.kind === "not-evaluated");
  const levels = [...s.config.values()].map((c) => (c.enforcementLevel === "remediate" ? "mandatory" : c.enforcementLevel));
  const count = (l: string) => levels.filter((x) => x === l).length;

  const lines: string[] = [];
  lines.push(`## Policy review: stack \`${s.stack}\``);
  lines.push("");
  const verdict = hasMandatoryViolation(s.evaluation)
    ? `**FAIL**: ${mandatory.length} mandatory violation${mandatory.length === 1 ? "" : "s"}, ${advisory.length} advisory`
    : `**PASS**: no mandatory violations, ${advisory.length} advisory`;
  lines.push(verdict);
  lines.push("");
  lines.push(
    `Pack \`${s.packName}\` v${s.packVersion}: ${s.policies.length} policies (${count("mandatory")} mandatory, ${count("advisory")} advisory, ${count("disabled")} disabled) ` +
      `over ${s.resources.length} resources of program \`${s.programDir}\`, run offline under mocks.`,
  );
  for (const w of s.warnings) lines.push(`\n> Warning: ${w}`);

  lines.push("", "### Violations", "");
  if (violations.length === 0) lines.push("None.", "");
  for (const severity of SEVERITIES) {
    const group = violations.filter((d) => d.severity === severity);
    if (group.length === 0) continue;
    lines.push(`#### ${TITLE[severity]} (${group.length})`, "");
    lines.push("| Policy | Level | Resource | Violation | Fix |", "|---|---|---|---|---|");
    for (const d of group.sort((a, b) => (a.enforcementLevel === b.enforcementLevel ? a.policyName.localeCompare(b.policyName) : a.enforcementLevel === "mandatory" ? -1 : 1))) {
      lines.push(`| \`${d.policyName}\` | ${d.enforcementLevel} | ${resourceCell(d)} | ${cell(d.message)} | ${cell(d.remediationSteps)} |`);
    }
    lines.push("");
  }

  if (notEvaluated.length > 0) {
    lines.push("### Not evaluated (values unknown until deployment)", "");
    for (const d of notEvaluated) lines.push(`- \`${d.policyName}\` on ${d.urn ? `\`${d.urn}\`` : "the stack"}: ${cell(d.message)}`);
    lines.push("");
  }

  lines.push("<details><summary>Resources by type</summary>", "", "| Type | Count |", "|---|---|");
  const byType = new Map<string, number>();
  for (const r of s.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  for (const [type, n] of [...byType].sort(([a], [b]) => a.localeCompare(b))) lines.push(`| \`${type}\` | ${n} |`);
  lines.push("", "</details>", "");

  lines.push("<details><summary>Policies</summary>", "", "| Policy | Level | Severity | Checks |", "|---|---|---|---|");
  for (const p of s.policies) lines.push(`| \`${p.name}\` | ${s.config.get(p.name)?.enforcementLevel ?? p.enforcementLevel} | ${p.severity} | ${cell(p.description)} |`);
  lines.push("", "</details>", "");
  return lines.join("\n");
}
