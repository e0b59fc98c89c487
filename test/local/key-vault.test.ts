// The Key Vault stand-in, driven through the real @azure/keyvault-keys KeyClient the product uses.
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import type { KeyClient, KeyVaultKey } from "@azure/keyvault-keys";
import { compactVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalCa, type LocalCa } from "../../enclave-app/src/local/ca.ts";
import { startAttestationAuthority, type LocalAttestationAuthority } from "../../enclave-app/src/local/attestation-authority.ts";
import { startLocalKeyVault, type LocalKeyVault } from "../../enclave-app/src/local/key-vault.ts";
import { localCredential, localKeyClient } from "../../enclave-app/src/local/local-clients.ts";
import { buildReleasePolicy, encodeReleasePolicy, type AttestationRequirements } from "../../enclave-app/src/protocol/index.ts";
import { decodeJwtPart, rawRequest, unwrapKeyHsmCiphertext } from "./helpers.ts";

const HOSTDATA = "3c".repeat(32);
const OTHER_HOSTDATA = "a7".repeat(32);
const ENCLAVE = "enclave-identity";
const OWNER = "party-admin";

function encodedPolicy(req: AttestationRequirements): { encodedPolicy: Uint8Array } {
  return { encodedPolicy: Buffer.from(encodeReleasePolicy(buildReleasePolicy(req)).data, "base64url") };
}

async function rejection(promise: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { statusCode?: number; code?: string; message: string };
  }
  throw new Error("expected the call to be rejected");
}

