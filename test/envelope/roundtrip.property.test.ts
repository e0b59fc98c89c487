/**
 * Property: for any plaintext size (0 .. a few regions), region size, input chunking, nonce scheme,
 * key wrap algorithm and protocol, encrypt -> unwrap -> decrypt is the identity, the figures the
 * contract pins are right, and the reader enforces them.
 */
import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ciphertextLength,
  decryptStream,
  encryptStream,
  parseEncryptionData,
  plaintextLengthOf,
  serializeEncryptionData,
  unwrapContentKey,
  type KeyWrapAlgorithm,
  type NonceScheme,
} from "../../enclave-app/src/envelope/index.ts";
import { KEY_ID, chunked, rsaKeys } from "./support.ts";

function sink(): { stream: Writable; data: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    stream: new Writable({ write(chunk, _encoding, callback) { parts.push(chunk); callback(); } }),
    data: () => Buffer.concat(parts),
  };
}

const REGION_SIZES = [16, 17, 31, 64, 100, 255, 4096];

const caseArbitrary = fc
  .record({
    regionSize: fc.constantFrom(...REGION_SIZES),
    regions: fc.double({ min: 0, max: 4.5, noNaN: true }),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
    decryptChunkSizes: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
    nonceScheme: fc.constantFrom<NonceScheme>("python", "java", "dotnet"),
    algorithm: fc.constantFrom<KeyWrapAlgorithm>("RSA-OAEP", "RSA-OAEP-256"),
    seed: fc.integer(),
  })
  .map((c) => {
    const length = Math.floor(c.regions * c.regionSize);
    const plaintext = Buffer.alloc(length);
    let x = c.seed >>> 0;
    for (let i = 0; i < length; i += 1) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      plaintext[i] = x >>> 24;
    }
    return { ...c, plaintext };
  });

describe("envelope round trip (property)", () => {
  it("decrypts what it encrypted, for every size, chunking, nonce scheme and algorithm", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (c) => {
        const { publicKey, privateKey } = rsaKeys();
        const encrypted = sink();
        const result = await encryptStream(Readable.from(chunked(c.plaintext, c.chunkSizes)), encrypted.stream, {
          kek: publicKey,
          keyId: KEY_ID,
          algorithm: c.algorithm,
          regionSize: c.regionSize,
          nonceScheme: c.nonceScheme,
        });
        const ciphertext = encrypted.data();
        expect(result.plaintextLength).toBe(c.plaintext.length);
        expect(result.ciphertextLength).toBe(ciphertext.length);
        expect(ciphertext.length).toBe(ciphertextLength(c.plaintext.length, c.regionSize));
        expect(plaintextLengthOf(ciphertext.length, c.regionSize)).toBe(c.plaintext.length);
        expect(result.ciphertextSha256).toBe(createHash("sha256").update(ciphertext).digest("hex"));
        expect(result.encryptionData.EncryptionAgent.Protocol).toBe(c.regionSize === 4 * 1024 * 1024 ? "2.0" : "2.1");

        // The metadata travels as a string (blob metadata) and is parsed back on the reader's side.
        const metadata = parseEncryptionData(serializeEncryptionData(result.encryptionData));
        const cek = unwrapContentKey(Buffer.from(metadata.WrappedContentKey.EncryptedKey, "base64"), {
          kek: privateKey,
          algorithm: metadata.WrappedContentKey.Algorithm,
          protocol: metadata.EncryptionAgent.Protocol,
        });
        const decrypted = sink();
        const decryptResult = await decryptStream(Readable.from(chunked(ciphertext, c.decryptChunkSizes)), decrypted.stream, {
          cek,
          encryptionData: metadata,
          expectedSha256: result.ciphertextSha256,
          expectedLength: result.plaintextLength,
        });
        expect(decrypted.data().equals(c.plaintext)).toBe(true);
        expect(decryptResult).toEqual({ plaintextLength: c.plaintext.length, ciphertextSha256: result.ciphertextSha256 });
      }),
      { numRuns: 150 },
    );
  });

  it("rejects any single flipped bit anywhere in a non-empty blob", async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary.filter((c) => c.plaintext.length > 0), fc.nat(), fc.integer({ min: 0, max: 7 }), async (c, position, bit) => {
        const { publicKey, privateKey } = rsaKeys();
        const encrypted = sink();
        const result = await encryptStream(Readable.from([c.plaintext]), encrypted.stream, {
          kek: publicKey,
          keyId: KEY_ID,
          algorithm: c.algorithm,
          regionSize: c.regionSize,
          nonceScheme: c.nonceScheme,
        });
        const ciphertext = encrypted.data();
        const offset = position % ciphertext.length;
        ciphertext[offset] = (ciphertext[offset] ?? 0) ^ (1 << bit);
        const cek = unwrapContentKey(Buffer.from(result.encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
          kek: privateKey,
          algorithm: c.algorithm,
          protocol: result.encryptionData.EncryptionAgent.Protocol,
        });
        const run = decryptStream(Readable.from(chunked(ciphertext, c.decryptChunkSizes)), sink().stream, { cek, encryptionData: result.encryptionData });
        await expect(run).rejects.toMatchObject({ code: expect.stringMatching(/^(AUTH_TAG_MISMATCH|NONCE_INVALID|REGION_OUT_OF_ORDER)$/) });
      }),
      { numRuns: 100 },
    );
  });
});
