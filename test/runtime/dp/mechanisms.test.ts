// Noisy COUNT / SUM / AVG: the noise has the scale sensitivity/epsilon the guarantee needs, values
// are clamped and quantized exactly, the AVG budget is split as documented, and bad parameters are
// refused naming the parameter.
import { describe, expect, it } from "vitest";
import { DpParameterError } from "../../../enclave-app/src/runtime/privacy/dp/errors.ts";
import { noisyAvg, noisyCount, noisySum } from "../../../enclave-app/src/runtime/privacy/dp/mechanisms.ts";
import { rational } from "../../../enclave-app/src/runtime/privacy/dp/rational.ts";
import { meanTolerance, moments, varianceTolerance } from "./stats.ts";

function refusedParameter(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DpParameterError) return err.parameter;
    throw err;
  }
  return undefined;
}

// epsilon = 1e6 with sensitivity <= 1e3 units gives scale <= 1/1000: P(noise != 0) < 2e^-1000.
const NO_NOISE = 1e6;

describe("noisyCount", () => {
  it("adds discrete Laplace noise of scale N/epsilon: epsilon 0.5, N = 1 gives variance 2q/(1-q)^2 with q = e^(-1/2)", () => {
    const n = 20_000;
    const q = Math.exp(-0.5);
    const exact = moments((x) => q ** Math.abs(x), 400);
    expect(exact.variance).toBeCloseTo((2 * q) / (1 - q) ** 2, 9);
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < n; i++) {
      const noise = Number(noisyCount({ count: 100, epsilon: 0.5 }).value - 100n);
      sum += noise;
      sum2 += noise * noise;
    }
    expect(Math.abs(sum / n)).toBeLessThan(meanTolerance(exact, n));
    expect(Math.abs(sum2 / n - (sum / n) ** 2 - exact.variance)).toBeLessThan(varianceTolerance(exact, n));
  });

  it("takes the exact decimal epsilon and the row bound as sensitivity (epsilon 0.1, N = 3: scale 30)", () => {
    const out = noisyCount({ count: 5n, epsilon: 0.1, maxRowsPerUnit: 3 });
    expect(out.sensitivity).toBe(3n);
    expect(out.scale).toEqual(rational(30n));
  });

  it("refuses epsilon <= 0 or not finite, N that is not an integer >= 1, a negative count", () => {
    for (const epsilon of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "abc"]) expect(refusedParameter(() => noisyCount({ count: 1, epsilon }))).toBe("epsilon");
    for (const n of [0, 1.5, -2]) expect(refusedParameter(() => noisyCount({ count: 1, epsilon: 1, maxRowsPerUnit: n }))).toBe("maxRowsPerUnit");
    expect(refusedParameter(() => noisyCount({ count: -1, epsilon: 1 }))).toBe("count");
    expect(() => noisyCount({ count: 1, epsilon: 0 })).toThrow(/epsilon must be > 0, got 0/);
  });
});

describe("noisySum", () => {
  it("clamps to [L, U] and quantizes to the fixed-point step before summing", () => {
    // 1000 -> 10, -5 -> 0, 2.54 -> 2.5 (one decimal): 12.5.
    const out = noisySum({ values: [1000, -5, 2.54], lower: 0, upper: 10, decimals: 1, maxRowsPerUnit: 2, epsilon: NO_NOISE });
    expect(out.value).toBe(12.5);
    expect(out.units).toBe(125n);
  });

  it("has sensitivity N * max(|L|, |U|) in fixed-point units: N = 4, L = -20, U = 7.5, 2 decimals -> 8000", () => {
    const out = noisySum({ values: [1], lower: -20, upper: 7.5, decimals: 2, maxRowsPerUnit: 4, epsilon: 2 });
    expect(out.sensitivityUnits).toBe(8000n);
    expect(out.scale).toEqual(rational(4000n));
  });

  it("refuses L > U, bounds off the fixed-point grid, bad decimals and non-finite values", () => {
    const base = { values: [1], lower: 0, upper: 10, decimals: 1, maxRowsPerUnit: 1, epsilon: 1 };
    expect(refusedParameter(() => noisySum({ ...base, lower: 11 }))).toBe("lower");
    expect(refusedParameter(() => noisySum({ ...base, upper: 10.25 }))).toBe("upper");
    expect(refusedParameter(() => noisySum({ ...base, decimals: 13 }))).toBe("decimals");
    expect(() => noisySum({ ...base, upper: 1e5, decimals: 12 })).toThrow(/upper is too large for 12 decimal places/);
    expect(refusedParameter(() => noisySum({ ...base, values: [1, Number.NaN] }))).toBe("values[1]");
  });
});

describe("noisyAvg", () => {
  it("is the clamped mean when noise is negligible, with epsilon split evenly between sum and count", () => {
    const out = noisyAvg({ values: [1, 2, 3, 100], lower: 0, upper: 10, decimals: 0, maxRowsPerUnit: 2, epsilon: NO_NOISE });
    expect(out.value).toBe(4); // (1 + 2 + 3 + 10) / 4
    // Each half gets epsilon/2: scale = 2 * sensitivity / epsilon.
    expect(out.sum.scale).toEqual(rational(2n * 20n, 1_000_000n));
    expect(out.count.scale).toEqual(rational(2n * 2n, 1_000_000n));
  });

  it("stays within [L, U] even when the noisy count is tiny (post-processing clamp)", () => {
    const n = 2000;
    let inside = 0;
    for (let i = 0; i < n; i++) {
      const v = noisyAvg({ values: [5], lower: 0, upper: 10, decimals: 0, maxRowsPerUnit: 1, epsilon: 0.1 }).value;
      if (v >= 0 && v <= 10) inside++;
    }
    expect(inside).toBe(n);
  });
});
