// Noisy COUNT, SUM and AVG over rows whose contributions were already bounded (bounding.ts): each
// privacy unit has at most `maxRowsPerUnit` rows in the input. Noise is discrete Laplace with scale
// sensitivity/epsilon, which gives epsilon-DP (pure) for an integer-valued query of that L1
// sensitivity under adding or removing one unit. Sums are computed in fixed point (integers of
// 10^-decimals) so the exact integer sampler applies; the noisy result is only then turned into a number.
import { DpParameterError } from "./errors.ts";
import { checkBound, checkClamp, checkDecimals, checkEpsilon, type Decimal } from "./params.ts";
import { type Rational, rational, toNumber } from "./rational.ts";
import { discreteLaplace, type SamplerOptions } from "./samplers.ts";

/** Discrete Laplace scale for sensitivity / epsilon, exactly. */
function scaleFor(sensitivity: bigint, epsilon: Rational): Rational {
  return rational(sensitivity * epsilon.den, epsilon.num);
}

export interface NoisyCountInput {
  /** The true count of rows (or of distinct units, with maxRowsPerUnit 1). */
  count: number | bigint;
  epsilon: Decimal;
  /** Rows one unit can add to the count after bounding: the count's sensitivity. Default 1 (counting units). */
  maxRowsPerUnit?: number;
}

export interface NoisyCount {
  /** May be negative; clamping it at 0 for display is post-processing and costs no privacy. */
  value: bigint;
  sensitivity: bigint;
  scale: Rational;
}

export function noisyCount(input: NoisyCountInput, options: SamplerOptions = {}): NoisyCount {
  const epsilon = checkEpsilon(input.epsilon);
  const sensitivity = checkBound(input.maxRowsPerUnit ?? 1, "maxRowsPerUnit");
  const count = typeof input.count === "bigint" ? input.count : BigInt(checkCount(input.count));
  if (count < 0n) throw new DpParameterError("count", `must be >= 0, got ${count}`);
  const scale = scaleFor(sensitivity, epsilon);
  return { value: count + discreteLaplace(scale, options), sensitivity, scale };
}

function checkCount(count: number): number {
  if (!Number.isSafeInteger(count)) throw new DpParameterError("count", `must be a safe integer, got ${count}`);
  return count;
}

export interface NoisySumInput {
  values: readonly (number | bigint)[];
  /** Clamping bounds L <= U, each a multiple of 10^-decimals. */
  lower: number;
  upper: number;
  /** Fixed-point places: values are rounded to multiples of 10^-decimals before summing. */
  decimals: number;
  maxRowsPerUnit: number;
  epsilon: Decimal;
}

export interface NoisySum {
  value: number;
  /** The noisy sum in fixed-point units (value = units / 10^decimals). */
  units: bigint;
  decimals: number;
  /** N * max(|L|, |U|) in fixed-point units. */
  sensitivityUnits: bigint;
  scale: Rational;
}

/** Each value rounded to the fixed-point grid, then clamped to [L, U] (in units, so exactly). */
export function clampedUnits(values: readonly (number | bigint)[], lower: bigint, upper: bigint, decimals: number): bigint {
  const unit = 10 ** decimals;
  const bigUnit = 10n ** BigInt(decimals);
  let total = 0n;
  values.forEach((v, i) => {
    let units: bigint;
    if (typeof v === "bigint") units = v * bigUnit;
    else {
      if (!Number.isFinite(v)) throw new DpParameterError(`values[${i}]`, "must be a finite number (filter NULLs before the mechanism)");
      // Doubles beyond 2^53 units are clamped anyway; rounding there only moves a value that ends at a bound.
      const scaled = Math.round(v * unit);
      units = Number.isSafeInteger(scaled) ? BigInt(scaled) : scaled > 0 ? upper : lower;
    }
    total += units < lower ? lower : units > upper ? upper : units;
  });
  return total;
}

/** A sum already computed exactly in fixed-point units, each unit's share of it bounded as NoisySumInput says. */
export interface NoisyExactSumInput extends Omit<NoisySumInput, "values"> {
  units: bigint;
}

/**
 * Noise for an exact fixed-point sum: sensitivity maxRowsPerUnit * max(|L|, |U|) in units. The
 * enclave's SQL computes the bounded sums itself (sql/analysis/dp-rewrite.ts) and calls this.
 */
export function noisyExactSum(input: NoisyExactSumInput, options: SamplerOptions = {}): NoisySum {
  const epsilon = checkEpsilon(input.epsilon);
  const n = checkBound(input.maxRowsPerUnit, "maxRowsPerUnit");
  const decimals = checkDecimals(input.decimals);
  const { lower, upper } = checkClamp(input.lower, input.upper, decimals);
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  const largest = abs(lower) > abs(upper) ? abs(lower) : abs(upper);
  // A bound of 0 (L = U = 0) makes the sum constant; still add noise of a unit step so the output
  // is the same kind of value, at no privacy cost.
  const sensitivityUnits = n * (largest === 0n ? 1n : largest);
  const scale = scaleFor(sensitivityUnits, epsilon);
  const units = input.units + discreteLaplace(scale, options);
  return { value: toNumber(rational(units, 10n ** BigInt(decimals))), units, decimals, sensitivityUnits, scale };
}

export function noisySum(input: NoisySumInput, options: SamplerOptions = {}): NoisySum {
  const decimals = checkDecimals(input.decimals);
  const { lower, upper } = checkClamp(input.lower, input.upper, decimals);
  return noisyExactSum({ ...input, units: clampedUnits(input.values, lower, upper, decimals) }, options);
}

export type NoisyAvgInput = NoisySumInput;

export interface NoisyAvg {
  /** noisy sum / max(1, noisy count), clamped to [L, U] (post-processing). */
  value: number;
  sum: NoisySum;
  count: NoisyCount;
}

/**
 * AVG as a noisy SUM over a noisy COUNT of the same rows. The budget is split evenly: epsilon/2 for
 * each (basic composition gives epsilon in total); both have sensitivity bounded by maxRowsPerUnit.
 */
export function noisyAvg(input: NoisyAvgInput, options: SamplerOptions = {}): NoisyAvg {
  const epsilon = checkEpsilon(input.epsilon);
  const half = rational(epsilon.num, 2n * epsilon.den);
  const sum = noisySum({ ...input, epsilon: half }, options);
  const count = noisyCount({ count: input.values.length, epsilon: half, maxRowsPerUnit: input.maxRowsPerUnit }, options);
  const denominator = count.value < 1n ? 1n : count.value;
  const raw = toNumber(rational(sum.units, denominator * 10n ** BigInt(sum.decimals)));
  const value = Math.min(Math.max(raw, input.lower), input.upper);
  return { value, sum, count };
}
