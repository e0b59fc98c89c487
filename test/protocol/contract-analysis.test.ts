// The owners' analysis rules in the contract: shape, cross-field rules, which mode a contract runs
// in and which k applies.
import { describe, expect, it } from "vitest";
import { effectiveMinGroupSize, privacyMode, validateContract } from "../../enclave-app/src/protocol/index.ts";
import { rawFraudContract } from "./fixtures.ts";

function withAnalysis(bank: unknown, insurer?: unknown): Record<string, any> {
  const c = rawFraudContract();
  c.datasets[0].analysis = bank;
  if (insurer !== undefined) c.datasets[1].analysis = insurer;
  return c;
}

const BANK = { privacyUnit: "customer_ref", dimensions: ["region", "flagged"], joinColumns: ["customer_ref"] };
const INSURER = {
  privacyUnit: "customer_ref",
  dimensions: ["suspicious"],
  joinColumns: ["customer_ref"],
  aggregates: { claim_amount: ["SUM"], customer_ref: ["COUNT_DISTINCT"] },
  clamp: { claim_amount: { min: 0, max: 50000 } },
  minGroupSize: 25,
};

function rules(input: unknown): string[] {
  const check = validateContract(input);
  return check.ok ? [] : check.issues.map((i) => `${i.path} ${i.rule}`);
}

describe("analysis rules in the contract", () => {
  it("a contract without analysis stays valid and runs in legacy mode with the contract's k", () => {
    const c = rawFraudContract();
    expect(rules(c)).toEqual([]);
    expect(privacyMode(c as never)).toBe("legacy");
    expect(effectiveMinGroupSize(c as never)).toBe(10);
  });

  it("declared by any owner puts the contract in enforced mode, with the strictest k of all", () => {
    const c = withAnalysis(BANK, INSURER);
    expect(rules(c)).toEqual([]);
    expect(privacyMode(c as never)).toBe("enforced");
    expect(effectiveMinGroupSize(c as never)).toBe(25);
    // An owner can only raise k: a smaller value leaves the contract's.
    expect(effectiveMinGroupSize(withAnalysis({ ...BANK, minGroupSize: 3 }) as never)).toBe(10);
  });

  it("refuses columns outside the schema, the unit as a dimension, unbounded sums and bad clamps", () => {
    expect(rules(withAnalysis({ ...BANK, privacyUnit: "ssn", dimensions: ["region", "customer_ref", "zip"] }))).toEqual([
      "datasets[0].analysis.privacyUnit analysis-unknown-column",
      "datasets[0].analysis.dimensions[2] analysis-unknown-column",
    ]);
    expect(rules(withAnalysis({ ...BANK, dimensions: ["region", "customer_ref"] }))).toEqual(["datasets[0].analysis.dimensions[1] unit-as-dimension"]);
    expect(rules(withAnalysis({ ...BANK, aggregates: { amount: ["SUM"] } }))).toEqual(["datasets[0].analysis.aggregates.amount clamp-required"]);
    expect(rules(withAnalysis({ ...BANK, aggregates: { amount: ["AVG"] }, clamp: { amount: { min: 10, max: 1 } } }))).toEqual(["datasets[0].analysis.clamp.amount clamp-range"]);
    expect(rules(withAnalysis({ ...BANK, aggregates: { customer_ref: ["COUNT_DISTINCT", "MAX"] } }))).toEqual(["datasets[0].analysis.aggregates.customer_ref unit-aggregate"]);
    expect(rules(withAnalysis({ ...BANK, joinColumns: ["customer_ref", "iban"] }))).toEqual(["datasets[0].analysis.joinColumns[1] analysis-unknown-column"]);
  });

  it("refuses unknown aggregates, unknown fields and a k under 2", () => {
    expect(rules(withAnalysis({ ...BANK, aggregates: { amount: ["MEDIAN"] } }))).toEqual(["datasets[0].analysis.aggregates.amount[0] invalid-value"]);
    expect(rules(withAnalysis({ ...BANK, dimension: ["region"] }))).toEqual(["datasets[0].analysis.dimension unknown-field"]);
    expect(rules(withAnalysis({ ...BANK, minGroupSize: 1 }))).toEqual(["datasets[0].analysis.minGroupSize k-too-small"]);
    expect(rules(withAnalysis({ dimensions: [] }))).toEqual(["datasets[0].analysis.privacyUnit required"]);
  });
});
