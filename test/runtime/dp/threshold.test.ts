// tau-thresholding: tau follows the documented formula tau = ceil((C/epsilon) ln(C/delta)), a group
// of one unit is suppressed with overwhelming probability, the release rate matches theory, and
// large groups are released.
import { describe, expect, it } from "vitest";
import { DpParameterError } from "../../../enclave-app/src/runtime/privacy/dp/errors.ts";
import { releaseThreshold, selectGroups } from "../../../enclave-app/src/runtime/privacy/dp/threshold.ts";
import { frequencyTolerance } from "./stats.ts";

describe("releaseThreshold", () => {
  it("is ceil((C/epsilon) ln(C/delta)): 14 at epsilon 1, delta 1e-6, C 1; 45 at C 3; 6 at epsilon 0.5, delta 0.05", () => {
    expect(releaseThreshold({ epsilon: 1, delta: 1e-6, maxGroupsPerUnit: 1 }).tau).toBe(14n);
    expect(releaseThreshold({ epsilon: 1, delta: 1e-6, maxGroupsPerUnit: 3 }).tau).toBe(45n);
    expect(releaseThreshold({ epsilon: 0.5, delta: 0.05, maxGroupsPerUnit: 1 }).tau).toBe(6n);
  });

  it("keeps a one-unit group's release probability below delta/C", () => {
    for (const [epsilon, delta, c] of [[1, 1e-6, 1], [0.3, 1e-9, 4], [2, 0.01, 10]] as const) {
      const t = releaseThreshold({ epsilon, delta, maxGroupsPerUnit: c });
      expect(t.singleUnitReleaseProbability).toBeLessThan(delta / c);
    }
  });

  it("refuses delta outside (0, 1) and C < 1", () => {
    for (const delta of [0, 1, 1.5]) {
      expect(() => releaseThreshold({ epsilon: 1, delta, maxGroupsPerUnit: 1 })).toThrow(DpParameterError);
    }
    expect(() => releaseThreshold({ epsilon: 1, delta: 0, maxGroupsPerUnit: 1 })).toThrow(/delta must be in \(0, 1\)/);
    expect(() => releaseThreshold({ epsilon: 1, delta: 0.1, maxGroupsPerUnit: 0 })).toThrow(/maxGroupsPerUnit must be an integer >= 1/);
  });
});

describe("selectGroups", () => {
  it("suppresses a group of one unit at epsilon 1, delta 1e-6 in (practically) every one of 100,000 trials", () => {
    const params = { epsilon: 1, delta: 1e-6, maxGroupsPerUnit: 1 };
    const trials = 100_000;
    const groups = Array.from({ length: trials }, (_, i) => ({ group: i, units: 1 }));
    const out = selectGroups(groups, params);
    // Expected releases 100,000 * 6.1e-7 = 0.06; more than 4 has probability below 1e-8.
    expect(out.released.length).toBeLessThanOrEqual(4);
    expect(out.suppressed).toBe(trials - out.released.length);
  });

  it("releases one-unit groups at the theoretical rate q^tau/(1+q) (epsilon 0.5, delta 0.05: 0.031 <= delta)", () => {
    const params = { epsilon: 0.5, delta: 0.05, maxGroupsPerUnit: 1 };
    const p = releaseThreshold(params).singleUnitReleaseProbability;
    expect(p).toBeCloseTo(Math.exp(-3) / (1 + Math.exp(-0.5)), 12);
    const trials = 50_000;
    const out = selectGroups(Array.from({ length: trials }, (_, i) => ({ group: i, units: 1 })), params);
    expect(Math.abs(out.released.length / trials - p)).toBeLessThan(frequencyTolerance(p, trials));
  });

  it("releases groups far above tau, with their noisy counts", () => {
    const out = selectGroups(Array.from({ length: 200 }, (_, i) => ({ group: `g${i}`, units: 100n })), { epsilon: 1, delta: 1e-6, maxGroupsPerUnit: 1 });
    expect(out.released.length).toBe(200);
    expect(out.released.every((r) => r.noisyUnits > 14n)).toBe(true);
  });

  it("refuses a unit count that is not a non-negative integer", () => {
    expect(() => selectGroups([{ group: "a", units: 2.5 }], { epsilon: 1, delta: 0.1, maxGroupsPerUnit: 1 })).toThrow(/groups\[0\]\.units must be an integer >= 0/);
  });
});
