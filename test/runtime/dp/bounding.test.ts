// Contribution bounding keeps at most N rows (C groups) per unit, chosen by a keyed hash that the
// per-run secret fixes and nobody without it can predict.
import { describe, expect, it } from "vitest";
import { keepGroupsPerUnit, keepRowsPerUnit, newRunSecret } from "../../../enclave-app/src/runtime/privacy/dp/bounding.ts";

interface Row {
  unit: string;
  id: number;
  group: string;
}

// Unit u<i> has 20 * i rows (0 .. 180) spread over 9 groups.
const rows: Row[] = [];
for (let u = 0; u < 10; u++) for (let j = 0; j < 20 * u; j++) rows.push({ unit: `u${u}`, id: rows.length, group: `g${j % 9}` });

function perUnit(kept: readonly Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of kept) m.set(r.unit, [...(m.get(r.unit) ?? []), r]);
  return m;
}

describe("keepRowsPerUnit", () => {
  it("keeps exactly min(N, rows) rows of each unit, in input order", () => {
    const kept = keepRowsPerUnit(rows, { unitOf: (r) => r.unit, maxRowsPerUnit: 5, secret: newRunSecret() });
    const byUnit = perUnit(kept);
    for (let u = 1; u < 10; u++) expect(byUnit.get(`u${u}`)?.length).toBe(5);
    expect(byUnit.has("u0")).toBe(false);
    expect(kept.map((r) => r.id)).toEqual([...kept.map((r) => r.id)].sort((a, b) => a - b));
  });

  it("is fixed by the secret and changes with it, and is not the first N rows an adversary could place", () => {
    const options = { unitOf: (r: Row) => r.unit, maxRowsPerUnit: 5 };
    const secret = newRunSecret();
    const a = keepRowsPerUnit(rows, { ...options, secret }).map((r) => r.id);
    expect(keepRowsPerUnit(rows, { ...options, secret }).map((r) => r.id)).toEqual(a);
    // Two secrets choosing the same 5 of 180 rows of u9 has probability 1/C(180,5) ~ 1e-9.
    const u9 = (ids: number[]) => ids.filter((id) => rows[id]!.unit === "u9");
    expect(u9(keepRowsPerUnit(rows, { ...options, secret: newRunSecret() }).map((r) => r.id))).not.toEqual(u9(a));
    const firstOfU9 = rows.filter((r) => r.unit === "u9").slice(0, 5).map((r) => r.id);
    expect(u9(a)).not.toEqual(firstOfU9);
  });

  it("refuses a short secret and N < 1", () => {
    expect(() => keepRowsPerUnit(rows, { unitOf: (r) => r.unit, maxRowsPerUnit: 5, secret: new Uint8Array(16) })).toThrow(/secret must be at least 32 bytes/);
    expect(() => keepRowsPerUnit(rows, { unitOf: (r) => r.unit, maxRowsPerUnit: 0, secret: newRunSecret() })).toThrow(/maxRowsPerUnit must be an integer >= 1/);
  });
});

describe("keepGroupsPerUnit", () => {
  it("keeps each unit's rows in at most C groups, and all of its rows in those groups", () => {
    const kept = keepGroupsPerUnit(rows, { unitOf: (r) => r.unit, groupOf: (r) => r.group, maxGroupsPerUnit: 3, secret: newRunSecret() });
    for (const [unit, list] of perUnit(kept)) {
      const groups = new Set(list.map((r) => r.group));
      expect(groups.size).toBe(3);
      expect(list.length).toBe(rows.filter((r) => r.unit === unit && groups.has(r.group)).length);
    }
  });
});

describe("keepRowsPerUnit with repeated rows", () => {
  it("ranks copies of one row independently: 100 copies and 100 distinct rows, N = 10, keeps a mix", () => {
    const copies = Array.from({ length: 100 }, () => ({ unit: "u", v: "same" }));
    const distinct = Array.from({ length: 100 }, (_, i) => ({ unit: "u", v: `row-${i}` }));
    const kept = keepRowsPerUnit([...copies, ...distinct], { unitOf: (r) => r.unit, maxRowsPerUnit: 10, secret: newRunSecret() });
    expect(kept.length).toBe(10);
    // Ranked independently, the copies kept are hypergeometric (mean 5): all 10 or none has
    // probability 0.0016 per secret; with one shared rank it would be certain. Over 20 secrets,
    // fewer than 15 mixed outcomes has probability below 1e-12.
    let mixed = 0;
    for (let i = 0; i < 20; i++) {
      const k = keepRowsPerUnit([...copies, ...distinct], { unitOf: (r) => r.unit, maxRowsPerUnit: 10, secret: newRunSecret() }).filter((r) => r.v === "same").length;
      if (k > 0 && k < 10) mixed++;
    }
    expect(mixed).toBeGreaterThanOrEqual(15);
  });
});
