// Exact non-negative rationals as BigInt pairs. Privacy parameters arrive as JavaScript numbers or
// decimal strings; they are read as the decimal the user wrote ("0.1" is 1/10, not the double
// nearest to it), so the noise scale, the budget sums and the ledger all use exactly that value.
import { decimalProblem, exactDecimal } from "../../../protocol/decimal.ts";
import { DpParameterError } from "./errors.ts";

export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(num: bigint, den: bigint = 1n): Rational {
  if (den === 0n) throw new DpParameterError("rational denominator", "must not be 0");
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/** The exact value of a non-negative finite decimal (number or string such as "0.5", "1e-6"). */
export function parseDecimal(name: string, value: number | string): Rational {
  const problem = decimalProblem(value);
  if (problem !== undefined) throw new DpParameterError(name, problem);
  const exact = exactDecimal(value)!;
  return rational(exact.num, exact.den);
}

export function add(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function mul(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

export function div(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den, a.den * b.num);
}

/** -1, 0 or 1 as a < b, a = b, a > b. */
export function compare(a: Rational, b: Rational): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

export function floor(a: Rational): bigint {
  const q = a.num / a.den;
  return a.num < 0n && q * a.den !== a.num ? q - 1n : q;
}

export function toNumber(a: Rational): number {
  return Number(a.num) / Number(a.den);
}

export function toText(a: Rational): string {
  return a.den === 1n ? `${a.num}` : `${a.num}/${a.den}`;
}

/** floor(sqrt(n)) for n >= 0, by Newton's method on integers. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new DpParameterError("isqrt(n)", `needs n >= 0, got ${n}`);
  if (n < 2n) return n;
  // Start above the root (2^ceil(bits/2) >= sqrt(n)); Newton's iterates then fall to floor(sqrt(n)).
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Decimal text of a rational whose denominator divides a power of ten (every sum of decimals does). */
export function toDecimalText(a: Rational): string {
  let places = 0;
  let power = 1n;
  while (power % a.den !== 0n) {
    if (places > 400) throw new DpParameterError("decimal", `${toText(a)} has no finite decimal form`);
    power *= 10n;
    places++;
  }
  const negative = a.num < 0n;
  const digits = ((negative ? -a.num : a.num) * (power / a.den)).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const fraction = digits.slice(digits.length - places);
  return `${negative ? "-" : ""}${whole}${places > 0 ? `.${fraction}` : ""}`;
}
