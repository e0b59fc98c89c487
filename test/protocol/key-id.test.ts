import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  KeyIdError,
  formatKeyVaultKeyId,
  isKeyVaultKeyId,
  parseKeyVaultKeyId,
  parseKeyVaultUrl,
  sameKeyVaultKey,
  tryParseKeyVaultKeyId,
  versionlessKeyVaultKeyId,
} from "../../enclave-app/src/protocol/index.ts";

const label = fc.stringMatching(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
const host = fc.oneof(
  label.map((l) => `${l}.vault.azure.net`),
  label.map((l) => `${l}.managedhsm.azure.net`),
  fc.integer({ min: 1024, max: 65535 }).map((port) => `127.0.0.1:${port}`),
);
const keyName = fc.stringMatching(/^[0-9A-Za-z-]{1,127}$/);
const version = fc.stringMatching(/^[0-9a-f]{32}$/);
const keyId = fc.record({ host, name: keyName, version: fc.option(version, { nil: undefined }) });

/** Flips the case of some letters; the positions come from the generated mask. */
function recase(text: string, mask: readonly boolean[]): string {
  return [...text].map((c, i) => (mask[i % Math.max(mask.length, 1)] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join("");
}

describe("Key Vault key ids: one parser", () => {
  it("parses vault URL, host, vault name, key name and version", () => {
    expect(parseKeyVaultKeyId("https://Bank-1a2b.vault.azure.net/keys/bank-kek/0123456789abcdef0123456789abcdef")).toEqual({
      vaultUrl: "https://bank-1a2b.vault.azure.net",
      vaultHost: "bank-1a2b.vault.azure.net",
      vaultName: "bank-1a2b",
      name: "bank-kek",
      version: "0123456789abcdef0123456789abcdef",
    });
    expect(parseKeyVaultKeyId("https://127.0.0.1:8443/keys/k")).toEqual({ vaultUrl: "https://127.0.0.1:8443", vaultHost: "127.0.0.1", vaultName: "127.0.0.1", name: "k" });
    expect(parseKeyVaultUrl("https://bank.vault.azure.net/")).toEqual({ vaultUrl: "https://bank.vault.azure.net", vaultHost: "bank.vault.azure.net", vaultName: "bank" });
  });

  it.each([
    ["not a URL", "bank-kek"],
    ["http", "http://bank.vault.azure.net/keys/k"],
    ["no key name", "https://bank.vault.azure.net/keys/"],
    ["other object type", "https://bank.vault.azure.net/secrets/k"],
    ["trailing slash", "https://bank.vault.azure.net/keys/k/"],
    ["extra segment", "https://bank.vault.azure.net/keys/k/v1/x"],
    ["underscore in the name", "https://bank.vault.azure.net/keys/bad_name"],
    ["name too long", `https://bank.vault.azure.net/keys/${"k".repeat(128)}`],
    ["query", "https://bank.vault.azure.net/keys/k?api-version=7.4"],
    ["fragment", "https://bank.vault.azure.net/keys/k#v"],
    ["credentials", "https://user:pw@bank.vault.azure.net/keys/k"],
  ])("refuses %s", (_why, text) => {
    expect(() => parseKeyVaultKeyId(text)).toThrow(KeyIdError);
    expect(tryParseKeyVaultKeyId(text)).toBeUndefined();
    expect(isKeyVaultKeyId(text)).toBe(false);
  });

  it("format and parse round-trip (property)", () => {
    fc.assert(
      fc.property(keyId, ({ host, name, version }) => {
        const text = formatKeyVaultKeyId({ vaultUrl: `https://${host}`, name, ...(version !== undefined ? { version } : {}) });
        const parsed = parseKeyVaultKeyId(text);
        expect(parsed.name).toBe(name);
        expect(parsed.version).toBe(version);
        expect(parsed.vaultUrl).toBe(`https://${host}`);
        expect(formatKeyVaultKeyId(parsed)).toBe(text);
        expect(versionlessKeyVaultKeyId(parsed)).toBe(`https://${host}/keys/${name}`);
      }),
    );
  });
});

describe("Key Vault key ids: one comparison", () => {
  it("ignores case in the vault host, the key name and the version (property)", () => {
    fc.assert(
      fc.property(keyId, fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), ({ host, name, version }, mask) => {
        const a = formatKeyVaultKeyId({ vaultUrl: `https://${host}`, name, ...(version !== undefined ? { version } : {}) });
        const b = `https://${recase(host, mask)}/keys/${recase(name, mask)}${version !== undefined ? `/${recase(version, mask)}` : ""}`;
        expect(sameKeyVaultKey(a, b)).toBe(true);
        expect(sameKeyVaultKey(b, a)).toBe(true);
      }),
    );
  });

  it("a versionless id matches every version; two versions must agree (property)", () => {
    fc.assert(
      fc.property(host, keyName, version, version, (h, name, v1, v2) => {
        const base = `https://${h}/keys/${name}`;
        expect(sameKeyVaultKey(base, `${base}/${v1}`)).toBe(true);
        expect(sameKeyVaultKey(`${base}/${v1}`, `${base}/${v2}`)).toBe(v1 === v2);
      }),
    );
  });

  it("other vaults and other names differ, whatever the case (property)", () => {
    fc.assert(
      fc.property(keyId, keyId, ({ host: h1, name: n1 }, { host: h2, name: n2 }) => {
        const same = h1.toLowerCase() === h2.toLowerCase() && n1.toLowerCase() === n2.toLowerCase();
        expect(sameKeyVaultKey(`https://${h1}/keys/${n1}`, `https://${h2}/keys/${n2}`)).toBe(same);
      }),
    );
  });

  it("the scheme and the keys segment are not case-folded into a match, and non-ids match nothing", () => {
    expect(sameKeyVaultKey("https://bank.vault.azure.net/keys/k", "https://bank.vault.azure.net/KEYS/k")).toBe(false);
    expect(sameKeyVaultKey("not a key id", "not a key id")).toBe(false);
    expect(sameKeyVaultKey("https://bank.vault.azure.net/keys/k", "https://bank.vault.azure.net:8443/keys/k")).toBe(false);
  });
});
