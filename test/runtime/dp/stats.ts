// Exact moments of an integer distribution from its mass function, and the tolerances the
// statistical tests use: 6 standard errors, so a correct sampler fails about once in 5e8 runs.
export interface Moments {
  mean: number;
  variance: number;
  fourth: number;
}

export function moments(pmf: (x: number) => number, radius: number): Moments {
  let z = 0;
  let m2 = 0;
  let m4 = 0;
  for (let x = -radius; x <= radius; x++) {
    const p = pmf(x);
    z += p;
    m2 += x * x * p;
    m4 += x ** 4 * p;
  }
  return { mean: 0, variance: m2 / z, fourth: m4 / z };
}

export const SIGMAS = 6;

export interface Sample {
  n: number;
  mean: number;
  variance: number;
  values: number[];
}

export function draw(n: number, sample: () => bigint): Sample {
  const values: number[] = new Array(n);
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const v = Number(sample());
    values[i] = v;
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / n;
  return { n, mean, variance: sum2 / n - mean * mean, values };
}

/** Tolerance on a sample mean of n draws with the given variance. */
export function meanTolerance(m: Moments, n: number): number {
  return SIGMAS * Math.sqrt(m.variance / n);
}

/** Tolerance on a sample variance (mean 0): its standard error is sqrt((mu4 - sigma^4) / n). */
export function varianceTolerance(m: Moments, n: number): number {
  return SIGMAS * Math.sqrt((m.fourth - m.variance ** 2) / n);
}

/** Tolerance on a frequency with probability p over n draws. */
export function frequencyTolerance(p: number, n: number): number {
  return SIGMAS * Math.sqrt((p * (1 - p)) / n);
}
