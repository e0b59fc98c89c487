// Privacy parameters are read as the decimals written, and the integer helpers the samplers rely
// on are exact beyond double precision.
import { describe, expect, it } from "vitest";
import { isqrt, parseDecimal, rational, toDecimalText } from "../../../enclave-app/src/runtime/privacy/dp/rational.ts";

describe("exact rationals", () => {
  it("reads 0.1 as 1/10, 1e-6 as 1/10^6 and 2.50 as 5/2, from numbers and strings alike", () => {
    expect(parseDecimal("epsilon", 0.1)).toEqual(rational(1n, 10n));
    expect(parseDecimal("delta", 1e-6)).toEqual(rational(1n, 1_000_000n));
    expect(parseDecimal("epsilon", "2.50")).toEqual(rational(5n, 2n));
    expect(parseDecimal("epsilon", "3E2")).toEqual(rational(300n));
  });

  it("refuses negative, non-finite and non-decimal input naming the parameter", () => {
    expect(() => parseDecimal("epsilon", -0.5)).toThrow(/^epsilon must be a non-negative decimal number/);
    expect(() => parseDecimal("delta", Number.NaN)).toThrow(/^delta must be a finite number/);
    expect(() => parseDecimal("epsilon", "1/2")).toThrow(/^epsilon must be a non-negative decimal/);
  });

  it("computes floor(sqrt(n)) exactly, also where doubles round (n = (2^60 + 1)^2 - 1)", () => {
    for (let n = 0n; n < 2000n; n++) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
    const big = 2n ** 60n + 1n;
    expect(isqrt(big * big - 1n)).toBe(big - 1n);
    expect(isqrt(big * big)).toBe(big);
  });

  it("writes decimal text exactly", () => {
    expect(toDecimalText(rational(3n, 10n))).toBe("0.3");
    expect(toDecimalText(rational(13n, 1_000_000n))).toBe("0.000013");
    expect(toDecimalText(rational(5n, 4n))).toBe("1.25");
    expect(toDecimalText(rational(7n))).toBe("7");
    expect(() => toDecimalText(rational(1n, 3n))).toThrow(/no finite decimal form/);
  });
});
