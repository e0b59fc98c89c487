// npm run bench: the clean room's data path against its limits and its baseline. See docs/benchmark.md.
// Generates (or reuses) the fraud collaboration's data, then runs every variant in a fresh child
// process (bench/worker.ts), interleaved across rounds after unmeasured warm-up rounds, prints a
// markdown table and writes every sample to results.json.
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { USAGE, parseBenchArgs, type BenchArgs } from "./lib/args.ts";
import { prepareFixture, totalPlaintext, type Fixture } from "./lib/fixture.ts";
import { machineInfo, versions } from "./lib/machine.ts";
import { interleave, summarize } from "./lib/stats.ts";
import { renderReport, type MeasurementRecord } from "./lib/table.ts";
import type { WorkerResult, WorkerSpec } from "./worker.ts";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));
const AES_WORKING_SET_CAP = 1024 * 1024 * 1024;
/** Below this, (1) would time thread start-up and the first calls rather than throughput. */
const AES_MIN_BYTES = 256 * 1024 * 1024;

interface Variant {
  record: MeasurementRecord;
  spec: WorkerSpec;
}

function variantsFor(args: BenchArgs, fixtures: Map<number, Fixture>, cores: number): Variant[] {
  const out: Variant[] = [];
  const add = (record: Omit<MeasurementRecord, "samples">, spec: WorkerSpec) => out.push({ record: { ...record, samples: [] }, spec });
  for (const [parties, fixture] of fixtures) {
    const fixtureDir = fixture.dir;
    if (args.only.includes("aes") && parties === args.parties[0]) {
      // Over as many bytes as the largest input (the CSV; at least 256 MiB), from at most 1 GiB of distinct regions.
      const bytes = Math.max(AES_MIN_BYTES, totalPlaintext(fixture, "csv"));
      const workingSetBytes = Math.min(bytes, AES_WORKING_SET_CAP);
      add({ id: "aes-1", kind: "aes", label: "(1) AES-256-GCM, node:crypto, one core", parties, threads: 1 }, { kind: "aes", threads: 1, bytes, workingSetBytes });
      if (cores > 1) add({ id: `aes-${cores}`, kind: "aes", label: `(1) AES-256-GCM, node:crypto, ${cores} cores`, parties, threads: cores }, { kind: "aes", threads: cores, bytes, workingSetBytes });
    }
    for (const format of args.formats) {
      const p = `p${parties}-${format}`;
      if (args.only.includes("reader")) add({ id: `reader-${p}`, kind: "reader", label: "(2) reader: ciphertext file -> memory-backed file", parties, format }, { kind: "reader", fixtureDir, format });
      if (args.only.includes("pipeline")) {
        for (const storage of args.storages) {
          add(
            { id: `pipeline-${storage}-${p}`, kind: "pipeline", label: `(3) enclave pipeline, ${storage === "file" ? "local-file storage" : "Azurite"}`, parties, format, storage },
            { kind: "pipeline", fixtureDir, format, storage, threads: args.threads, memoryLimit: args.memoryLimit },
          );
        }
      }
      if (args.only.includes("duckdb")) {
        for (const mode of ["direct", "load"] as const) {
          add(
            { id: `duckdb-${mode}-${p}`, kind: "duckdb", label: `(4) DuckDB ${mode === "direct" ? "on the plaintext files" : "load tables, then SQL"}`, parties, format, mode },
            { kind: "duckdb", fixtureDir, format, mode, threads: args.threads, memoryLimit: args.memoryLimit },
          );
        }
      }
    }
  }
  return out;
}

