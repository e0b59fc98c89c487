import { describe, expect, it } from "vitest";
import {
  NonceSequence,
  ciphertextLength,
  nonceFor,
  plaintextLengthOf,
  regionIndexOf,
  regionSizeProblem,
} from "../../enclave-app/src/envelope/index.ts";

describe("nonce layouts (as the SDK sources write them)", () => {
  it("python: 12-byte big-endian counter from 0", () => {
    expect(nonceFor("python", 0).toString("hex")).toBe("000000000000000000000000");
    expect(nonceFor("python", 1).toString("hex")).toBe("000000000000000000000001");
    expect(nonceFor("python", 258).toString("hex")).toBe("000000000000000000000102");
  });

  it("java: 8-byte big-endian index, then 4 zero bytes", () => {
    expect(nonceFor("java", 0).toString("hex")).toBe("000000000000000000000000");
    expect(nonceFor("java", 1).toString("hex")).toBe("000000000000000100000000");
    expect(nonceFor("java", 258).toString("hex")).toBe("000000000000010200000000");
  });

  it("dotnet: 4 zero bytes, then an 8-byte little-endian counter from 1", () => {
    expect(nonceFor("dotnet", 0).toString("hex")).toBe("000000000100000000000000");
    expect(nonceFor("dotnet", 1).toString("hex")).toBe("000000000200000000000000");
    expect(nonceFor("dotnet", 258).toString("hex")).toBe("000000000301000000000000");
  });

  it("decodes region indices and refuses foreign layouts", () => {
    expect(regionIndexOf("java", nonceFor("java", 77))).toBe(77);
    expect(regionIndexOf("dotnet", nonceFor("dotnet", 77))).toBe(77);
    expect(regionIndexOf("python", nonceFor("python", 77))).toBe(77);
    expect(regionIndexOf("java", nonceFor("python", 1))).toBeUndefined(); // padding bytes set
    expect(regionIndexOf("dotnet", Buffer.alloc(12))).toBeUndefined(); // counter 0 is never written
    expect(regionIndexOf("python", Buffer.from("ff".repeat(12), "hex"))).toBeUndefined(); // implausible index
  });
});

describe("NonceSequence", () => {
  it("keeps python and java open at region 0 and locks at region 1", () => {
    const sequence = new NonceSequence();
    expect(sequence.check(0, nonceFor("java", 0))).toEqual({ ok: true, schemes: ["python", "java"] });
    expect(sequence.scheme).toBeUndefined();
    expect(sequence.check(1, nonceFor("java", 1)).ok).toBe(true);
    expect(sequence.scheme).toBe("java");
    expect(sequence.check(2, nonceFor("python", 2))).toEqual({ ok: false, reason: "invalid" });
  });

  it("locks dotnet at region 0", () => {
    const sequence = new NonceSequence();
    sequence.check(0, nonceFor("dotnet", 0));
    expect(sequence.scheme).toBe("dotnet");
    expect(sequence.check(1, nonceFor("dotnet", 5))).toEqual({ ok: false, reason: "out-of-order", foundRegion: 5, scheme: "dotnet" });
  });
});

describe("layout arithmetic", () => {
  it.each([
    [0, 16, 0],
    [1, 16, 29],
    [16, 16, 44],
    [17, 16, 73],
    [4 * 1024 * 1024, 4 * 1024 * 1024, 4 * 1024 * 1024 + 28],
    [10 * 1024 * 1024 + 123, 4 * 1024 * 1024, 10 * 1024 * 1024 + 123 + 3 * 28],
  ])("plaintext %i with %i-byte regions -> %i bytes", (plain, region, cipher) => {
    expect(ciphertextLength(plain, region)).toBe(cipher);
    expect(plaintextLengthOf(cipher, region)).toBe(plain);
  });

  it("no plaintext encrypts to a final fragment of 1..28 bytes", () => {
    expect(plaintextLengthOf(44 + 28, 16)).toBeUndefined();
    expect(plaintextLengthOf(44 + 29, 16)).toBe(17);
  });

  it("region size rules per protocol", () => {
    expect(regionSizeProblem("2.0", 4 * 1024 * 1024)).toBeUndefined();
    expect(regionSizeProblem("2.0", 1024)).toMatch(/protocol 2.0 requires/);
    expect(regionSizeProblem("2.1", 16)).toBeUndefined();
    expect(regionSizeProblem("2.1", 15)).toMatch(/between 16 and/);
    expect(regionSizeProblem("2.1", 1024 ** 3 + 1)).toMatch(/between 16 and/);
  });
});
