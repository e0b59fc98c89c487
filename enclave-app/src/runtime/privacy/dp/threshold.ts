// tau-thresholding: which groups (partitions) may appear in the output at all. Which groups exist
// is itself data: a group only one unit belongs to reveals that unit. Each group's distinct-unit
// count gets discrete Laplace noise of scale C/epsilon, where C bounds how many groups one unit
// contributes to (bounding.ts keepGroupsPerUnit), and the group is released only if the noisy count
// exceeds tau. This is the mechanism of Korolova, Kenthapadi, Mishra, Ntoulas, "Releasing Search
// Queries and Clicks Privately" (WWW 2009) and Wilson et al., "Differentially Private SQL with
// Bounded User Contribution" (PoPETs 2020), with tau derived here for discrete Laplace noise:
//
//   Z ~ DLap(t), t = C/epsilon, q = exp(-1/t):  P(Z >= k) = q^k / (1 + q) for integers k >= 1.
//   A group whose only member is the added/removed unit has true count 1; it is released iff
//   1 + Z > tau, i.e. Z >= tau, with probability q^tau / (1 + q) < exp(-tau/t).
//   tau = ceil(t * ln(C/delta)) makes that < delta/C per group, so < delta over the unit's <= C groups.
//
// Groups both neighbours share change count by at most 1 in at most C groups: L1 sensitivity C, so
// the noisy counts are epsilon-DP. Together the released set and its noisy counts are
// (epsilon, delta)-DP. Any other released column needs its own budget.
import { DpParameterError } from "./errors.ts";
import { checkBound, checkDelta, checkEpsilon, type Decimal } from "./params.ts";
import { type Rational, rational, toNumber } from "./rational.ts";
import { discreteLaplace, type SamplerOptions } from "./samplers.ts";

export interface ThresholdParams {
  epsilon: Decimal;
  delta: Decimal;
  /** C: the most groups one unit contributes to after bounding. */
  maxGroupsPerUnit: number;
}

export interface Threshold {
  tau: bigint;
  scale: Rational;
  /** P(a group of one unit is released) = q^tau / (1 + q), as a number. */
  singleUnitReleaseProbability: number;
}

export function releaseThreshold(params: ThresholdParams): Threshold {
  const epsilon = checkEpsilon(params.epsilon);
  const delta = checkDelta(params.delta);
  const c = checkBound(params.maxGroupsPerUnit, "maxGroupsPerUnit");
  const scale = rational(c * epsilon.den, epsilon.num);
  const t = toNumber(scale);
  const target = toNumber(delta) / Number(c);
  // ceil() in floating point could land one below the exact bound when t * ln(C/delta) is
  // within rounding of an integer; step up until the (conservative) inequality holds with margin.
  let tau = Math.max(1, Math.ceil(t * Math.log(1 / target)));
  while (-tau / t > Math.log(target) - 1e-9) tau++;
  const q = Math.exp(-1 / t);
  return { tau: BigInt(tau), scale, singleUnitReleaseProbability: q ** tau / (1 + q) };
}

export interface GroupCount<G> {
  group: G;
  /** Distinct units in the group (after bounding each unit to C groups). */
  units: number | bigint;
}

export interface ReleasedGroup<G> {
  group: G;
  noisyUnits: bigint;
}

export interface Selection<G> {
  released: ReleasedGroup<G>[];
  /** How many groups were withheld: a count only, never which. */
  suppressed: number;
  threshold: Threshold;
}

/** Releases each group whose noisy distinct-unit count exceeds tau, with that noisy count. */
export function selectGroups<G>(groups: readonly GroupCount<G>[], params: ThresholdParams, options: SamplerOptions = {}): Selection<G> {
  const threshold = releaseThreshold(params);
  const released: ReleasedGroup<G>[] = [];
  let suppressed = 0;
  groups.forEach(({ units }, i) => {
    if (typeof units === "number" ? !Number.isSafeInteger(units) || units < 0 : units < 0n) {
      throw new DpParameterError(`groups[${i}].units`, `must be an integer >= 0, got ${units}`);
    }
  });
  for (const { group, units } of groups) {
    const noisyUnits = BigInt(units) + discreteLaplace(threshold.scale, options);
    if (noisyUnits > threshold.tau) released.push({ group, noisyUnits });
    else suppressed++;
  }
  return { released, suppressed, threshold };
}
