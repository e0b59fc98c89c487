import type { DemoOptions } from "./args.ts";
import { ENCLAVE_STEP, type DemoSummary } from "./demo.ts";
import { OUTPUT_CONTAINER } from "./run-enclave.ts";
import { formatCount, formatSeconds, renderTable } from "./table.ts";

/** Printed before the first step: what is about to happen, with which data. */
export function renderHeader(options: DemoOptions): string {
  const { scenario } = options;
  const parties = scenario.parties.map((p) => `${p.name} (${p.label})`).join(", ");
  return [
    `Confidential clean room demo: ${scenario.title}`,
    wrap(scenario.summary, 96, "  "),
    `  parties: ${parties}`,
    `  data: ${formatCount(options.rows)} synthetic rows per dataset, seed ${options.seed}${options.tamper ? `; --tamper ${options.tamper}` : ""}`,
    `  isolation: ${options.isolation ?? "confidential-node"}${options.isolation === "confidential-container" ? ` (container policy SIMULATED${options.tamperPolicy ? "; --tamper-policy: the enclave starts with a different policy" : ""})` : ""}`,
    `  Everything runs on this machine. The attestation authority is SIMULATED: its tokens prove nothing about hardware.`,
    "",
  ].join("\n");
}

export function renderReport(summary: DemoSummary): string {
  const out: string[] = [""];
  if (summary.error) {
    out.push(`The enclave refused the run: ${summary.error.code}${summary.error.step ? ` (step ${summary.error.step})` : ""}`);
    if (summary.error.party !== undefined || summary.error.dataset !== undefined) {
      out.push(`  party: ${summary.error.party ?? "-"}, dataset: ${summary.error.dataset ?? "-"}`);
    }
    out.push(`  ${summary.error.message}`);
    if (summary.tamper) out.push(`  (the demo flipped byte ${formatCount(summary.tamper.offset)} of ${summary.tamper.blobPath} after ${summary.tamper.party} approved it)`);
    if (summary.containerPolicy?.tampered) {
      out.push(`  (the enclave was started with ${summary.containerPolicy.file}, hostdata ${summary.containerPolicy.startedHostdata}; the contract pins ${summary.containerPolicy.approvedHostdata})`);
    }
    if (summary.vaultAnswers) {
      out.push("");
      out.push("Asked directly with that enclave's token, as code that skips the runtime's check would, each party's vault answered:");
      for (const a of summary.vaultAnswers) out.push(`  ${a.party}: ${a.released ? "RELEASED THE KEY" : `HTTP ${a.status ?? "?"}: ${a.message}`}`);
    }
    out.push("");
    out.push(
      summary.outputBlobs.length === 0
        ? `Output container "${OUTPUT_CONTAINER}" after the failed run: empty, nothing was written.`
        : `Output container "${OUTPUT_CONTAINER}" after the failed run holds ${summary.outputBlobs.length} blob(s): ${summary.outputBlobs.join(", ")}`,
    );
  } else if (summary.result) {
    const readers = listing(summary.recipients?.map((r) => r.party) ?? []);
    const same = summary.recipients?.every((r) => r.sameAsFirst) ?? false;
    out.push(`Result, decrypted by ${readers}${same ? " (identical copies)" : " (COPIES DIFFER)"}:`);
    out.push(renderTable(summary.result.columns, summary.result.rows));
    out.push("");
    out.push(
      `Privacy: k = ${summary.privacy.minGroupSize} on "${summary.privacy.countColumn}"; ${summary.rowsReleased ?? 0} row(s) released, ` +
        `${summary.rowsSuppressed ?? 0} row(s) suppressed (groups under k are dropped and only counted).`,
    );
    if (summary.receipt) {
      out.push(
        summary.receipt.ok
          ? `Receipt: verified offline (${summary.receipt.passed.join(", ")}).`
          : `Receipt: FAILED at ${summary.receipt.failure?.check}: ${summary.receipt.failure?.message}`,
      );
    }
    out.push(`Output container "${OUTPUT_CONTAINER}" (the receipt is written last, as the commit marker):`);
    for (const name of summary.outputBlobs) out.push(`  ${name}`);
  }
  out.push("");
  out.push("Timing:");
  const rows: string[][] = [];
  for (const s of summary.steps) {
    rows.push([s.name + (s.ok ? "" : " (failed)"), formatSeconds(s.ms)]);
    // The enclave's own breakdown, from the runtime's timings, right under its step.
    if (s.name === ENCLAVE_STEP && s.ok) {
      for (const [step, ms] of Object.entries(summary.enclaveMs ?? {})) rows.push([`  enclave: ${step}`, formatSeconds(ms ?? 0)]);
    }
  }
  rows.push(["total", formatSeconds(summary.totalMs)]);
  out.push(renderTable(["step", "time"], rows));
  out.push("");
  out.push(summary.ok ? "Demo finished: OK." : "Demo finished: the collaboration did NOT complete.");
  return out.join("\n") + "\n";
}

function listing(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join("\n");
}
