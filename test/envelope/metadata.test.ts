import { describe, expect, it } from "vitest";
import {
  DEFAULT_REGION_SIZE,
  MAX_REGION_SIZE,
  buildEncryptionData,
  parseEncryptionData,
  serializeEncryptionData,
} from "../../enclave-app/src/envelope/index.ts";

// What azure-storage-blob (Python) writes, key order and spacing included.
const PYTHON_WRITTEN =
  '{"WrappedContentKey": {"KeyId": "https://v.vault.azure.net/keys/k/1", "EncryptedKey": "AAECAw==", "Algorithm": "RSA-OAEP"}, ' +
  '"EncryptionAgent": {"Protocol": "2.0", "EncryptionAlgorithm": "AES_GCM_256"}, ' +
  '"EncryptedRegionInfo": {"DataLength": 4194304, "NonceLength": 12}, ' +
  '"KeyWrappingMetadata": {"EncryptionLibrary": "Python 12.15.0b1"}, "EncryptionMode": "FullBlob"}';

// .NET writes EncryptionMode first and carries a (null) ContentEncryptionIV field for v2.
const DOTNET_ORDER =
  '{"EncryptionMode":"FullBlob","WrappedContentKey":{"Algorithm":"RSA-OAEP-256","EncryptedKey":"AAECAw==","KeyId":"https://v.vault.azure.net/keys/k/1"},' +
  '"EncryptionAgent":{"EncryptionAlgorithm":"AES_GCM_256","Protocol":"2.1"},"ContentEncryptionIV":null,' +
  '"EncryptedRegionInfo":{"NonceLength":12,"DataLength":1024},"KeyWrappingMetadata":{"EncryptionLibrary":".NET 12.22.0"}}';

function base(): Record<string, any> {
  return JSON.parse(PYTHON_WRITTEN) as Record<string, any>;
}

