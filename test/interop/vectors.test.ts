/**
 * Java and .NET SDK layouts, built by hand in this file with node:crypto only (no envelope code),
 * following EncryptorV2.java (8-byte big-endian index, 4 zero bytes) and
 * GcmAuthenticatedCryptographicTransform.cs (4 zero bytes, 8-byte little-endian counter from 1),
 * so the reader is checked against an independent writer and our writer against the same bytes.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  createDecryptStream,
  parseEncryptionData,
  unwrapContentKey,
  type NonceScheme,
} from "../../enclave-app/src/envelope/index.ts";
import { KEY_ID, collect, encryptBuffer, rsaKeys } from "../envelope/support.ts";

/** Nonce bytes written out byte by byte, as each SDK's source does it. */
function handNonce(scheme: NonceScheme, region: number): Buffer {
  const nonce = Buffer.alloc(12);
  if (scheme === "java") {
    // ByteBuffer.allocate(12).putLong(index): big-endian long in bytes 0..7.
    for (let b = 0; b < 8; b += 1) nonce[7 - b] = Math.floor(region / 2 ** (8 * b)) % 256;
  } else if (scheme === "dotnet") {
    // 4 zero bytes, then BitConverter.GetBytes(counter) (little-endian), counter starting at 1.
    const counter = region + 1;
    for (let b = 0; b < 8; b += 1) nonce[4 + b] = Math.floor(counter / 2 ** (8 * b)) % 256;
  } else {
    // counter.to_bytes(12, 'big')
    for (let b = 0; b < 12; b += 1) nonce[11 - b] = Math.floor(region / 2 ** (8 * b)) % 256;
  }
  return nonce;
}

function handEncrypt(scheme: NonceScheme, cek: Buffer, plaintext: Buffer, regionSize: number): Buffer {
  const regions: Buffer[] = [];
  for (let i = 0; i * regionSize < plaintext.length; i += 1) {
    const nonce = handNonce(scheme, i);
    const cipher = createCipheriv("aes-256-gcm", cek, nonce);
    const body = Buffer.concat([cipher.update(plaintext.subarray(i * regionSize, (i + 1) * regionSize)), cipher.final()]);
    regions.push(nonce, body, cipher.getAuthTag());
  }
  return Buffer.concat(regions);
}

function handMetadata(scheme: NonceScheme, protocol: "2.0" | "2.1", regionSize: number, cek: Buffer): string {
  const hash = scheme === "dotnet" ? "sha1" : "sha256";
  const wrapped = publicEncrypt(
    { key: rsaKeys().publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
    Buffer.concat([Buffer.from(`${protocol}\0\0\0\0\0`, "latin1"), cek]),
  ).toString("base64");
  const algorithm = hash === "sha1" ? "RSA-OAEP" : "RSA-OAEP-256";
  // .NET's serializer writes EncryptionMode first; Java writes WrappedContentKey first.
  return scheme === "dotnet"
    ? `{"EncryptionMode":"FullBlob","WrappedContentKey":{"KeyId":"${KEY_ID}","EncryptedKey":"${wrapped}","Algorithm":"${algorithm}"},` +
        `"EncryptionAgent":{"Protocol":"${protocol}","EncryptionAlgorithm":"AES_GCM_256"},"KeyWrappingMetadata":{"EncryptionLibrary":".NET 12.22.0"},` +
        `"EncryptedRegionInfo":{"DataLength":${regionSize},"NonceLength":12}}`
    : `{"WrappedContentKey":{"KeyId":"${KEY_ID}","EncryptedKey":"${wrapped}","Algorithm":"${algorithm}"},` +
        `"EncryptionAgent":{"Protocol":"${protocol}","EncryptionAlgorithm":"AES_GCM_256"},` +
        `"EncryptedRegionInfo":{"DataLength":${regionSize},"NonceLength":12},"KeyWrappingMetadata":{"EncryptionLibrary":"JavaTrack212.26.0"},"EncryptionMode":"FullBlob"}`;
}

const MiB = 1024 * 1024;
const vectors: { scheme: NonceScheme; protocol: "2.0" | "2.1"; regionSize: number; size: number }[] = [
  { scheme: "java", protocol: "2.0", regionSize: 4 * MiB, size: 2 * 4 * MiB + 100 },
  { scheme: "dotnet", protocol: "2.0", regionSize: 4 * MiB, size: 2 * 4 * MiB + 100 },
  { scheme: "java", protocol: "2.1", regionSize: 16, size: 16 * 300 + 5 },
  { scheme: "dotnet", protocol: "2.1", regionSize: 1000, size: 1000 * 7 },
  { scheme: "python", protocol: "2.1", regionSize: 64 * 1024, size: 64 * 1024 * 3 + 1 },
];

describe.each(vectors)("hand-built $scheme vector, protocol $protocol, $regionSize-byte regions", ({ scheme, protocol, regionSize, size }) => {
  const cek = randomBytes(32);
  const plaintext = randomBytes(size);
  const ciphertext = handEncrypt(scheme, cek, plaintext, regionSize);

  it("is read by the envelope reader, which locks onto its nonce scheme", async () => {
    const encryptionData = parseEncryptionData(handMetadata(scheme, protocol, regionSize, cek));
    const unwrapped = unwrapContentKey(Buffer.from(encryptionData.WrappedContentKey.EncryptedKey, "base64"), {
      kek: rsaKeys().privateKey,
      algorithm: encryptionData.WrappedContentKey.Algorithm,
      protocol: encryptionData.EncryptionAgent.Protocol,
    });
    expect(unwrapped.equals(cek)).toBe(true);
    const decryptor = createDecryptStream({ cek: unwrapped, encryptionData, expectedLength: size });
    const out = await collect(Readable.from([ciphertext]).pipe(decryptor));
    expect(out.equals(plaintext)).toBe(true);
    expect(decryptor.nonceScheme).toBe(scheme);
  });

  it("is reproduced byte for byte by the envelope writer with the same content key", async () => {
    const written = await encryptBuffer(plaintext, { cek, regionSize, nonceScheme: scheme });
    expect(written.length).toBe(ciphertext.length);
    expect(written.equals(ciphertext)).toBe(true);
  });
});
