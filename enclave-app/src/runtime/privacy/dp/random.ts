// The only source of randomness for the samplers: uniform integers in [0, n), without modulo bias,
// drawn from the operating system's CSPRNG. There is deliberately no seedable implementation here;
// a test that needs a fixed stream passes its own RandomSource through the samplers' explicit option.
import { randomBytes, randomInt } from "node:crypto";
import { DpParameterError } from "./errors.ts";

export interface RandomSource {
  /** A uniform integer in [0, n); n >= 1. */
  uniformBelow(n: bigint): bigint;
}

// node:crypto.randomInt accepts ranges below 2^48 and rejects out-of-range draws itself (no modulo
// bias) from a buffered pool, which keeps the common small draws cheap.
const RANDOM_INT_LIMIT = 2n ** 48n;

function uniformBelowCrypto(n: bigint): bigint {
  if (n < 1n) throw new DpParameterError("uniformBelow(n)", `needs n >= 1, got ${n}`);
  if (n === 1n) return 0n;
  if (n < RANDOM_INT_LIMIT) return BigInt(randomInt(Number(n)));
  // Rejection sampling on the smallest number of whole bits covering n: each attempt succeeds with
  // probability > 1/2, and every accepted value is equally likely.
  const bits = (n - 1n).toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const candidate = BigInt(`0x${randomBytes(bytes).toString("hex")}`) >> excess;
    if (candidate < n) return candidate;
  }
}

export const cryptoRandom: RandomSource = { uniformBelow: uniformBelowCrypto };