describe("local Key Vault stand-in through @azure/keyvault-keys", () => {
  let ca: LocalCa;
  let authority: LocalAttestationAuthority;
  let otherAuthority: LocalAttestationAuthority;
  let vault: LocalKeyVault;
  let owner: KeyClient;
  let enclave: KeyClient;
  let runtimePrivate: KeyObject;
  let runtimeJwk: JsonWebKey;
  let importedPrivate: KeyObject;
  let created: KeyVaultKey;
  let imported: KeyVaultKey;

  const containerToken = (extra: Partial<Parameters<LocalAttestationAuthority["issueToken"]>[0]> = {}) =>
    authority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeJwk], hostdata: HOSTDATA, ...extra });

  beforeAll(async () => {
    ca = await createLocalCa();
    [authority, otherAuthority] = await Promise.all([startAttestationAuthority({ ca }), startAttestationAuthority({ ca })]);
    vault = await startLocalKeyVault({ ca, releaseGrants: [{ keyName: "kek-created", principal: ENCLAVE }] });
    owner = localKeyClient(vault, localCredential(OWNER));
    enclave = localKeyClient(vault, localCredential(ENCLAVE));
    const runtime = generateKeyPairSync("rsa", { modulusLength: 2048 });
    runtimePrivate = runtime.privateKey;
    runtimeJwk = { ...runtime.publicKey.export({ format: "jwk" }), kid: "enclave-wrapping-key", key_ops: ["encrypt"] };
    importedPrivate = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

    const containerPolicy = encodedPolicy({ authority: authority.url, mode: "confidential-container", hostdata: HOSTDATA });
    created = await owner.createRsaKey("kek-created", { hsm: true, keySize: 3072, exportable: true, releasePolicy: containerPolicy });
    const jwk = importedPrivate.export({ format: "jwk" });
    imported = await owner.importKey(
      "kek-imported",
      { kty: "RSA", ...Object.fromEntries(["n", "e", "d", "p", "q", "dp", "dq", "qi"].map((m) => [m, Buffer.from(jwk[m] as string, "base64url")])) },
      { hardwareProtected: true, exportable: true, releasePolicy: containerPolicy },
    );
    vault.grantRelease("kek-imported", ENCLAVE);
  });

  afterAll(async () => {
    await Promise.all([vault?.close(), authority?.close(), otherAuthority?.close()]);
  });

  describe("create, import and get", () => {
    it("creates an exportable RSA-HSM 3072 key with its release policy, as Key Vault returns it", () => {
      expect(created.id).toMatch(new RegExp(`^${vault.url}/keys/kek-created/[0-9a-f]{32}$`));
      expect(created.name).toBe("kek-created");
      expect(created.keyType).toBe("RSA-HSM");
      expect(created.key?.n).toHaveLength(384);
      expect(created.key?.d).toBeUndefined();
      expect(created.keyOperations).toEqual(["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]);
      expect(created.properties).toMatchObject({ enabled: true, exportable: true, recoveryLevel: "Recoverable", vaultUrl: vault.url });
      expect(created.properties.createdOn).toBeInstanceOf(Date);
      const policy = created.properties.releasePolicy!;
      expect(policy.contentType).toBe("application/json; charset=utf-8");
      expect(JSON.parse(Buffer.from(policy.encodedPolicy!).toString("utf8"))).toEqual(
        buildReleasePolicy({ authority: authority.url, mode: "confidential-container", hostdata: HOSTDATA }),
      );
    });

    it("imports a private key as RSA-HSM and exposes only its public part", () => {
      expect(imported.keyType).toBe("RSA-HSM");
      expect(Buffer.from(imported.key!.n!).toString("base64url")).toBe(importedPrivate.export({ format: "jwk" }).n);
      expect(imported.key?.d).toBeUndefined();
      expect(imported.properties.exportable).toBe(true);
    });

    it("gets the latest version by name and an older one by version, never with private parts", async () => {
      const first = await owner.createRsaKey("versioned", { hsm: true, keySize: 2048 });
      const second = await owner.createRsaKey("versioned", { hsm: true, keySize: 2048 });
      expect(second.properties.version).not.toBe(first.properties.version);
      expect((await owner.getKey("versioned")).id).toBe(second.id);
      expect((await owner.getKey("versioned", { version: first.properties.version! })).id).toBe(first.id);

      const token = (await localCredential(OWNER).getToken("https://vault.azure.net/.default"))!.token;
      const raw = await rawRequest(`${vault.url}/keys/kek-imported?api-version=7.4`, {
        ca: vault.caCertPem,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(raw.status).toBe(200);
      const key = (raw.body as { key: Record<string, unknown> }).key;
      expect(Object.keys(key).sort()).toEqual(["e", "key_ops", "kid", "kty", "n"]);
    });

    it("rejects an exportable key without a release policy with 400", async () => {
      const error = await rejection(owner.createRsaKey("no-policy", { hsm: true, keySize: 2048, exportable: true }));
      expect(error).toMatchObject({ statusCode: 400, code: "BadParameter" });
      expect(error.message).toMatch(/requires a release policy/);
    });

    it("rejects a release policy on a non-exportable key, and exportable software keys, with 400", async () => {
      const releasePolicy = encodedPolicy({ authority: authority.url, mode: "confidential-node" });
      const onNonExportable = await rejection(owner.createRsaKey("policy-only", { hsm: true, keySize: 2048, releasePolicy }));
      expect(onNonExportable).toMatchObject({ statusCode: 400, code: "BadParameter" });
      const software = await rejection(owner.createRsaKey("software", { hsm: false, keySize: 2048, exportable: true, releasePolicy }));
      expect(software).toMatchObject({ statusCode: 400 });
      expect(software.message).toMatch(/HSM/);
    });

    it("answers 404 KeyNotFound for an unknown key or version", async () => {
      expect(await rejection(owner.getKey("missing"))).toMatchObject({ statusCode: 404, code: "KeyNotFound" });
      expect(await rejection(owner.getKey("kek-created", { version: "0".repeat(32) }))).toMatchObject({ statusCode: 404 });
    });

    it("challenges unauthenticated requests the way the SDK expects", async () => {
      const raw = await rawRequest(`${vault.url}/keys/kek-created?api-version=7.4`, { ca: vault.caCertPem });
      expect(raw.status).toBe(401);
      expect(raw.headers["www-authenticate"]).toMatch(/^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]+", resource="https:\/\/vault\.azure\.net"$/);
      const wrongAudience = (await localCredential(OWNER).getToken("https://storage.azure.com/.default"))!.token;
      const denied = await rawRequest(`${vault.url}/keys/kek-created?api-version=7.4`, {
        ca: vault.caCertPem,
        headers: { authorization: `Bearer ${wrongAudience}` },
      });
      expect(denied.status).toBe(401);
      expect(denied.body).toMatchObject({ error: { code: "Unauthorized", message: expect.stringContaining("audience") } });
    });

    it("keeps trust in the local CA inside the client: a default TLS client refuses the vault", async () => {
      expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
      await expect(rawRequest(`${vault.url}/keys/kek-created?api-version=7.4`)).rejects.toThrow(/certificate/i);
    });
  });

  describe("release", () => {
    function releasedPayload(jws: string) {
      return decodeJwtPart(jws, 1) as {
        request: { "api-version": string; enc: string; kid: string };
        response: { key: { key: Record<string, unknown>; attributes: Record<string, unknown>; release_policy: Record<string, unknown> } };
      };
    }

    it("returns a JWS signed under the local CA for the vault host, whose key_hsm unwraps to the exact private key", async () => {
      const { value } = await enclave.releaseKey("kek-imported", await containerToken());

      // The signature and its x5c chain: leaf issued by the local CA for the vault's host.
      const header = decodeJwtPart(value, 0) as { alg: string; x5c: string[]; "x5t#S256": string };
      expect(header.alg).toBe("RS256");
      const [leaf, root] = header.x5c.map((der) => new X509Certificate(Buffer.from(der, "base64")));
      expect(root!.fingerprint256).toBe(new X509Certificate(ca.certPem).fingerprint256);
      expect(leaf!.checkIssued(root!) && leaf!.verify(root!.publicKey)).toBe(true);
      expect(leaf!.checkIP(new URL(vault.url).hostname)).toBe("127.0.0.1");
      await expect(compactVerify(value, leaf!.publicKey)).resolves.toBeDefined();

      const payload = releasedPayload(value);
      expect(payload.request).toEqual({ "api-version": expect.any(String), enc: "CKM_RSA_AES_KEY_WRAP", kid: imported.id });
      const released = payload.response.key;
      expect(released.key).toMatchObject({ kid: imported.id, kty: "RSA-HSM", n: importedPrivate.export({ format: "jwk" }).n, e: "AQAB" });
      expect(released.attributes).toMatchObject({ exportable: true, enabled: true });
      expect(released.release_policy).toMatchObject({ contentType: "application/json; charset=utf-8" });

      const keyHsm = JSON.parse(Buffer.from(released.key.key_hsm as string, "base64url").toString("utf8")) as {
        schema_version: string;
        header: { kid: string; alg: string; enc: string };
        ciphertext: string;
      };
      expect(keyHsm.schema_version).toBe("1.0");
      expect(keyHsm.header).toEqual({ kid: "enclave-wrapping-key", alg: "dir", enc: "CKM_RSA_AES_KEY_WRAP" });
      const pkcs8 = unwrapKeyHsmCiphertext(Buffer.from(keyHsm.ciphertext, "base64url"), runtimePrivate, "CKM_RSA_AES_KEY_WRAP");
      expect(pkcs8.equals(importedPrivate.export({ type: "pkcs8", format: "der" }))).toBe(true);
    });

    it("wraps with OAEP SHA-256 for RSA_AES_KEY_WRAP_256 and releases a specific version of a created key", async () => {
      const { value } = await enclave.releaseKey("kek-created", await containerToken(), {
        algorithm: "RSA_AES_KEY_WRAP_256",
        version: created.properties.version!,
      });
      const payload = releasedPayload(value);
      expect(payload.request.enc).toBe("RSA_AES_KEY_WRAP_256");
      expect(payload.request.kid).toBe(created.id);
      const keyHsm = JSON.parse(Buffer.from(payload.response.key.key.key_hsm as string, "base64url").toString("utf8")) as { ciphertext: string };
      const ciphertext = Buffer.from(keyHsm.ciphertext, "base64url");
      expect(() => unwrapKeyHsmCiphertext(ciphertext, runtimePrivate, "RSA_AES_KEY_WRAP_256", "sha1")).toThrow();
      const pkcs8 = unwrapKeyHsmCiphertext(ciphertext, runtimePrivate, "RSA_AES_KEY_WRAP_256");
      const releasedKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
      expect(releasedKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
      expect(releasedKey.export({ format: "jwk" }).n).toBe(Buffer.from(created.key!.n!).toString("base64url"));
    });

    it("releases to a confidential node's vTPM key under a confidential-node policy", async () => {
      const nodeKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const tpmJwk = { ...nodeKey.publicKey.export({ format: "jwk" }), kid: "TpmEphemeralEncryptionKey", key_ops: ["encrypt"] };
      const jwk = importedPrivate.export({ format: "jwk" });
      await owner.importKey(
        "kek-node",
        { kty: "RSA", ...Object.fromEntries(["n", "e", "d", "p", "q", "dp", "dq", "qi"].map((m) => [m, Buffer.from(jwk[m] as string, "base64url")])) },
        { hardwareProtected: true, exportable: true, releasePolicy: encodedPolicy({ authority: authority.url, mode: "confidential-node" }) },
      );
      vault.grantRelease("kek-node", ENCLAVE);
      const token = await authority.issueToken({ mode: "confidential-node", runtimeKeys: [tpmJwk] });
      const { value } = await enclave.releaseKey("kek-node", token, { algorithm: "RSA_AES_KEY_WRAP_256" });
      const keyHsm = JSON.parse(Buffer.from(releasedPayload(value).response.key.key.key_hsm as string, "base64url").toString("utf8")) as {
        header: { kid: string };
        ciphertext: string;
      };
      expect(keyHsm.header.kid).toBe("TpmEphemeralEncryptionKey");
      const pkcs8 = unwrapKeyHsmCiphertext(Buffer.from(keyHsm.ciphertext, "base64url"), nodeKey.privateKey, "RSA_AES_KEY_WRAP_256");
      expect(pkcs8.equals(importedPrivate.export({ type: "pkcs8", format: "der" }))).toBe(true);
      // A container token does not satisfy the node policy.
      expect(await rejection(enclave.releaseKey("kek-node", await containerToken()))).toMatchObject({ statusCode: 403 });
    });

    it.each([
      ["a debuggable token", () => containerToken({ debuggable: true }), "x-ms-sevsnpvm-is-debuggable"],
      ["a token from another authority", () => otherAuthority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeJwk], hostdata: HOSTDATA }), "'iss'"],
      ["an expired token", () => containerToken({ expiresInSeconds: -60 }), "'exp'"],
      ["a token without runtime keys", () => containerToken({ extraClaims: { "x-ms-runtime": undefined } }), "x-ms-runtime.keys"],
      ["a token for another container policy (hostdata)", () => containerToken({ hostdata: OTHER_HOSTDATA }), "x-ms-sevsnpvm-hostdata"],
      ["a token whose runtime keys cannot encrypt", () => containerToken({ runtimeKeys: [{ ...runtimeJwk, key_ops: ["verify"] }] }), "x-ms-runtime.keys"],
    ])("denies %s with 403 naming the failing claim", async (_label, token, claim) => {
      const error = await rejection(enclave.releaseKey("kek-imported", await token()));
      expect(error).toMatchObject({ statusCode: 403, code: "AccessDenied" });
      expect(error.message).toContain(claim);
      expect(error.message).toContain("kek-imported");
    });

    it("denies a token whose signature does not verify (claims edited after signing)", async () => {
      const [header, payload, signature] = (await containerToken({ debuggable: true })).split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as Record<string, unknown>;
      claims["x-ms-sevsnpvm-is-debuggable"] = false;
      const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
      const error = await rejection(enclave.releaseKey("kek-imported", forged));
      expect(error).toMatchObject({ statusCode: 403, code: "AccessDenied" });
      expect(error.message).toMatch(/signature/);
    });

    it("answers 400 for a target that is not a JWT", async () => {
      expect(await rejection(enclave.releaseKey("kek-imported", "not-a-token"))).toMatchObject({ statusCode: 400, code: "BadParameter" });
    });

    it("denies principals without the release role with 403 Forbidden, and honours grant and revoke", async () => {
      const error = await rejection(owner.releaseKey("kek-imported", await containerToken()));
      expect(error).toMatchObject({ statusCode: 403, code: "Forbidden" });
      expect(error.message).toContain(OWNER);
      expect(error.message).toContain("keys/release/action");

      const other = localKeyClient(vault, localCredential("second-enclave"));
      vault.grantRelease("kek-imported", "second-enclave");
      await expect(other.releaseKey("kek-imported", await containerToken())).resolves.toHaveProperty("value");
      vault.revokeRelease("kek-imported", "second-enclave");
      expect(await rejection(other.releaseKey("kek-imported", await containerToken()))).toMatchObject({ statusCode: 403, code: "Forbidden" });
    });

    it("refuses to release a non-exportable key", async () => {
      await owner.createRsaKey("kek-internal", { hsm: true, keySize: 2048 });
      vault.grantRelease("kek-internal", ENCLAVE);
      const error = await rejection(enclave.releaseKey("kek-internal", await containerToken()));
      expect(error).toMatchObject({ statusCode: 400 });
      expect(error.message).toMatch(/not exportable/);
    });

    it("with trustedAuthorities, refuses tokens of any other issuer", async () => {
      const strict = await startLocalKeyVault({
        ca,
        trustedAuthorities: [otherAuthority.url],
        releaseGrants: [{ keyName: "kek", principal: ENCLAVE }],
      });
      try {
        const admin = localKeyClient(strict, localCredential(OWNER));
        const jwk = importedPrivate.export({ format: "jwk" });
        await admin.importKey(
          "kek",
          { kty: "RSA", ...Object.fromEntries(["n", "e", "d", "p", "q", "dp", "dq", "qi"].map((m) => [m, Buffer.from(jwk[m] as string, "base64url")])) },
          {
            hardwareProtected: true,
            exportable: true,
            releasePolicy: encodedPolicy({ authority: authority.url, mode: "confidential-container", hostdata: HOSTDATA }),
          },
        );
        const error = await rejection(localKeyClient(strict, localCredential(ENCLAVE)).releaseKey("kek", await containerToken()));
        expect(error).toMatchObject({ statusCode: 403 });
        expect(error.message).toContain("not trusted");
      } finally {
        await strict.close();
      }
    });
  });
});
