// The decryptor's input is joined into pieces of at least 1 MiB: same bytes, same order, fewer chunks.
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Coalesce } from "../../enclave-app/src/envelope/coalesce.ts";

async function through(chunks: Buffer[], minBytes: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new Coalesce(minBytes), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return out;
}

describe("Coalesce", () => {
  it("passes the same bytes in the same order, in pieces of at least minBytes except the last", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), async (parts, min) => {
        const chunks = parts.map((p) => Buffer.from(p));
        const out = await through(chunks, min);
        expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks));
        for (const piece of out.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(min);
      }),
      { numRuns: 100 },
    );
  });

  it("turns 64 KiB socket chunks into 1 MiB pieces", async () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const out = await through(chunks, 1024 * 1024);
    expect(out.map((c) => c.length)).toEqual([1024 * 1024, 1024 * 1024, 8 * 64 * 1024]);
  });
});