function runWorker(spec: WorkerSpec): Promise<WorkerResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
      if (code !== 0 || line === undefined) {
        reject(new Error(`worker ${spec.kind} exited ${code}: ${stderr.trim().slice(-2000) || stdout.trim().slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice("BENCH_RESULT ".length)) as WorkerResult);
    });
  });
}

/**
 * The enclave and the baseline must have computed the same thing: the enclave's released plus
 * suppressed rows equal the baseline's result rows, for every run of the same collaboration.
 */
export function resultChecks(measurements: readonly MeasurementRecord[]): { what: string; ok: boolean }[] {
  const out: { what: string; ok: boolean }[] = [];
  const groups = new Map<string, Set<number>>();
  const kinds = new Map<string, Set<string>>();
  for (const m of measurements) {
    if (m.kind !== "pipeline" && m.kind !== "duckdb") continue;
    const key = `${m.parties} parties, ${m.format}`;
    const set = groups.get(key) ?? new Set<number>();
    for (const s of m.samples) {
      const d = s.detail ?? {};
      set.add(m.kind === "pipeline" ? Number(d["rowsReleased"]) + Number(d["rowsSuppressed"]) : Number(d["resultRows"]));
    }
    groups.set(key, set);
    kinds.set(key, (kinds.get(key) ?? new Set<string>()).add(m.kind));
  }
  for (const [key, set] of groups) {
    if (kinds.get(key)?.size !== 2) continue;
    out.push({ what: `${key}: enclave and DuckDB result rows ${[...set].join(" / ")}${set.size === 1 ? " (agree)" : " (DISAGREE)"}`, ok: set.size === 1 });
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date().toISOString();
  const machineAtStart = machineInfo();
  const fixtures = new Map<number, Fixture>();
  for (const parties of args.parties) fixtures.set(parties, await prepareFixture({ baseDir: args.dir, rows: args.rows, parties, seed: args.seed, log }));

  const variants = variantsFor(args, fixtures, machineAtStart.cores);
  const rounds = args.warmup + args.runs;
  for (let round = 0; round < rounds; round++) {
    const warm = round < args.warmup;
    for (const v of interleave(variants, round)) {
      const result = await runWorker(v.spec);
      log(`${warm ? "warm-up" : `run ${round - args.warmup + 1}/${args.runs}`}  ${v.record.id.padEnd(28)} ${(result.ms / 1000).toFixed(2).padStart(8)} s  peak RSS ${(result.maxRssKiB / 1024).toFixed(0)} MiB`);
      if (!warm) v.record.samples.push({ ...result, round: round - args.warmup });
    }
  }

  const measurements = variants.map((v) => v.record);
  const checks = resultChecks(measurements);
  for (const c of checks) if (!c.ok) log(`WARNING: ${c.what}`);
  const vers = await versions();
  const machine = { ...machineAtStart, loadavgAtEnd: machineInfo().loadavg };
  const ctx = { cores: machine.cores, cpuModel: machine.cpuModel, memoryBytes: machine.memoryBytes, versions: vers, rows: args.rows, runs: args.runs, warmup: args.warmup, threads: args.threads, memoryLimit: args.memoryLimit };
  const report = renderReport(measurements, ctx);
  const results = {
    schema: "cleanroom-bench/1",
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: args.quick,
    machine,
    versions: vers,
    parameters: { rows: args.rows, parties: args.parties, formats: args.formats, storages: args.storages, only: args.only, runs: args.runs, warmup: args.warmup, threads: args.threads, memoryLimit: args.memoryLimit, seed: args.seed },
    fixtures: [...fixtures.values()].map((f) => ({
      parties: f.parties.length,
      datasets: f.datasets.map((d) => ({ name: d.name, owner: d.owner, rows: d.rows, csvBytes: d.files.csv.plaintextLength, parquetBytes: d.files.parquet.plaintextLength })),
    })),
    measurements: measurements.map((m) => ({
      ...m,
      summary: { ms: summarize(m.samples.map((s) => s.ms)), maxRssKiB: summarize(m.samples.map((s) => s.maxRssKiB)) },
    })),
    checks,
    report,
  };
  const out = resolve(args.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  const checkLines = checks.map((c) => `check: ${c.what}\n`).join("");
  process.stdout.write(`${report}\n\n${checkLines}${checkLines ? "\n" : ""}results: ${out}\n`);
}

await main();
