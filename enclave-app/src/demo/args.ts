import { Command, InvalidArgumentError, Option } from "commander";
import type { IsolationMode } from "../protocol/index.ts";
import { SCENARIOS, isScenarioId, type Scenario } from "./scenarios/index.ts";

export interface DemoOptions {
  scenario: Scenario;
  /** Rows per dataset. */
  rows: number;
  seed: number;
  /** Party whose uploaded ciphertext gets one byte flipped before the run. */
  tamper?: string;
  /** Isolation mode of the contract and of the simulated attestation (default confidential-node). */
  isolation?: IsolationMode;
  /** confidential-container only: start the enclave with another container policy than the approved one. */
  tamperPolicy?: boolean;
  /** Format of the datasets the parties encrypt (default csv). */
  format?: "csv" | "parquet";
  json: boolean;
}

export class DemoUsageError extends Error {
  readonly code = "DEMO_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "DemoUsageError";
  }
}

function positiveInteger(label: string, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${label} must be a positive integer, got "${value}".`);
    const n = Number(value);
    if (n < 1 || n > max) throw new InvalidArgumentError(`${label} must be between 1 and ${max.toLocaleString("en-US")}, got ${value}.`);
    return n;
  };
}

export function buildDemoCommand(): Command {
  return new Command("demo")
    .usage("[options]   (npm run demo -- [options])")
    .description(
      "Run a whole confidential clean-room collaboration on this machine: local CA, Azurite, a simulated attestation authority and one Key Vault stand-in per party; parties encrypt, upload and approve; the enclave runtime computes; recipients decrypt and verify the receipt. Exit status: 0 when the result was delivered and the receipt verified, 1 when the run failed (e.g. --tamper), 2 on a usage error.",
    )
    .option("--scenario <name>", `collaboration to run: ${Object.keys(SCENARIOS).join(" | ")}`, "fraud")
    .option("--rows <n>", "rows per dataset (default: 200000 for fraud, 70000 per hospital for rare-disease)", positiveInteger("--rows", 5_000_000))
    .option("--seed <n>", "seed of the synthetic data generator", positiveInteger("--seed", 0xffffffff), 42)
    .option("--tamper <party>", "flip one byte of that party's uploaded ciphertext before the run (the run must fail, with nothing written)")
    .addOption(new Option("--isolation <mode>", "isolation mode of the contract and the simulated attestation").choices(["confidential-node", "confidential-container"]).default("confidential-node"))
    .option("--tamper-policy", "confidential-container only: start the enclave with a different container policy than the approved one (every vault must refuse, nothing written)", false)
    .addOption(new Option("--format <format>", "format of the datasets the parties encrypt and the contract pins").choices(["csv", "parquet"]).default("csv"))
    .option("--json", "print a machine-readable summary on stdout (the human report goes to stderr)", false)
    .helpOption("-h, --help", "show this help")
    .allowExcessArguments(false);
}

/** Parses argv (without node and script) into options; throws DemoUsageError on a bad combination. */
export function parseDemoArgs(argv: readonly string[], command = buildDemoCommand()): DemoOptions {
  command.parse([...argv], { from: "user" });
  const raw = command.opts<{ scenario: string; rows?: number; seed: number; tamper?: string; isolation: IsolationMode; tamperPolicy: boolean; format: "csv" | "parquet"; json: boolean }>();
  if (!isScenarioId(raw.scenario)) {
    throw new DemoUsageError(`--scenario must be one of ${Object.keys(SCENARIOS).join(", ")}; got "${raw.scenario}".`);
  }
  const scenario = SCENARIOS[raw.scenario];
  if (raw.tamper !== undefined && !scenario.datasets.some((d) => d.owner === raw.tamper)) {
    const owners = [...new Set(scenario.datasets.map((d) => d.owner))].join(", ");
    throw new DemoUsageError(`--tamper must name a data owner of the ${scenario.id} scenario (${owners}); got "${raw.tamper}".`);
  }
  if (raw.tamperPolicy && raw.isolation !== "confidential-container") {
    throw new DemoUsageError("--tamper-policy needs --isolation confidential-container (only a container group is bound to a container policy).");
  }
  return {
    scenario,
    rows: raw.rows ?? scenario.defaultRows,
    seed: raw.seed,
    ...(raw.tamper !== undefined ? { tamper: raw.tamper } : {}),
    isolation: raw.isolation,
    tamperPolicy: raw.tamperPolicy,
    format: raw.format,
    json: raw.json,
  };
}
