// Median and spread of a measurement's samples (pure: tested in test/bench/).

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: how noisy the runs were. */
  spread: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { n: values.length, median: m, min, max, spread: m === 0 ? 0 : (max - min) / m };
}

/** Rotates `items` by `round`, so that across rounds every variant runs in every position. */
export function interleave<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = ((round % items.length) + items.length) % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Megabytes (10^6 bytes) per second. */
export function mbPerSecond(bytes: number, ms: number): number {
  return ms <= 0 ? Number.POSITIVE_INFINITY : bytes / 1e6 / (ms / 1000);
}
