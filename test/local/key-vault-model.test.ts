import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  KeyStore,
  parseCreateKeyRequest,
  parseImportKeyRequest,
  renderKeyBundle,
} from "../../enclave-app/src/local/key-vault-model.ts";
import { buildReleasePolicy, encodeReleasePolicy } from "../../enclave-app/src/protocol/index.ts";

const policy = encodeReleasePolicy(buildReleasePolicy({ authority: "https://127.0.0.1:4443", mode: "confidential-node" }));

function statusOf(fn: () => unknown): { status: number; code: string; message: string } {
  try {
    fn();
  } catch (error) {
    const e = error as { status: number; code: string; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error("expected the call to throw");
}

describe("Key Vault stand-in request rules", () => {
  let rsa: KeyObject;
  let privateJwk: Record<string, unknown>;

  beforeAll(() => {
    rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    privateJwk = rsa.export({ format: "jwk" }) as Record<string, unknown>;
  });

  it("accepts an exportable RSA-HSM key with a release policy and keeps the policy as base64url", () => {
    const standardBase64 = Buffer.from(policy.data, "base64url").toString("base64");
    const spec = parseCreateKeyRequest({
      kty: "RSA-HSM",
      key_size: 3072,
      attributes: { exportable: true },
      release_policy: { contentType: "application/json; charset=utf-8", data: standardBase64, immutable: true },
    });
    expect(spec).toMatchObject({ kty: "RSA-HSM", keySize: 3072, attributes: { enabled: true, exportable: true } });
    expect(spec.releasePolicy?.wire).toEqual({ contentType: "application/json; charset=utf-8", data: policy.data, immutable: true });
    expect(spec.releasePolicy?.policy.anyOf[0]?.authority).toBe("https://127.0.0.1:4443");
    expect(spec.keyOps).toEqual(["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]);
  });

  it.each([
    ["exportable without release policy", { kty: "RSA-HSM", attributes: { exportable: true } }, /requires a release policy/],
    ["release policy on a non-exportable key", { kty: "RSA-HSM", release_policy: policy }, /only be set on an exportable key/],
    ["exportable software key", { kty: "RSA", attributes: { exportable: true }, release_policy: policy }, /only HSM-backed/],
    ["unsupported key type", { kty: "EC-HSM" }, /not supported/],
    ["unsupported key size", { kty: "RSA-HSM", key_size: 1024 }, /key_size/],
    ["unknown key operation", { kty: "RSA-HSM", key_ops: ["encrypt", "launch"] }, /key_ops/],
    ["policy that is not base64 JSON", { kty: "RSA-HSM", attributes: { exportable: true }, release_policy: { data: "%%%" } }, /release_policy/],
    [
      "policy outside the grammar",
      { kty: "RSA-HSM", attributes: { exportable: true }, release_policy: { data: Buffer.from('{"version":"1.0.0","anyOf":[]}').toString("base64url") } },
      /release_policy is invalid/,
    ],
    ["wrong policy content type", { kty: "RSA-HSM", attributes: { exportable: true }, release_policy: { ...policy, contentType: "text/plain" } }, /contentType/],
  ])("rejects %s with 400 BadParameter", (_label, body, message) => {
    const error = statusOf(() => parseCreateKeyRequest(body));
    expect(error).toMatchObject({ status: 400, code: "BadParameter" });
    expect(error.message).toMatch(message);
  });

  it("imports a private RSA JWK as RSA-HSM when Hsm is set, with the same rules", () => {
    const spec = parseImportKeyRequest({ key: privateJwk, Hsm: true, attributes: { exportable: true }, release_policy: policy });
    expect(spec.kty).toBe("RSA-HSM");
    expect(spec.keySize).toBe(2048);
    expect(spec.privateKey.export({ format: "jwk" }).d).toBe(privateJwk.d);
    expect(statusOf(() => parseImportKeyRequest({ key: privateJwk, attributes: { exportable: true }, release_policy: policy })).message).toMatch(
      /only HSM-backed/,
    );
  });

  it("refuses public-only, BYOK and internally inconsistent keys on import", () => {
    const { n, e, kty } = privateJwk;
    expect(statusOf(() => parseImportKeyRequest({ key: { kty, n, e } })).message).toMatch(/private key is required/);
    expect(statusOf(() => parseImportKeyRequest({ key: { kty: "RSA-HSM", key_hsm: "abc" } })).message).toMatch(/BYOK/);
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
    const mixed = { ...privateJwk, p: other.p, q: other.q, dp: other.dp, dq: other.dq, qi: other.qi };
    expect(statusOf(() => parseImportKeyRequest({ key: mixed }))).toMatchObject({ status: 400 });
  });

  it("stores versions and renders bundles without any private member", () => {
    const store = new KeyStore("https://127.0.0.1:9");
    const spec = parseImportKeyRequest({ key: privateJwk, Hsm: true, attributes: { exportable: true }, release_policy: policy });
    const first = store.add("Kek", spec, spec.privateKey);
    const second = store.add("kek", spec, spec.privateKey);
    expect(first.kid).toMatch(/^https:\/\/127\.0\.0\.1:9\/keys\/Kek\/[0-9a-f]{32}$/);
    expect(store.get("KEK")).toBe(second);
    expect(store.get("kek", first.version)).toBe(first);
    expect(store.get("kek", "0".repeat(32))).toBeUndefined();
    const bundle = renderKeyBundle(first) as { key: Record<string, unknown>; attributes: Record<string, unknown>; release_policy: unknown };
    expect(Object.keys(bundle.key).sort()).toEqual(["e", "key_ops", "kid", "kty", "n"]);
    expect(JSON.stringify(bundle)).not.toContain(privateJwk.d as string);
    expect(bundle.attributes).toMatchObject({ enabled: true, exportable: true, recoveryLevel: "Recoverable", recoverableDays: 90 });
    expect(bundle.release_policy).toEqual({ ...policy, immutable: false });
  });
});
