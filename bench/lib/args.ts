// Command-line options of `npm run bench` (pure: tested in test/bench/).
import { availableParallelism, totalmem } from "node:os";

export const MEASUREMENT_KINDS = ["aes", "reader", "pipeline", "duckdb"] as const;
export type MeasurementKind = (typeof MEASUREMENT_KINDS)[number];
export const FORMATS = ["csv", "parquet"] as const;
export type BenchFormat = (typeof FORMATS)[number];
export const STORAGES = ["file", "azurite"] as const;
export type BenchStorage = (typeof STORAGES)[number];

export const DEFAULT_ROWS = 5_000_000;
export const QUICK_ROWS = 200_000;

export interface BenchArgs {
  /** Rows per party (one dataset per party). */
  rows: number;
  /** Party counts to measure, each its own collaboration (2 = the demo's bank + insurer). */
  parties: number[];
  formats: BenchFormat[];
  storages: BenchStorage[];
  only: MeasurementKind[];
  /** Measured runs per variant, after `warmup` unmeasured rounds. */
  runs: number;
  warmup: number;
  /** DuckDB threads, the same for the enclave and the baseline. */
  threads: number;
  /** DuckDB memory_limit, the same for the enclave and the baseline. */
  memoryLimit: string;
  /** Where the generated data, its ciphertext and the keys are kept (reused when they match). */
  dir: string;
  /** results.json path. */
  out: string;
  seed: number;
  quick: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [options]

  --rows N             rows per party (default ${DEFAULT_ROWS.toLocaleString("en-US")})
  --quick              ${QUICK_ROWS.toLocaleString("en-US")} rows per party, 3 runs (a smoke run, not a measurement)
  --parties LIST       party counts, e.g. 2 or 2,3,10 (default 2: the bank and the insurer)
  --formats LIST       csv,parquet (default both)
  --storage LIST       storage adapters for the enclave pipeline: file,azurite (default both)
  --only LIST          measurements: aes,reader,pipeline,duckdb (default all)
  --runs N             measured runs per variant (default 5; --quick: 3)
  --warmup N           unmeasured warm-up rounds first (default 1)
  --threads N          DuckDB threads for the enclave and the baseline (default: all cores)
  --memory-limit SIZE  DuckDB memory_limit for both (default: half of RAM, e.g. 12GB)
  --seed N             data generator seed (default 42)
  --dir PATH           fixture directory (default bench/out)
  --out PATH           results file (default bench/results.json)
`;

function positiveInt(flag: string, value: string | undefined, min = 1): number {
  if (value === undefined || !/^\d+$/.test(value.replace(/_/g, ""))) throw new Error(`${flag} needs a whole number, got ${value ?? "nothing"}`);
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} must be at least ${min}, got ${value}`);
  return n;
}

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined || value === "") throw new Error(`${flag} needs a comma-separated list of ${allowed.join(", ")}`);
  const items = value.split(",").map((s) => s.trim());
  for (const item of items) if (!(allowed as readonly string[]).includes(item)) throw new Error(`${flag}: "${item}" is not one of ${allowed.join(", ")}`);
  return [...new Set(items)] as T[];
}

export function defaultMemoryLimit(bytes = totalmem()): string {
  return `${Math.max(1, Math.floor(bytes / 2 / 1024 ** 3))}GB`;
}

export function parseBenchArgs(argv: readonly string[], env: { cores?: number; memoryBytes?: number } = {}): BenchArgs {
  const args: BenchArgs = {
    rows: DEFAULT_ROWS,
    parties: [2],
    formats: [...FORMATS],
    storages: [...STORAGES],
    only: [...MEASUREMENT_KINDS],
    runs: 5,
    warmup: 1,
    threads: env.cores ?? availableParallelism(),
    memoryLimit: defaultMemoryLimit(env.memoryBytes),
    dir: "bench/out",
    out: "bench/results.json",
    seed: 42,
    quick: false,
    help: false,
  };
  let rowsGiven = false;
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.startsWith("--") && flag.includes("=") ? [flag.slice(0, flag.indexOf("=")), flag.slice(flag.indexOf("=") + 1)] : [flag, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case "--rows": args.rows = positiveInt(name, value()); rowsGiven = true; break;
      case "--quick": args.quick = true; break;
      case "--parties": {
        const v = value();
        args.parties = [...new Set((v ?? "").split(",").map((p) => positiveInt(name, p.trim(), 2)))];
        if (args.parties.some((p) => p > 50)) throw new Error("--parties: at most 50");
        break;
      }
      case "--formats": args.formats = list(name, value(), FORMATS); break;
      case "--storage": args.storages = list(name, value(), STORAGES); break;
      case "--only": args.only = list(name, value(), MEASUREMENT_KINDS); break;
      case "--runs": args.runs = positiveInt(name, value()); runsGiven = true; break;
      case "--warmup": args.warmup = positiveInt(name, value(), 0); break;
      case "--threads": args.threads = positiveInt(name, value()); break;
      case "--memory-limit": {
        const v = value();
        if (v === undefined || !/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v)) throw new Error(`--memory-limit needs a DuckDB size such as 8GB, got ${v ?? "nothing"}`);
        args.memoryLimit = v.replace(/\s+/g, "");
        break;
      }
      case "--seed": args.seed = positiveInt(name, value(), 0); break;
      case "--dir": { const v = value(); if (!v) throw new Error("--dir needs a path"); args.dir = v; break; }
      case "--out": { const v = value(); if (!v) throw new Error("--out needs a path"); args.out = v; break; }
      case "--help": case "-h": args.help = true; break;
      default: throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  if (args.quick) {
    if (!rowsGiven) args.rows = QUICK_ROWS;
    if (!runsGiven) args.runs = 3;
  }
  return args;
}
