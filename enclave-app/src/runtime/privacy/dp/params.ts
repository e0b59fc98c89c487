// Validation of the privacy parameters every mechanism takes. Each function names the parameter and
// the rule it breaks, and returns the exact rational the mechanism computes with.
import { DpParameterError } from "./errors.ts";
import { compare, parseDecimal, type Rational, rational } from "./rational.ts";

/** A decimal as written ("0.5", 1e-6) or an exact rational (e.g. a share of a budget). */
export type Decimal = number | string | Rational;

function exact(name: string, value: Decimal): Rational {
  if (typeof value === "object") {
    if (value.den <= 0n || value.num < 0n) throw new DpParameterError(name, `must be a non-negative rational with a positive denominator`);
    return rational(value.num, value.den);
  }
  return parseDecimal(name, value);
}

function shown(value: Decimal): string {
  return typeof value === "object" ? `${value.num}/${value.den}` : String(value);
}

/** epsilon > 0 and finite. */
export function checkEpsilon(value: Decimal, name = "epsilon"): Rational {
  const eps = exact(name, value);
  if (eps.num === 0n) throw new DpParameterError(name, `must be > 0, got ${shown(value)}`);
  return eps;
}

/** delta in the open interval (0, 1). */
export function checkDelta(value: Decimal, name = "delta"): Rational {
  const delta = exact(name, value);
  if (delta.num === 0n || compare(delta, rational(1n)) >= 0) throw new DpParameterError(name, `must be in (0, 1), got ${shown(value)}`);
  return delta;
}

/** A contribution bound: an integer >= 1 (and small enough to be exact as a number). */
export function checkBound(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value) || value < 1) throw new DpParameterError(name, `must be an integer >= 1, got ${value}`);
  return BigInt(value);
}

/** Fixed-point decimal places for sums: an integer in [0, 12]. */
export function checkDecimals(value: number, name = "decimals"): number {
  if (!Number.isInteger(value) || value < 0 || value > 12) throw new DpParameterError(name, `must be an integer in [0, 12], got ${value}`);
  return value;
}

export interface Clamp {
  /** Bounds in fixed-point units (value * 10^decimals), exactly. */
  lower: bigint;
  upper: bigint;
}

/** L <= U, both finite and exactly representable with `decimals` places (so clamping is exact). */
export function checkClamp(lower: number, upper: number, decimals: number): Clamp {
  const unit = 10 ** decimals;
  const toUnits = (name: string, v: number): bigint => {
    if (!Number.isFinite(v)) throw new DpParameterError(name, `must be a finite number, got ${v}`);
    const units = Math.round(v * unit);
    if (!Number.isSafeInteger(units)) throw new DpParameterError(name, `is too large for ${decimals} decimal places (|value| * 10^${decimals} must stay below 2^53), got ${v}`);
    if (units / unit !== v) {
      throw new DpParameterError(name, `must be a multiple of 10^-${decimals} (the sum's fixed-point step), got ${v}`);
    }
    return BigInt(units);
  };
  const l = toUnits("lower", lower);
  const u = toUnits("upper", upper);
  if (l > u) throw new DpParameterError("lower", `must be <= upper, got lower ${lower} > upper ${upper}`);
  return { lower: l, upper: u };
}
