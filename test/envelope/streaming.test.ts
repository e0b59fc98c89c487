/**
 * Region-boundary and memory behaviour of the streams, on small (protocol 2.1) regions: what is
 * emitted when, whatever the chunking.
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_NONCE_SCHEME,
  REGION_OVERHEAD,
  createDecryptStream,
  createEncryptStream,
  generateContentKey,
  nonceFor,
} from "../../enclave-app/src/envelope/index.ts";
import { chunked, collect, encryptBuffer, metadataFor } from "./support.ts";

const REGION = 32;
const FULL = REGION + REGION_OVERHEAD;

function write(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => stream.write(chunk, (error) => (error ? reject(error) : resolve())));
}

describe("decrypt stream release order", () => {
  it("releases a region only after its tag and the next region's tag verified; the last one only at the end", async () => {
    const cek = generateContentKey();
    const plaintext = randomBytes(3 * REGION);
    const ciphertext = await encryptBuffer(plaintext, { cek, regionSize: REGION });
    const transform = createDecryptStream({ cek, encryptionData: metadataFor(REGION) });
    let emitted = 0;
    transform.on("data", (chunk: Buffer) => (emitted += chunk.length));
    const emittedAfter: number[] = [];
    for (const byte of chunked(ciphertext, [1])) {
      await write(transform, byte);
      await new Promise(setImmediate);
      emittedAfter.push(emitted);
    }
    // Byte-by-byte: nothing until region 1 completes; then region 0; then region 1 once region 2 completes.
    expect(emittedAfter[2 * FULL - 2]).toBe(0);
    expect(emittedAfter[2 * FULL - 1]).toBe(REGION);
    expect(emittedAfter[3 * FULL - 2]).toBe(REGION);
    expect(emittedAfter[3 * FULL - 1]).toBe(2 * REGION);
    const done = new Promise((resolve) => transform.on("end", resolve));
    transform.end();
    await done;
    expect(emitted).toBe(3 * REGION);
  });

  it("applies backpressure: a stalled consumer stops the source after a few regions", async () => {
    const region = 4096;
    const cek = generateContentKey();
    const plaintext = randomBytes(200 * region);
    const ciphertext = await encryptBuffer(plaintext, { cek, regionSize: region });
    let pulled = 0;
    const source = Readable.from(
      (function* () {
        for (const chunk of chunked(ciphertext, [region + REGION_OVERHEAD])) {
          pulled += 1;
          yield chunk;
        }
      })(),
    );
    const transform = createDecryptStream({ cek, encryptionData: metadataFor(region) });
    source.pipe(transform);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Bounded by the buffers in between (16 objects in Readable.from, 16 KiB on each side of the
    // transform), not by the 200 regions the source holds.
    expect(pulled).toBeLessThan(40);
    expect((await collect(transform)).equals(plaintext)).toBe(true);
    expect(pulled).toBe(200);
  });
});

describe("encrypt stream", () => {
  it("writes no empty region when the input ends on a region boundary, and none for empty input", async () => {
    const cek = generateContentKey();
    expect(await encryptBuffer(randomBytes(2 * REGION), { cek, regionSize: REGION })).toHaveLength(2 * FULL);
    expect(await encryptBuffer(Buffer.alloc(0), { cek, regionSize: REGION })).toHaveLength(0);
  });

  it("produces the same bytes for any chunking of the input", async () => {
    const cek = generateContentKey();
    const plaintext = randomBytes(5 * REGION + 7);
    const whole = await encryptBuffer(plaintext, { cek, regionSize: REGION });
    expect(await encryptBuffer(plaintext, { cek, regionSize: REGION, chunkSizes: [1, 31, 33, 100] })).toEqual(whole);
  });

  it("writes the java nonce layout unless told otherwise, the one every SDK reader accepts", async () => {
    const cek = generateContentKey();
    const plaintext = randomBytes(3 * REGION);
    const ciphertext = await encryptBuffer(plaintext, { cek, regionSize: REGION });
    for (const region of [0, 1, 2]) {
      expect(ciphertext.subarray(region * FULL, region * FULL + 12)).toEqual(nonceFor("java", region));
    }
    expect(DEFAULT_NONCE_SCHEME).toBe("java");
    const unstarted = createEncryptStream({ cek });
    expect(unstarted.nonceScheme).toBe("java");
    unstarted.destroy();
    const python = await encryptBuffer(plaintext, { cek, regionSize: REGION, nonceScheme: "python" });
    expect(python.subarray(FULL, FULL + 12)).toEqual(nonceFor("python", 1));
  });

  it("refuses region sizes no protocol can describe", () => {
    const cek = generateContentKey();
    expect(() => createEncryptStream({ cek, regionSize: 15 })).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
    expect(() => createEncryptStream({ cek, regionSize: 1024 ** 3 + 1 })).toThrow(expect.objectContaining({ code: "OPTIONS_INVALID" }));
    expect(() => createEncryptStream({ cek: Buffer.alloc(31) })).toThrow(expect.objectContaining({ code: "KEY_INVALID" }));
  });
});
