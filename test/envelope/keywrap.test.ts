import { constants, generateKeyPairSync, privateDecrypt } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeUnwrappedContentKey,
  generateContentKey,
  unwrapContentKey,
  wrapContentKey,
  type CseProtocol,
  type KeyWrapAlgorithm,
} from "../../enclave-app/src/envelope/index.ts";
import { rsaKeys } from "./support.ts";

const combos: [KeyWrapAlgorithm, "sha1" | "sha256", CseProtocol][] = [
  ["RSA-OAEP", "sha1", "2.0"],
  ["RSA-OAEP", "sha1", "2.1"],
  ["RSA-OAEP-256", "sha256", "2.0"],
  ["RSA-OAEP-256", "sha256", "2.1"],
];

describe("wrapContentKey / unwrapContentKey", () => {
  it.each(combos)("%s wraps prefix || CEK with OAEP-%s for protocol %s", (algorithm, hash, protocol) => {
    const cek = generateContentKey();
    const wrapped = wrapContentKey(cek, { kek: rsaKeys().publicKey, algorithm, protocol });
    expect(wrapped).toHaveLength(256);
    // Independent of our unwrap: plain OAEP decryption shows the exact wrapped bytes.
    const raw = privateDecrypt({ key: rsaKeys().privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, wrapped);
    expect(raw.subarray(0, 8)).toEqual(Buffer.from(`${protocol}\0\0\0\0\0`, "latin1"));
    expect(raw.subarray(8)).toEqual(cek);
    expect(unwrapContentKey(wrapped, { kek: rsaKeys().privateKey, algorithm, protocol })).toEqual(cek);
  });

  it("unwrapping with the other OAEP hash fails as KEY_UNWRAP_FAILED", () => {
    const wrapped = wrapContentKey(generateContentKey(), { kek: rsaKeys().publicKey, algorithm: "RSA-OAEP", protocol: "2.0" });
    expect(() => unwrapContentKey(wrapped, { kek: rsaKeys().privateKey, algorithm: "RSA-OAEP-256", protocol: "2.0" })).toThrow(
      expect.objectContaining({ code: "KEY_UNWRAP_FAILED" }),
    );
  });

  it("accepts JWKs, including Key Vault's RSA-HSM kty", () => {
    const cek = generateContentKey();
    const publicJwk = { ...rsaKeys().publicKey.export({ format: "jwk" }), kty: "RSA-HSM" };
    const privateJwk = rsaKeys().privateKey.export({ format: "jwk" });
    const wrapped = wrapContentKey(cek, { kek: publicJwk, algorithm: "RSA-OAEP-256", protocol: "2.0" });
    expect(unwrapContentKey(wrapped, { kek: privateJwk, algorithm: "RSA-OAEP-256", protocol: "2.0" })).toEqual(cek);
  });

  it("rejects keys that are not RSA >= 2048 bits, and public keys for unwrapping, as KEY_INVALID", () => {
    const cek = generateContentKey();
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
    expect(() => wrapContentKey(cek, { kek: small, algorithm: "RSA-OAEP", protocol: "2.0" })).toThrow(expect.objectContaining({ code: "KEY_INVALID" }));
    expect(() => wrapContentKey(cek, { kek: ec, algorithm: "RSA-OAEP", protocol: "2.0" })).toThrow(expect.objectContaining({ code: "KEY_INVALID" }));
    const wrapped = wrapContentKey(cek, { kek: rsaKeys().publicKey, algorithm: "RSA-OAEP", protocol: "2.0" });
    expect(() => unwrapContentKey(wrapped, { kek: rsaKeys().publicKey, algorithm: "RSA-OAEP", protocol: "2.0" })).toThrow(
      expect.objectContaining({ code: "KEY_INVALID" }),
    );
    expect(() => wrapContentKey(Buffer.alloc(16), { kek: rsaKeys().publicKey, algorithm: "RSA-OAEP", protocol: "2.0" })).toThrow(
      expect.objectContaining({ code: "KEY_INVALID" }),
    );
  });
});

describe("decodeUnwrappedContentKey (RSA step done elsewhere)", () => {
  const cek = generateContentKey();
  it("strips a matching prefix", () => {
    expect(decodeUnwrappedContentKey(Buffer.concat([Buffer.from("2.1\0\0\0\0\0", "latin1"), cek]), "2.1")).toEqual(cek);
  });
  it("rejects a prefix of another protocol", () => {
    expect(() => decodeUnwrappedContentKey(Buffer.concat([Buffer.from("2.0\0\0\0\0\0", "latin1"), cek]), "2.1")).toThrow(
      expect.objectContaining({ code: "KEY_PREFIX_MISMATCH" }),
    );
  });
  it("rejects a prefix that is right but a key that is not 32 bytes", () => {
    expect(() => decodeUnwrappedContentKey(Buffer.concat([Buffer.from("2.0\0\0\0\0\0", "latin1"), cek.subarray(0, 16)]), "2.0")).toThrow(
      expect.objectContaining({ code: "KEY_UNWRAP_FAILED" }),
    );
  });
});
