// Exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
// (NeurIPS 2020, arXiv:2004.00010), Algorithms 1-3. Every step is integer or rational arithmetic on
// BigInt and every coin is a uniform integer from the RandomSource, so the output distribution is
// exactly the stated one. Textbook Laplace noise on doubles is not used anywhere: its rounding
// leaves gaps in the output that reveal the true value (Mironov, CCS 2012).
// The samplers' running time depends on the random draws (not on the data), as in the paper.
import { DpParameterError } from "./errors.ts";
import { cryptoRandom, type RandomSource } from "./random.ts";
import { floor, isqrt, type Rational, rational, toText } from "./rational.ts";

export interface SamplerOptions {
  /** Only for tests that need a controlled stream; production code leaves it unset (the CSPRNG). */
  random?: RandomSource;
}

const ONE = rational(1n);

// Inner loops build fractions as plain {num, den} without reducing them: the coins only compare a
// uniform draw below den with num, so a gcd per coin would be wasted work.

/** Bernoulli(num/den), 0 <= num <= den. */
function bernoulliRational(p: Rational, random: RandomSource): boolean {
  return random.uniformBelow(p.den) < p.num;
}

/** Bernoulli(exp(-gamma)) for rational gamma >= 0 (Algorithm 1). */
export function bernoulliExp(gamma: Rational, options: SamplerOptions = {}): boolean {
  if (gamma.num < 0n) throw new DpParameterError("Bernoulli(exp(-gamma)) gamma", `must be >= 0, got ${toText(gamma)}`);
  const random = options.random ?? cryptoRandom;
  return bernoulliExpWith(gamma, random);
}

function bernoulliExpWith(gamma: Rational, random: RandomSource): boolean {
  const whole = floor(gamma);
  // exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))): one coin per factor.
  for (let k = 0n; k < whole; k++) {
    if (!bernoulliExpAtMostOne(ONE, random)) return false;
  }
  return bernoulliExpAtMostOne({ num: gamma.num - whole * gamma.den, den: gamma.den }, random);
}

/** gamma in [0, 1]: the first K with Bernoulli(gamma/K) = 0 is odd with probability exp(-gamma). */
function bernoulliExpAtMostOne(gamma: Rational, random: RandomSource): boolean {
  let k = 1n;
  while (bernoulliRational({ num: gamma.num, den: gamma.den * k }, random)) k++;
  return k % 2n === 1n;
}

/**
 * Discrete Laplace with scale t/s: P(x) proportional to exp(-|x| * s/t) on the integers
 * (Algorithm 2). `scale` is t/s; its variance is 2q/(1-q)^2 with q = exp(-s/t).
 */
export function discreteLaplace(scale: Rational, options: SamplerOptions = {}): bigint {
  if (scale.num <= 0n) throw new DpParameterError("discrete Laplace scale", `must be > 0, got ${toText(scale)}`);
  return discreteLaplaceWith(scale.num, scale.den, options.random ?? cryptoRandom);
}

function discreteLaplaceWith(t: bigint, s: bigint, random: RandomSource): bigint {
  for (;;) {
    const u = random.uniformBelow(t);
    if (!bernoulliExpWith({ num: u, den: t }, random)) continue;
    let v = 0n;
    while (bernoulliExpAtMostOne(ONE, random)) v++;
    const y = (u + t * v) / s;
    const negative = random.uniformBelow(2n) === 1n;
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * Discrete Gaussian N_Z(0, sigma2): P(x) proportional to exp(-x^2 / (2 sigma2)) on the integers
 * (Algorithm 3: discrete Laplace proposals with t = floor(sigma) + 1, accepted with probability
 * exp(-(|Y| - sigma2/t)^2 / (2 sigma2))). Its variance is below sigma2, by a relative 2e-7 at sigma = 1 and less beyond.
 */
export function discreteGaussian(sigma2: Rational, options: SamplerOptions = {}): bigint {
  if (sigma2.num <= 0n) throw new DpParameterError("discrete Gaussian sigma^2", `must be > 0, got ${toText(sigma2)}`);
  const random = options.random ?? cryptoRandom;
  const { num: a, den: b } = sigma2;
  // floor(sqrt(a/b)) = isqrt(floor(a/b)).
  const t = isqrt(a / b) + 1n;
  for (;;) {
    const y = discreteLaplaceWith(t, 1n, random);
    const abs = y < 0n ? -y : y;
    // (|y| - a/(b t))^2 / (2 a/b) = (|y| b t - a)^2 / (2 a b t^2), exactly.
    const d = abs * b * t - a;
    if (bernoulliExpWith({ num: d * d, den: 2n * a * b * t * t }, random)) return y;
  }
}
