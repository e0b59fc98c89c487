import { CsvBuilder, daysOfYear, formatCents } from "../csv.ts";
import { createPrng, cumulativeWeights } from "../prng.ts";
import { demoSalt, pseudonymize } from "../pseudonym.ts";
import { fraudDefinition } from "./fraud.ts";
import type { GeneratedDataset, GenerateOptions } from "./types.ts";

// Synthetic data for the fraud scenario.

/** "islands" is deliberately tiny so that its overlap falls under k and the privacy guard visibly suppresses it. */
export const FRAUD_REGIONS = ["capital", "north", "south", "east", "west", "central", "coast", "islands"] as const;
const REGION_WEIGHTS = [0.24, 0.16, 0.16, 0.13, 0.13, 0.1, 0.07, 0.01];
const MERCHANT_CATEGORIES = ["groceries", "fuel", "travel", "electronics", "online", "restaurants", "jewellery", "cash"];
const CLAIM_TYPES = ["motor", "home", "travel", "health", "life"];

/** Share of customers with a latent fraud pattern; they drive the overlap. */
const RISKY_SHARE = 0.05;
const FLAG_RATE = { risky: 0.25, normal: 0.002 };
const SUSPICIOUS_RATE = { risky: 0.35, normal: 0.01 };

export function generateFraudData(opts: GenerateOptions): GeneratedDataset[] {
  const { rows, seed } = opts;
  const customers = buildCustomers(rows, seed);
  const days = daysOfYear(2025);
  const total = rows * 2;
  const report = progressReporter(opts, total);

  const bankRng = createPrng(seed, "bank_transactions");
  const categories = cumulativeWeights([0.28, 0.14, 0.08, 0.1, 0.2, 0.12, 0.03, 0.05]);
  const bank = new CsvBuilder(fraudDefinition.datasets[0]!.schema.map((c) => c.name));
  for (let i = 0; i < rows; i++) {
    const c = bankRng.int(customers.bankEnd);
    const flagged = bankRng.chance(customers.risky[c] === 1 ? FLAG_RATE.risky : FLAG_RATE.normal);
    // Flagged transactions skew large, as real card fraud does.
    const cents = flagged ? 20_000 + bankRng.int(480_000) : 500 + Math.floor(bankRng.next() ** 2 * 99_500);
    const category = MERCHANT_CATEGORIES[bankRng.pick(categories)]!;
    bank.push(`${i + 1},${customers.pid[c]},${FRAUD_REGIONS[customers.region[c]!]},${formatCents(cents)},${category},${days[bankRng.int(days.length)]},${flagged}`);
    if ((i & 0xffff) === 0) report(i);
  }

  const insurerRng = createPrng(seed, "insurer_claims");
  const insurer = new CsvBuilder(fraudDefinition.datasets[1]!.schema.map((c) => c.name));
  const insurerCustomers = customers.universe - customers.insurerStart;
  for (let i = 0; i < rows; i++) {
    const c = customers.insurerStart + insurerRng.int(insurerCustomers);
    const suspicious = insurerRng.chance(customers.risky[c] === 1 ? SUSPICIOUS_RATE.risky : SUSPICIOUS_RATE.normal);
    const cents = 10_000 + Math.floor(insurerRng.next() ** 2 * 1_990_000);
    const type = CLAIM_TYPES[insurerRng.int(CLAIM_TYPES.length)]!;
    insurer.push(`${i + 1},${customers.pid[c]},${FRAUD_REGIONS[customers.region[c]!]},${formatCents(cents)},${type},${days[insurerRng.int(days.length)]},${suspicious}`);
    if ((i & 0xffff) === 0) report(rows + i);
  }
  report(total);

  return [
    { dataset: "bank_transactions", ...bank.finish() },
    { dataset: "insurer_claims", ...insurer.finish() },
  ];
}

interface CustomerUniverse {
  universe: number;
  /** Customers [0, bankEnd) bank at the bank; [insurerStart, universe) are insured: the middle overlaps. */
  bankEnd: number;
  insurerStart: number;
  region: Uint8Array;
  risky: Uint8Array;
  pid: string[];
}

function buildCustomers(rows: number, seed: number): CustomerUniverse {
  const universe = Math.max(60, Math.round(rows / 3));
  const rng = createPrng(seed, "fraud-customers");
  const regions = cumulativeWeights(REGION_WEIGHTS);
  const salt = demoSalt("fraud", seed);
  const region = new Uint8Array(universe);
  const risky = new Uint8Array(universe);
  const pid = new Array<string>(universe);
  for (let c = 0; c < universe; c++) {
    region[c] = rng.pick(regions);
    risky[c] = rng.chance(RISKY_SHARE) ? 1 : 0;
    pid[c] = pseudonymize(salt, `customer-${c}`);
  }
  return { universe, bankEnd: Math.round(universe * 0.75), insurerStart: Math.round(universe * 0.35), region, risky, pid };
}

function progressReporter(opts: GenerateOptions, total: number): (done: number) => void {
  return (done) => opts.onProgress?.(done, total);
}
