import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalJsonError, canonicalJson, contractHash, parseContract, sha256Hex } from "../../enclave-app/src/protocol/index.ts";
import { rawFraudContract } from "./fixtures.ts";

/** Rebuilds every object with its keys in a random order (arrays keep their order: it is content). */
function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rnd)]));
}

describe("canonicalJson (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], "\u20ac": 1, "\r": 2 })).toBe('{"\\r":2,"a":[true,null,"x"],"b":1,"€":1}');
  });

  it("formats numbers as ECMAScript does (RFC 8785 section 3.2.2.3)", () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1, 100, 1.5e300])).toBe("[1e+21,1e-7,0,0.1,100,1.5e+300]");
  });

  it("refuses values without a JSON form with a typed error", () => {
    expect(() => canonicalJson(undefined)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/canonical/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(CanonicalJsonError);
  });
});

describe("sha256Hex", () => {
  it("hashes strings as UTF-8 and bytes as given", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("é")).toBe(createHash("sha256").update(Buffer.from([0xc3, 0xa9])).digest("hex"));
    expect(sha256Hex(new Uint8Array([1, 2, 3]))).toBe(createHash("sha256").update(Buffer.from([1, 2, 3])).digest("hex"));
  });
});

describe("contractHash", () => {
  const original = parseContract(rawFraudContract());
  const hash = contractHash(original);

  it("is lowercase hex sha256 of the canonical JSON", () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(sha256Hex(canonicalJson(original)));
  });

  it("does not change when keys are reordered or the JSON is reformatted", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        let state = seed >>> 0 || 1;
        const rnd = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
        const reformatted = JSON.parse(JSON.stringify(shuffleKeys(rawFraudContract(), rnd), null, (seed & 7) + 1));
        return contractHash(parseContract(reformatted)) === hash;
      }),
      { numRuns: 25 },
    );
  });

  it("changes when any content changes, even whitespace inside the SQL", () => {
    const variants: ((c: Record<string, any>) => void)[] = [
      (c) => (c.sql = `${c.sql} `),
      (c) => (c.datasets[0].plaintextLength += 1),
      (c) => (c.datasets[0].ciphertextSha256 = "0".repeat(64)),
      (c) => (c.privacy.minGroupSize = 11),
      (c) => c.recipients.reverse(),
      (c) => (c.parties[0].signingKey.kid = "rotated"),
    ];
    const seen = new Set([hash]);
    for (const change of variants) {
      const c = rawFraudContract();
      change(c);
      const h = contractHash(parseContract(c));
      expect(seen.has(h)).toBe(false);
      seen.add(h);
    }
  });
});
