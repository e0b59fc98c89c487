// Non-negative decimals as the user wrote them ("0.1", "1e-6", or a JSON number), read exactly as a
// fraction of BigInts. One reader for the contract's privacy parameters (validated here, before any
// key exists) and the enclave's differential-privacy arithmetic (runtime/privacy/dp/rational.ts).

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const MAX_EXPONENT = 400;

export interface ExactDecimal {
  /** value = num / den, den a power of ten (not reduced). */
  num: bigint;
  den: bigint;
}

/** Why `value` is not a non-negative finite decimal, or undefined when it is one. */
export function decimalProblem(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? (value < 0 ? `must be a non-negative decimal number, got ${value}` : undefined) : `must be a finite number, got ${value}`;
  if (typeof value !== "string") return `must be a decimal number or a decimal string, got ${value === null ? "null" : typeof value}`;
  const m = DECIMAL.exec(value.trim());
  if (!m) return `must be a non-negative decimal number, got ${JSON.stringify(value)}`;
  if (Math.abs(Number(m[3] ?? "0") - (m[2] ?? "").length) > MAX_EXPONENT) return `has an exponent out of range: ${value}`;
  return undefined;
}

/** The exact value of a decimal that passed decimalProblem (undefined otherwise). */
export function exactDecimal(value: number | string): ExactDecimal | undefined {
  if (decimalProblem(value) !== undefined) return undefined;
  // String(number) is the shortest decimal that round-trips, i.e. what the user typed for literals.
  const m = DECIMAL.exec(typeof value === "number" ? String(value) : value.trim())!;
  const fraction = m[2] ?? "";
  const exponent = Number(m[3] ?? "0") - fraction.length;
  const digits = BigInt(`${m[1]}${fraction}`);
  return exponent >= 0 ? { num: digits * 10n ** BigInt(exponent), den: 1n } : { num: digits, den: 10n ** BigInt(-exponent) };
}

/** -1, 0 or 1 as a < b, a = b, a > b; both must be valid decimals. */
export function compareDecimals(a: number | string, b: number | string): number {
  const x = exactDecimal(a);
  const y = exactDecimal(b);
  if (!x || !y) throw new Error(`compareDecimals: not decimals: ${String(a)}, ${String(b)}`);
  const l = x.num * y.den;
  const r = y.num * x.den;
  return l < r ? -1 : l > r ? 1 : 0;
}
