// The synthetic data the demo encrypts: reproducible from the seed (the end-to-end checks depend
// on it), shaped exactly as the contract's schema declares, and pseudonymous across parties.
import { describe, expect, it } from "vitest";
import { SCENARIOS, type Scenario } from "../../enclave-app/src/demo/scenarios/index.ts";
import { parseCsv } from "../../enclave-app/src/demo/csv.ts";
import { createPrng } from "../../enclave-app/src/demo/prng.ts";

const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");

describe.each(Object.values(SCENARIOS) as Scenario[])("scenario $id", (scenario) => {
  const data = scenario.generate({ rows: 1_500, seed: 3 });

  it("regenerates byte-identical data for the same seed and different data for another seed", () => {
    const again = scenario.generate({ rows: 1_500, seed: 3 });
    const other = scenario.generate({ rows: 1_500, seed: 4 });
    for (const [i, d] of data.entries()) {
      expect(text(again[i]!.chunks)).toBe(text(d.chunks));
      expect(text(other[i]!.chunks)).not.toBe(text(d.chunks));
    }
  });

  it("writes one CSV per contract dataset whose header and values match the declared schema", () => {
    expect(data.map((d) => d.dataset)).toEqual(scenario.datasets.map((d) => d.name));
    for (const [i, dataset] of scenario.datasets.entries()) {
      const generated = data[i]!;
      const csv = parseCsv(text(generated.chunks));
      expect(csv.header).toEqual(dataset.schema.map((c) => c.name));
      expect(csv.rows).toHaveLength(1_500);
      expect(generated.rows).toBe(1_500);
      expect(generated.bytes).toBe(Buffer.concat(generated.chunks).length);
      const patterns: Record<string, RegExp> = {
        BIGINT: /^\d+$/,
        VARCHAR: /^[^,"\n]+$/,
        DATE: /^2025-\d\d-\d\d$/,
        BOOLEAN: /^(true|false)$/,
        "DECIMAL(12,2)": /^\d{1,10}\.\d\d$/,
      };
      for (const row of csv.rows.slice(0, 200)) {
        dataset.schema.forEach((column, c) => expect(row[c], `${dataset.name}.${column.name}`).toMatch(patterns[column.type]!));
      }
    }
  });

  it("uses 16-hex-digit pseudonyms shared across parties, never raw person numbers", () => {
    const pidSets = data.map((d) => {
      const csv = parseCsv(text(d.chunks));
      const col = csv.header.findIndex((h) => h.endsWith("_pid"));
      return new Set(csv.rows.map((r) => r[col]!));
    });
    for (const pids of pidSets) for (const pid of pids) expect(pid).toMatch(/^[0-9a-f]{16}$/);
    // The join (fraud) and the deduplication (rare disease) need people present at several parties.
    const [first, ...others] = pidSets;
    const shared = [...first!].filter((pid) => others.some((s) => s.has(pid)));
    expect(shared.length).toBeGreaterThan(0);
  });
});

describe("prng", () => {
  it("is deterministic per (seed, stream) and roughly uniform", () => {
    const a = createPrng(42, "x");
    const b = createPrng(42, "x");
    const c = createPrng(42, "y");
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(Array.from({ length: 10_000 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});
