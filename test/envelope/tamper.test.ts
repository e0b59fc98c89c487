/**
 * The tamper matrix: every way a stored blob or its metadata can be altered maps to one specific
 * error code, with the region and offset where it was detected.
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EnvelopeError,
  REGION_OVERHEAD,
  ciphertextLength,
  createDecryptStream,
  generateContentKey,
  nonceFor,
  protocolPrefix,
  unwrapContentKey,
  wrapContentKey,
} from "../../enclave-app/src/envelope/index.ts";
import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto";
import { decryptBuffer, decryptError, encryptBuffer, metadataFor, rsaKeys } from "./support.ts";

const REGION = 64;
const FULL = REGION + REGION_OVERHEAD; // 92 bytes on the wire per full region
const plaintext = randomBytes(3 * REGION + 10); // 3 full regions + a 10-byte last region
const cek = generateContentKey();
const encryptionData = metadataFor(REGION);
let ciphertext: Buffer;

function regionAt(blob: Buffer, index: number): Buffer {
  return blob.subarray(index * FULL, Math.min(blob.length, (index + 1) * FULL));
}

function flip(blob: Buffer, offset: number, mask = 0x01): Buffer {
  const copy = Buffer.from(blob);
  copy[offset] = (copy[offset] ?? 0) ^ mask;
  return copy;
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

beforeAll(async () => {
  ciphertext = await encryptBuffer(plaintext, { cek, regionSize: REGION });
  expect(ciphertext.length).toBe(ciphertextLength(plaintext.length, REGION));
});

describe("untampered", () => {
  it("decrypts with all expectations set", async () => {
    const { plaintext: out, transform } = await decryptBuffer(ciphertext, {
      cek,
      encryptionData,
      expectedLength: plaintext.length,
      expectedSha256: sha256(ciphertext),
    });
    expect(out.equals(plaintext)).toBe(true);
    expect(transform.ciphertextSha256).toBe(sha256(ciphertext));
    expect(transform.plaintextLength).toBe(plaintext.length);
  });
});

describe("nonces and region order", () => {
  it("rejects a nonce that is no counter nonce (high byte flipped) as NONCE_INVALID", async () => {
    const error = await decryptError(flip(ciphertext, FULL + 0, 0x80), { cek, encryptionData });
    expect(error).toBeInstanceOf(EnvelopeError);
    expect(error.code).toBe("NONCE_INVALID");
    expect(error.region).toBe(1);
    expect(error.offset).toBe(FULL);
    expect(error.message).toContain("region 1 at byte 92");
  });

  it("reports a nonce naming another region as REGION_OUT_OF_ORDER", async () => {
    // The default (java) layout keeps the index's low byte at offset 7 of the nonce.
    const error = await decryptError(flip(ciphertext, FULL + 7, 0x02), { cek, encryptionData }); // nonce 1 -> 3
    expect(error.code).toBe("REGION_OUT_OF_ORDER");
    expect(error.message).toContain("nonce of region 3");
  });

  it("detects a dropped region", async () => {
    const dropped = Buffer.concat([regionAt(ciphertext, 0), regionAt(ciphertext, 2), regionAt(ciphertext, 3)]);
    const error = await decryptError(dropped, { cek, encryptionData });
    expect(error.code).toBe("REGION_OUT_OF_ORDER");
    expect(error.region).toBe(1);
    expect(error.message).toContain("nonce of region 2");
  });

  it.each(["python", "java", "dotnet"] as const)("names the %s layout and the region whose nonce a dropped region left behind", async (scheme) => {
    const blob = await encryptBuffer(plaintext, { cek, regionSize: REGION, nonceScheme: scheme });
    const dropped = Buffer.concat([regionAt(blob, 0), regionAt(blob, 2), regionAt(blob, 3)]);
    const error = await decryptError(dropped, { cek, encryptionData });
    expect(error.code).toBe("REGION_OUT_OF_ORDER");
    expect(error.region).toBe(1);
    expect(error.message).toContain(`carries the ${scheme} nonce of region 2:`);
  });

  it("detects a duplicated region", async () => {
    const duplicated = Buffer.concat([regionAt(ciphertext, 0), regionAt(ciphertext, 0), regionAt(ciphertext, 1), regionAt(ciphertext, 2), regionAt(ciphertext, 3)]);
    const error = await decryptError(duplicated, { cek, encryptionData });
    expect(error.code).toBe("REGION_OUT_OF_ORDER");
    expect(error.region).toBe(1);
  });

  it("detects two swapped regions", async () => {
    const swapped = Buffer.concat([regionAt(ciphertext, 0), regionAt(ciphertext, 2), regionAt(ciphertext, 1), regionAt(ciphertext, 3)]);
    const error = await decryptError(swapped, { cek, encryptionData });
    expect(error.code).toBe("REGION_OUT_OF_ORDER");
    expect(error.region).toBe(1);
  });

  it("rejects a blob that switches nonce scheme after locking (python/java ambiguity at region 0)", async () => {
    // Region 0 (twelve zero bytes) fits python and java; region 1 locks java; region 2 is python.
    const parts = [0, 1, 2].map((index) => {
      const nonce = nonceFor(index === 1 ? "java" : "python", index);
      const cipher = createCipheriv("aes-256-gcm", cek, nonce);
      const body = cipher.update(plaintext.subarray(index * REGION, (index + 1) * REGION));
      cipher.final();
      return Buffer.concat([nonce, body, cipher.getAuthTag()]);
    });
    const error = await decryptError(Buffer.concat(parts), { cek, encryptionData });
    expect(error.code).toBe("NONCE_INVALID");
    expect(error.region).toBe(2);
    expect(error.message).toContain("java");
  });
});

describe("authentication", () => {
  it("rejects modified ciphertext with AUTH_TAG_MISMATCH naming the region", async () => {
    const error = await decryptError(flip(ciphertext, 2 * FULL + 12 + 30), { cek, encryptionData });
    expect(error.code).toBe("AUTH_TAG_MISMATCH");
    expect(error.region).toBe(2);
    expect(error.offset).toBe(2 * FULL);
  });

  it("rejects a modified tag", async () => {
    const error = await decryptError(flip(ciphertext, FULL - 1), { cek, encryptionData });
    expect(error.code).toBe("AUTH_TAG_MISMATCH");
    expect(error.region).toBe(0);
  });

  it("rejects the wrong content key in region 0", async () => {
    const error = await decryptError(ciphertext, { cek: generateContentKey(), encryptionData });
    expect(error.code).toBe("AUTH_TAG_MISMATCH");
    expect(error.region).toBe(0);
  });

  it("emits nothing when the first region fails", async () => {
    const received: Buffer[] = [];
    const sink = new Writable({ write(chunk, _encoding, callback) { received.push(chunk); callback(); } });
    const run = pipeline(Readable.from([flip(ciphertext, 20)]), createDecryptStream({ cek, encryptionData }), sink);
    await expect(run).rejects.toMatchObject({ code: "AUTH_TAG_MISMATCH" });
    expect(received).toHaveLength(0);
  });
});

describe("truncation, extension and substitution", () => {
  const lastStart = 3 * FULL;

  it("a fragment too short to be a region is TRUNCATED even without expectations", async () => {
    const error = await decryptError(ciphertext.subarray(0, lastStart + 20), { cek, encryptionData });
    expect(error.code).toBe("TRUNCATED");
    expect(error.region).toBe(3);
    expect(error.offset).toBe(lastStart);
  });

  it("a region cut mid-way fails its tag without expectations and is TRUNCATED with an expected length", async () => {
    const cut = ciphertext.subarray(0, lastStart + 30);
    expect((await decryptError(cut, { cek, encryptionData })).code).toBe("AUTH_TAG_MISMATCH");
    const error = await decryptError(cut, { cek, encryptionData, expectedLength: plaintext.length });
    expect(error.code).toBe("TRUNCATED");
    expect(error.message).toContain("ends inside region 3");
  });

  it("a cut at a region boundary goes unnoticed by the format alone (the gap the contract closes)", async () => {
    const { plaintext: out } = await decryptBuffer(ciphertext.subarray(0, lastStart), { cek, encryptionData });
    expect(out.equals(plaintext.subarray(0, 3 * REGION))).toBe(true);
  });

  it("a cut at a region boundary is TRUNCATED with an expected length", async () => {
    const error = await decryptError(ciphertext.subarray(0, lastStart), { cek, encryptionData, expectedLength: plaintext.length });
    expect(error.code).toBe("TRUNCATED");
    expect(error.message).toContain("after 3 complete region(s)");
  });

  it("a cut at a region boundary is DIGEST_MISMATCH with only an expected sha256", async () => {
    const error = await decryptError(ciphertext.subarray(0, lastStart), { cek, encryptionData, expectedSha256: sha256(ciphertext) });
    expect(error.code).toBe("DIGEST_MISMATCH");
  });

  it("an empty blob is TRUNCATED when plaintext was expected", async () => {
    const error = await decryptError(Buffer.alloc(0), { cek, encryptionData, expectedLength: plaintext.length });
    expect(error.code).toBe("TRUNCATED");
  });

  it("trailing bytes are TRAILING_DATA with an expected length, before they are processed", async () => {
    const extended = Buffer.concat([ciphertext, Buffer.from("garbage")]);
    const error = await decryptError(extended, { cek, encryptionData, expectedLength: plaintext.length });
    expect(error.code).toBe("TRAILING_DATA");
    expect(error.offset).toBe(ciphertext.length);
  });

  it("trailing bytes without expectations break the last region or form a fragment", async () => {
    const extended = Buffer.concat([ciphertext, Buffer.from("garbage")]);
    expect((await decryptError(extended, { cek, encryptionData })).code).toBe("AUTH_TAG_MISMATCH");
    const aligned = await encryptBuffer(plaintext.subarray(0, 2 * REGION), { cek, regionSize: REGION });
    const error = await decryptError(Buffer.concat([aligned, Buffer.from("garbage")]), { cek, encryptionData });
    expect(error.code).toBe("TRUNCATED");
    expect(error.message).toContain("trailing data");
  });

  it("a complete blob of another length is LENGTH_MISMATCH", async () => {
    const error = await decryptError(ciphertext, { cek, encryptionData, expectedLength: plaintext.length + 40 });
    expect(error.code).toBe("LENGTH_MISMATCH");
    expect(error.message).toContain(`carries ${plaintext.length} bytes`);
  });

  it("a swapped blob of the same length is DIGEST_MISMATCH and its last region never reaches the consumer", async () => {
    const other = randomBytes(plaintext.length);
    const swapped = await encryptBuffer(other, { cek, regionSize: REGION });
    const received: Buffer[] = [];
    const sink = new Writable({ write(chunk, _encoding, callback) { received.push(chunk); callback(); } });
    const run = pipeline(
      Readable.from([swapped]),
      createDecryptStream({ cek, encryptionData, expectedSha256: sha256(ciphertext), expectedLength: plaintext.length }),
      sink,
    );
    await expect(run).rejects.toMatchObject({ code: "DIGEST_MISMATCH" });
    expect(Buffer.concat(received).length).toBeLessThan(other.length);
    expect(Buffer.concat(received).equals(other.subarray(0, Buffer.concat(received).length))).toBe(true);
  });
});

describe("content key unwrap", () => {
  it("wrong key-encryption key is KEY_UNWRAP_FAILED", () => {
    const wrapped = wrapContentKey(cek, { kek: rsaKeys().publicKey, algorithm: "RSA-OAEP-256", protocol: "2.0" });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect(() => unwrapContentKey(wrapped, { kek: other, algorithm: "RSA-OAEP-256", protocol: "2.0" })).toThrow(
      expect.objectContaining({ code: "KEY_UNWRAP_FAILED" }),
    );
  });

  it("metadata downgraded from 2.1 to 2.0 is KEY_PREFIX_MISMATCH", () => {
    const wrapped = wrapContentKey(cek, { kek: rsaKeys().publicKey, algorithm: "RSA-OAEP", protocol: "2.1" });
    expect(() => unwrapContentKey(wrapped, { kek: rsaKeys().privateKey, algorithm: "RSA-OAEP", protocol: "2.0" })).toThrow(
      expect.objectContaining({ code: "KEY_PREFIX_MISMATCH" }),
    );
  });

  it("a v1-style wrap of the bare key under v2 metadata is KEY_PREFIX_MISMATCH", () => {
    const bare = publicEncrypt({ key: rsaKeys().publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, cek);
    expect(() => unwrapContentKey(bare, { kek: rsaKeys().privateKey, algorithm: "RSA-OAEP", protocol: "2.0" })).toThrow(
      expect.objectContaining({ code: "KEY_PREFIX_MISMATCH" }),
    );
  });

  it("the prefix is the protocol string NUL-padded to 8 bytes", () => {
    expect(protocolPrefix("2.0").toString("hex")).toBe("322e300000000000");
    expect(protocolPrefix("2.1").toString("hex")).toBe("322e310000000000");
  });
});