function codeOf(input: unknown, opts?: { maxRegionSize?: number }): string | undefined {
  try {
    parseEncryptionData(input as object, opts);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe("parseEncryptionData", () => {
  it("accepts the Python SDK's metadata", () => {
    const data = parseEncryptionData(PYTHON_WRITTEN);
    expect(data.WrappedContentKey).toEqual({ KeyId: "https://v.vault.azure.net/keys/k/1", EncryptedKey: "AAECAw==", Algorithm: "RSA-OAEP" });
    expect(data.EncryptedRegionInfo.DataLength).toBe(DEFAULT_REGION_SIZE);
    expect(data.KeyWrappingMetadata).toEqual({ EncryptionLibrary: "Python 12.15.0b1" });
  });

  it("accepts any key order and ignores unknown fields", () => {
    const data = parseEncryptionData(DOTNET_ORDER);
    expect(data.EncryptionAgent.Protocol).toBe("2.1");
    expect(data.EncryptedRegionInfo.DataLength).toBe(1024);
    expect(data.WrappedContentKey.Algorithm).toBe("RSA-OAEP-256");
  });

  it("refuses metadata with KeyId given twice (two readers could unwrap with different keys)", () => {
    const twice = PYTHON_WRITTEN.replace('"KeyId": "https://v.vault.azure.net/keys/k/1"', '"KeyId": "https://v.vault.azure.net/keys/k/1", "KeyId": "https://evil.vault.azure.net/keys/k/1"');
    expect(codeOf(twice)).toBe("METADATA_MALFORMED");
    expect(() => parseEncryptionData(twice)).toThrow(/encryptiondata gives the key "KeyId" twice in WrappedContentKey/);
    expect(() => parseEncryptionData(twice)).not.toThrow(/evil/);
    expect(() => parseEncryptionData(`${PYTHON_WRITTEN.slice(0, -1)}, "pad": "${"x".repeat(70_000)}"}`)).toThrow(/larger than 65536 bytes/);
  });

  it("accepts an already parsed object", () => {
    expect(parseEncryptionData(base()).EncryptionMode).toBe("FullBlob");
  });

  it("round-trips through serializeEncryptionData with the SDK key order", () => {
    const data = parseEncryptionData(DOTNET_ORDER);
    const json = serializeEncryptionData(data);
    expect(Object.keys(JSON.parse(json))).toEqual(["WrappedContentKey", "EncryptionAgent", "EncryptedRegionInfo", "KeyWrappingMetadata", "EncryptionMode"]);
    expect(parseEncryptionData(json)).toEqual(data);
  });

  describe("METADATA_MALFORMED", () => {
    const cases: [string, unknown][] = [
      ["invalid JSON", "{not json"],
      ["a JSON array", "[]"],
      ["missing WrappedContentKey", (() => { const m = base(); delete m["WrappedContentKey"]; return m; })()],
      ["missing EncryptedKey", (() => { const m = base(); delete m["WrappedContentKey"].EncryptedKey; return m; })()],
      ["EncryptedKey not base64", (() => { const m = base(); m["WrappedContentKey"].EncryptedKey = "not base64!"; return m; })()],
      ["empty KeyId", (() => { const m = base(); m["WrappedContentKey"].KeyId = ""; return m; })()],
      ["DataLength as a string", (() => { const m = base(); m["EncryptedRegionInfo"].DataLength = "4194304"; return m; })()],
      ["DataLength fractional", (() => { const m = base(); m["EncryptedRegionInfo"].DataLength = 4194304.5; return m; })()],
      ["Protocol as a number", (() => { const m = base(); m["EncryptionAgent"].Protocol = 2; return m; })()],
      ["EncryptionAgent as a string", (() => { const m = base(); m["EncryptionAgent"] = "2.0"; return m; })()],
      ["missing EncryptionMode", (() => { const m = base(); delete m["EncryptionMode"]; return m; })()],
      ["KeyWrappingMetadata with a number", (() => { const m = base(); m["KeyWrappingMetadata"] = { EncryptionLibrary: 1 }; return m; })()],
    ];
    it.each(cases)("%s", (_name, input) => {
      expect(codeOf(input)).toBe("METADATA_MALFORMED");
    });

    it("names the field and the rule", () => {
      const m = base();
      m["EncryptedRegionInfo"].DataLength = "big";
      expect(() => parseEncryptionData(m)).toThrow(/EncryptedRegionInfo\.DataLength: must be an integer/);
    });
  });

  describe("METADATA_UNSUPPORTED", () => {
    const cases: [string, (m: Record<string, any>) => void][] = [
      ["protocol 1.0", (m) => { m["EncryptionAgent"].Protocol = "1.0"; }],
      ["protocol 3.0", (m) => { m["EncryptionAgent"].Protocol = "3.0"; }],
      ["AES_CBC_256", (m) => { m["EncryptionAgent"].EncryptionAlgorithm = "AES_CBC_256"; }],
      ["key wrap A256KW", (m) => { m["WrappedContentKey"].Algorithm = "A256KW"; }],
      ["key wrap RSA1_5", (m) => { m["WrappedContentKey"].Algorithm = "RSA1_5"; }],
      ["NonceLength 16", (m) => { m["EncryptedRegionInfo"].NonceLength = 16; }],
      ["EncryptionMode PartialBlob", (m) => { m["EncryptionMode"] = "PartialBlob"; }],
      ["2.0 with 1 KiB regions", (m) => { m["EncryptedRegionInfo"].DataLength = 1024; }],
      ["2.1 with 8-byte regions", (m) => { m["EncryptionAgent"].Protocol = "2.1"; m["EncryptedRegionInfo"].DataLength = 8; }],
      ["2.1 with regions over 1 GiB", (m) => { m["EncryptionAgent"].Protocol = "2.1"; m["EncryptedRegionInfo"].DataLength = 1024 ** 3 + 1; }],
    ];
    it.each(cases)("%s", (_name, mutate) => {
      const m = base();
      mutate(m);
      expect(codeOf(m)).toBe("METADATA_UNSUPPORTED");
    });
  });

  describe("REGION_TOO_LARGE", () => {
    it("caps DataLength at MAX_REGION_SIZE by default", () => {
      const m = base();
      m["EncryptionAgent"].Protocol = "2.1";
      m["EncryptedRegionInfo"].DataLength = 1024 ** 3;
      expect(codeOf(m)).toBe("REGION_TOO_LARGE");
      m["EncryptedRegionInfo"].DataLength = MAX_REGION_SIZE;
      expect(codeOf(m)).toBeUndefined();
    });

    it("honours a configured cap, also for 2.0", () => {
      expect(codeOf(base(), { maxRegionSize: 1024 * 1024 })).toBe("REGION_TOO_LARGE");
      const m = base();
      m["EncryptionAgent"].Protocol = "2.1";
      m["EncryptedRegionInfo"].DataLength = 256 * 1024 * 1024;
      expect(codeOf(m, { maxRegionSize: 256 * 1024 * 1024 })).toBeUndefined();
    });
  });
});

describe("buildEncryptionData", () => {
  it("serialises without whitespace, so the value passes through `az ... --metadata encryptiondata=<value>`", () => {
    const data = buildEncryptionData({ keyId: "https://v.vault.azure.net/keys/k/1", wrappedKey: Buffer.alloc(384, 7), algorithm: "RSA-OAEP-256", protocol: "2.0" });
    expect(serializeEncryptionData(data)).not.toMatch(/\s/);
    expect(parseEncryptionData(serializeEncryptionData(data))).toEqual(data);
  });

  it("refuses 2.0 with a region size other than 4 MiB", () => {
    expect(() => buildEncryptionData({ keyId: "k", wrappedKey: Buffer.alloc(256), algorithm: "RSA-OAEP", protocol: "2.0", regionSize: 1024 })).toThrow(
      expect.objectContaining({ code: "OPTIONS_INVALID" }),
    );
  });
});
