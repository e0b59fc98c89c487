// Unwrapping what Key Vault releases: RFC 5649 AES key wrap, and key_hsm against fixed vectors
// built by an independent implementation (the local Key Vault stand-in).
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { aesKeyUnwrapPad, aesKeyWrapPad } from "../../enclave-app/src/runtime/keyrelease/aes-kwp.ts";
import { KeyHsmError, decodeKeyHsm, encodeKeyHsm, unwrapKeyHsm, type KeyExportEncryption } from "../../enclave-app/src/runtime/keyrelease/key-hsm.ts";

const vectors = JSON.parse(readFileSync(resolve(import.meta.dirname, "../fixtures/runtime/key-hsm-vectors.json"), "utf8")) as {
  wrappingPrivateKeyPkcs8Pem: string;
  targetPublicJwk: { n: string; e: string };
  vectors: Record<KeyExportEncryption, string>;
};
const wrappingKey = createPrivateKey(vectors.wrappingPrivateKeyPkcs8Pem);

describe("RFC 5649 AES key wrap with padding", () => {
  // RFC 5649 section 6 test vectors (192-bit KEK).
  const kek = Buffer.from("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", "hex");

  it("matches the RFC's 20-octet vector", () => {
    const key = Buffer.from("c37b7e6492584340bed12207808941155068f738", "hex");
    const wrapped = Buffer.from("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a", "hex");
    expect(aesKeyWrapPad(kek, key)).toEqual(wrapped);
    expect(aesKeyUnwrapPad(kek, wrapped)).toEqual(key);
  });

  it("matches the RFC's 7-octet vector", () => {
    const key = Buffer.from("466f7250617369", "hex");
    const wrapped = Buffer.from("afbeb0f07dfbf5419200f2ccb50bb24f", "hex");
    expect(aesKeyWrapPad(kek, key)).toEqual(wrapped);
    expect(aesKeyUnwrapPad(kek, wrapped)).toEqual(key);
  });

  it("fails its integrity check on a wrong key or a flipped bit", () => {
    const wrapped = aesKeyWrapPad(Buffer.alloc(32, 1), Buffer.from("secret key material"));
    expect(() => aesKeyUnwrapPad(Buffer.alloc(32, 2), wrapped)).toThrow();
    wrapped[3]! ^= 1;
    expect(() => aesKeyUnwrapPad(Buffer.alloc(32, 1), wrapped)).toThrow();
  });
});

describe("key_hsm", () => {
  for (const enc of ["CKM_RSA_AES_KEY_WRAP", "RSA_AES_KEY_WRAP_256", "RSA_AES_KEY_WRAP_384"] as const) {
    it(`unwraps the ${enc} vector to the released key`, () => {
      const released = unwrapKeyHsm(vectors.vectors[enc], wrappingKey);
      const jwk = createPublicKey(released).export({ format: "jwk" });
      expect(jwk.n).toBe(vectors.targetPublicJwk.n);
      expect(jwk.e).toBe(vectors.targetPublicJwk.e);
      expect(decodeKeyHsm(vectors.vectors[enc]).header).toMatchObject({ alg: "dir", enc });
    });
  }

  it("refuses a key_hsm from a Key Vault release response that gives \"ciphertext\" twice", () => {
    const decoded = Buffer.from(vectors.vectors.RSA_AES_KEY_WRAP_256, "base64url").toString("utf8");
    const twice = decoded.replace(/^\{/, '{"ciphertext":"AAAA",');
    const encoded = Buffer.from(twice).toString("base64url");
    expect(() => decodeKeyHsm(encoded)).toThrow(KeyHsmError);
    expect(() => decodeKeyHsm(encoded)).toThrow(/key_hsm gives the key "ciphertext" twice at the top level/);
  });

  it("round-trips through the runtime's own encoder (EC target)", () => {
    const target = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const encoded = encodeKeyHsm(target.privateKey, createPublicKey(wrappingKey).export({ format: "jwk" }), { enc: "RSA_AES_KEY_WRAP_256", kid: "k" });
    const released = unwrapKeyHsm(encoded, wrappingKey);
    expect(createPublicKey(released).export({ format: "jwk" }).x).toBe(target.publicKey.export({ format: "jwk" }).x);
  });

  it("refuses key_hsm wrapped to another runtime key", () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    expect(() => unwrapKeyHsm(vectors.vectors.RSA_AES_KEY_WRAP_256, other)).toThrow(/not wrapped to this enclave's key/);
  });

  it("detects a tampered ciphertext", () => {
    const body = JSON.parse(Buffer.from(vectors.vectors.CKM_RSA_AES_KEY_WRAP, "base64url").toString("utf8")) as { ciphertext: string };
    const bytes = Buffer.from(body.ciphertext, "base64url");
    bytes[bytes.length - 5]! ^= 0x80;
    const tampered = Buffer.from(JSON.stringify({ ...body, ciphertext: bytes.toString("base64url") })).toString("base64url");
    expect(() => unwrapKeyHsm(tampered, wrappingKey)).toThrow(/integrity check/);
  });

  it("names malformed and unsupported inputs", () => {
    expect(() => decodeKeyHsm("not-json")).toThrow(KeyHsmError);
    const unknownEnc = Buffer.from(JSON.stringify({ schema_version: "1.0", header: { alg: "dir", enc: "AES_GCM" }, ciphertext: "AA" })).toString("base64url");
    expect(() => decodeKeyHsm(unknownEnc)).toThrow(/"AES_GCM" is not one of/);
    const noCipher = Buffer.from(JSON.stringify({ header: { alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" } })).toString("base64url");
    expect(() => decodeKeyHsm(noCipher)).toThrow(/ciphertext is missing/);
  });
});
