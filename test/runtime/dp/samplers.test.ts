// The exact samplers produce the distributions the privacy proofs assume: moments, tails and
// symmetry against the exact mass functions, Bernoulli(exp(-gamma)) frequencies, and a uniform
// integer sampler without modulo bias.
import { describe, expect, it } from "vitest";
import { DpParameterError } from "../../../enclave-app/src/runtime/privacy/dp/errors.ts";
import { cryptoRandom, type RandomSource } from "../../../enclave-app/src/runtime/privacy/dp/random.ts";
import { rational } from "../../../enclave-app/src/runtime/privacy/dp/rational.ts";
import { bernoulliExp, discreteGaussian, discreteLaplace } from "../../../enclave-app/src/runtime/privacy/dp/samplers.ts";
import { draw, frequencyTolerance, meanTolerance, moments, SIGMAS, varianceTolerance } from "./stats.ts";

function laplacePmf(scale: number): (x: number) => number {
  const q = Math.exp(-1 / scale);
  return (x) => ((1 - q) / (1 + q)) * q ** Math.abs(x);
}

function gaussianPmf(sigma2: number): (x: number) => number {
  return (x) => Math.exp(-(x * x) / (2 * sigma2));
}

function tailMass(pmf: (x: number) => number, k: number, radius: number): number {
  let z = 0;
  let tail = 0;
  for (let x = -radius; x <= radius; x++) {
    z += pmf(x);
    if (Math.abs(x) >= k) tail += pmf(x);
  }
  return tail / z;
}

function checkDistribution(sample: () => bigint, pmf: (x: number) => number, n: number, tailAt: number[]): void {
  const exact = moments(pmf, 400);
  const s = draw(n, sample);
  expect(Math.abs(s.mean)).toBeLessThan(meanTolerance(exact, n));
  expect(Math.abs(s.variance - exact.variance)).toBeLessThan(varianceTolerance(exact, n));
  for (const k of tailAt) {
    const p = tailMass(pmf, k, 400);
    const observed = s.values.filter((v) => Math.abs(v) >= k).length / n;
    expect(Math.abs(observed - p), `P(|X| >= ${k})`).toBeLessThan(frequencyTolerance(p, n));
  }
  const positive = s.values.filter((v) => v > 0).length;
  const negative = s.values.filter((v) => v < 0).length;
  const pSide = (1 - pmf(0) / sumOf(pmf)) / 2;
  expect(Math.abs(positive - negative), "symmetry").toBeLessThan(SIGMAS * Math.sqrt(2 * pSide * n));
}

function sumOf(pmf: (x: number) => number): number {
  let z = 0;
  for (let x = -400; x <= 400; x++) z += pmf(x);
  return z;
}

describe("discrete Laplace (CKS Algorithm 2)", () => {
  it("has variance 2q/(1-q)^2 (q = e^(-1/t)), mean 0, the exact tails and symmetry at integer scale t = 3", () => {
    const q = Math.exp(-1 / 3);
    expect(moments(laplacePmf(3), 400).variance).toBeCloseTo((2 * q) / (1 - q) ** 2, 9);
    checkDistribution(() => discreteLaplace(rational(3n)), laplacePmf(3), 60_000, [1, 5, 10, 20]);
  });

  it("matches at fractional scale t/s = 1/2 (the floor(X/s) branch)", () => {
    checkDistribution(() => discreteLaplace(rational(1n, 2n)), laplacePmf(0.5), 60_000, [1, 2, 3]);
  });

  it("refuses a scale that is not positive", () => {
    expect(() => discreteLaplace(rational(0n))).toThrow(DpParameterError);
    expect(() => discreteLaplace(rational(-1n, 2n))).toThrow(/discrete Laplace scale must be > 0/);
  });
});

describe("discrete Gaussian (CKS Algorithm 3)", () => {
  it("has variance within tolerance of sigma^2 = 4, mean 0, the exact tails and symmetry", () => {
    expect(Math.abs(moments(gaussianPmf(4), 400).variance - 4)).toBeLessThan(1e-12);
    checkDistribution(() => discreteGaussian(rational(4n)), gaussianPmf(4), 40_000, [1, 3, 6, 9]);
  });

  it("matches at a non-integer rational sigma^2 = 10/3", () => {
    checkDistribution(() => discreteGaussian(rational(10n, 3n)), gaussianPmf(10 / 3), 40_000, [1, 3, 6]);
  });

  it("refuses sigma^2 <= 0", () => {
    expect(() => discreteGaussian(rational(0n))).toThrow(/sigma\^2 must be > 0/);
  });
});

describe("Bernoulli(exp(-gamma)) (CKS Algorithm 1)", () => {
  for (const [num, den] of [[1n, 3n], [1n, 1n], [5n, 2n]] as const) {
    it(`comes up with frequency exp(-${num}/${den})`, () => {
      const n = 50_000;
      const p = Math.exp(-Number(num) / Number(den));
      let ones = 0;
      for (let i = 0; i < n; i++) if (bernoulliExp(rational(num, den))) ones++;
      expect(Math.abs(ones / n - p)).toBeLessThan(frequencyTolerance(p, n));
    });
  }

  it("is always 1 at gamma = 0 and refuses gamma < 0", () => {
    for (let i = 0; i < 1000; i++) expect(bernoulliExp(rational(0n))).toBe(true);
    expect(() => bernoulliExp(rational(-1n, 3n))).toThrow(/gamma must be >= 0/);
  });

  it("draws from an injected source when one is given, and only then", () => {
    let calls = 0;
    const counting: RandomSource = { uniformBelow: (n) => { calls++; return cryptoRandom.uniformBelow(n); } };
    bernoulliExp(rational(1n, 2n), { random: counting });
    expect(calls).toBeGreaterThan(0);
    const before = calls;
    bernoulliExp(rational(1n, 2n));
    expect(calls).toBe(before);
  });
});

describe("uniform integers from the CSPRNG", () => {
  it("are unbiased on a small range (randomInt path): each of 0..2 about a third", () => {
    const n = 60_000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) counts[Number(cryptoRandom.uniformBelow(3n))]!++;
    for (const c of counts) expect(Math.abs(c / n - 1 / 3)).toBeLessThan(frequencyTolerance(1 / 3, n));
  });

  it("show no modulo bias on a range of 2/3 * 2^64 (a 64-bit draw mod n would put 2/3 of the mass below n/2)", () => {
    const range = (2n ** 64n * 2n) / 3n;
    const n = 20_000;
    let below = 0;
    for (let i = 0; i < n; i++) {
      const v = cryptoRandom.uniformBelow(range);
      expect(v >= 0n && v < range).toBe(true);
      if (v < range / 2n) below++;
    }
    expect(Math.abs(below / n - 0.5)).toBeLessThan(frequencyTolerance(0.5, n));
  });

  it("stay in range at the 2^48 boundary between the two paths and refuse n < 1", () => {
    for (const range of [2n ** 48n - 1n, 2n ** 48n, 2n ** 48n + 1n]) {
      for (let i = 0; i < 2000; i++) {
        const v = cryptoRandom.uniformBelow(range);
        expect(v >= 0n && v < range).toBe(true);
      }
    }
    expect(cryptoRandom.uniformBelow(1n)).toBe(0n);
    expect(() => cryptoRandom.uniformBelow(0n)).toThrow(/needs n >= 1/);
  });
});
