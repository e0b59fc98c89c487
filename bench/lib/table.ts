// The markdown report of `npm run bench` (pure: tested in test/bench/).
import { mbPerSecond, summarize, type Summary } from "./stats.ts";

export interface MeasurementRecord {
  id: string;
  kind: "aes" | "reader" | "pipeline" | "duckdb";
  label: string;
  parties: number;
  format?: "csv" | "parquet";
  storage?: "file" | "azurite";
  mode?: "direct" | "load";
  threads?: number;
  samples: { ms: number; bytes: number; maxRssKiB: number; rssBeforeKiB: number; round: number; detail?: Record<string, unknown> }[];
}

export interface ReportContext {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  versions: Record<string, string>;
  rows: number;
  runs: number;
  warmup: number;
  threads: number;
  memoryLimit: string;
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly ("l" | "r")[] = []): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const sep = headers.map((_, i) => (align[i] === "r" ? "---:" : "---"));
  return [line(headers), line(sep), ...rows.map(line)].join("\n");
}

const fmtSeconds = (ms: number) => (ms >= 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2));
const fmtRate = (mbs: number) => (mbs >= 100 ? mbs.toFixed(0) : mbs.toFixed(1));
const fmtMiB = (kib: number) => (kib / 1024).toFixed(0);

export function timeSummary(m: MeasurementRecord): Summary {
  return summarize(m.samples.map((s) => s.ms));
}

export function rateSummary(m: MeasurementRecord): Summary {
  return summarize(m.samples.map((s) => mbPerSecond(s.bytes, s.ms)));
}

export function ratio(a: number, b: number): string {
  return b === 0 ? "n/a" : `${(a / b).toFixed(2)}`;
}

export function renderReport(measurements: readonly MeasurementRecord[], ctx: ReportContext): string {
  const out: string[] = [];
  out.push(
    `${ctx.cores} cores (${ctx.cpuModel}), ${(ctx.memoryBytes / 1024 ** 3).toFixed(1)} GiB RAM; ` +
      Object.entries(ctx.versions).map(([k, v]) => `${k} ${v}`).join(", "),
  );
  out.push(
    `${ctx.rows.toLocaleString("en-US")} rows per party; median of ${ctx.runs} runs after ${ctx.warmup} warm-up round(s), variants interleaved, each run a fresh process; ` +
      `DuckDB threads=${ctx.threads}, memory_limit=${ctx.memoryLimit} for the enclave and the baseline.`,
  );
  out.push("");
  const rows = measurements.filter((m) => m.samples.length > 0).map((m) => {
    const t = timeSummary(m);
    const r = rateSummary(m);
    const rss = summarize(m.samples.map((s) => s.maxRssKiB));
    return [
      String(m.parties),
      m.label,
      m.format ?? "-",
      fmtSeconds(t.median),
      `${fmtSeconds(t.min)}–${fmtSeconds(t.max)}`,
      fmtRate(r.median),
      fmtMiB(rss.median),
    ];
  });
  out.push(markdownTable(["parties", "measurement", "format", "median s", "min–max s", "MB/s (plaintext)", "peak RSS MiB"], rows, ["r", "l", "l", "r", "r", "r", "r"]));

  const ratios: string[][] = [];
  const find = (p: (m: MeasurementRecord) => boolean) => measurements.find((m) => m.samples.length > 0 && p(m));
  for (const parties of [...new Set(measurements.map((m) => m.parties))]) {
    const aes1 = find((m) => m.kind === "aes" && m.threads === 1 && m.parties === parties) ?? find((m) => m.kind === "aes" && m.threads === 1);
    for (const format of ["csv", "parquet"] as const) {
      const reader = find((m) => m.kind === "reader" && m.parties === parties && m.format === format);
      if (reader && aes1) ratios.push([String(parties), format, "(2)/(1) reader / AES one core, MB/s", ratio(rateSummary(reader).median, rateSummary(aes1).median)]);
      for (const storage of ["file", "azurite"] as const) {
        const pipe = find((m) => m.kind === "pipeline" && m.parties === parties && m.format === format && m.storage === storage);
        for (const mode of ["load", "direct"] as const) {
          const base = find((m) => m.kind === "duckdb" && m.parties === parties && m.format === format && m.mode === mode);
          if (pipe && base) ratios.push([String(parties), format, `(3)/(4) enclave (${storage}) / DuckDB ${mode}, time`, ratio(timeSummary(pipe).median, timeSummary(base).median)]);
        }
      }
    }
  }
  if (ratios.length > 0) {
    out.push("");
    out.push(markdownTable(["parties", "format", "ratio (of medians)", "value"], ratios, ["r", "l", "l", "r"]));
  }
  const steps = stepTable(measurements);
  if (steps !== undefined) {
    out.push("");
    out.push(steps);
  }
  return out.join("\n");
}

const PIPELINE_STEPS = ["load", "approvals", "attest", "download", "release", "decrypt", "sql", "privacy", "encrypt", "upload", "receipt"];

/** (3) split by the runtime's own step timings (RunResult.durationsMs), medians in seconds. */
export function stepTable(measurements: readonly MeasurementRecord[]): string | undefined {
  const pipes = measurements.filter((m) => m.kind === "pipeline" && m.samples.some((s) => s.detail?.["stepsMs"] !== undefined));
  if (pipes.length === 0) return undefined;
  const rows = pipes.map((m) => {
    const stepMedian = (step: string) => {
      const values = m.samples.map((s) => Number((s.detail?.["stepsMs"] as Record<string, number> | undefined)?.[step] ?? 0));
      return fmtSeconds(summarize(values).median);
    };
    return [String(m.parties), m.storage ?? "-", m.format ?? "-", ...PIPELINE_STEPS.map(stepMedian)];
  });
  return markdownTable(["parties", "(3) storage", "format", ...PIPELINE_STEPS.map((s) => `${s} s`)], rows, ["r", "l", "l", ...PIPELINE_STEPS.map(() => "r" as const)]);
}
