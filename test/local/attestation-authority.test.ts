import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalCa, type LocalCa } from "../../enclave-app/src/local/ca.ts";
import { startAttestationAuthority, type LocalAttestationAuthority } from "../../enclave-app/src/local/attestation-authority.ts";
import { buildReleasePolicy, evaluateReleasePolicy } from "../../enclave-app/src/protocol/index.ts";
import { decodeJwtPart, rawRequest } from "./helpers.ts";

const HOSTDATA = "5f".repeat(32);

describe("local attestation authority", () => {
  let ca: LocalCa;
  let authority: LocalAttestationAuthority;
  let jwks: JSONWebKeySet;
  let runtimeKey: JsonWebKey;

  beforeAll(async () => {
    ca = await createLocalCa();
    authority = await startAttestationAuthority({ ca });
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    runtimeKey = { ...publicKey.export({ format: "jwk" }), kid: "runtime-encryption", key_ops: ["encrypt"] };
    const metadata = await rawRequest(`${authority.url}/.well-known/openid-configuration`, { ca: ca.certPem });
    jwks = (await rawRequest((metadata.body as { jwks_uri: string }).jwks_uri, { ca: ca.certPem })).body as JSONWebKeySet;
  });
  afterAll(async () => {
    await authority?.close();
  });

  async function verified(token: string): Promise<Record<string, unknown>> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ["RS256"], issuer: authority.url });
    return payload;
  }

  it("serves OpenID metadata whose issuer is its URL and a JWKS whose key chains to the local CA", async () => {
    const metadata = await rawRequest(`${authority.url}/.well-known/openid-configuration`, { ca: ca.certPem });
    expect(metadata.status).toBe(200);
    expect(metadata.body).toMatchObject({ issuer: authority.url, jwks_uri: `${authority.url}/certs` });
    expect(authority.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    expect(jwks.keys).toHaveLength(1);
    const key = jwks.keys[0]!;
    expect(key.kty).toBe("RSA");
    const leaf = new X509Certificate(Buffer.from(key.x5c![0]!, "base64"));
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.publicKey.export({ format: "jwk" }).n).toBe(key.n);
    // MAA names keys by the base64 SHA-256 of the certificate.
    expect(key.kid).toBe(createHash("sha256").update(leaf.raw).digest("base64"));
  });

  it("issues RS256 tokens that verify against its JWKS, with MAA's header and registered claims", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await authority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeKey], hostdata: HOSTDATA });
    const header = decodeJwtPart(token, 0);
    expect(header).toEqual({ alg: "RS256", jku: `${authority.url}/certs`, kid: jwks.keys[0]!.kid, typ: "JWT" });
    const claims = await verified(token);
    expect(claims.iss).toBe(authority.url);
    expect(claims.exp! as number - (claims.iat as number)).toBe(8 * 3600);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.iat as number).toBeGreaterThanOrEqual(before);
    expect(claims.jti).toMatch(/^[0-9a-f]{64}$/);
    expect(claims["x-cleanroom-simulated"]).toBe(true);
  });

  it("confidential-container tokens carry SEV-SNP claims at the top level and the runtime keys", async () => {
    const claims = await verified(
      await authority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeKey], hostdata: HOSTDATA, nonce: "n-1" }),
    );
    expect(claims).toMatchObject({
      "x-ms-attestation-type": "sevsnpvm",
      "x-ms-compliance-status": "azure-compliant-uvm",
      "x-ms-sevsnpvm-hostdata": HOSTDATA,
      "x-ms-sevsnpvm-is-debuggable": false,
      "x-ms-sevsnpvm-vmpl": 0,
      "x-ms-ver": "1.0",
    });
    expect(claims["x-ms-sevsnpvm-launchmeasurement"]).toMatch(/^[0-9a-f]{96}$/);
    expect(claims["x-ms-sevsnpvm-guestsvn"]).toEqual(expect.any(Number));
    expect(claims["x-ms-policy-hash"]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const runtime = claims["x-ms-runtime"] as { keys: JsonWebKey[]; "client-payload": { nonce: string } };
    expect(runtime.keys).toEqual([runtimeKey]);
    expect(runtime["client-payload"].nonce).toBe("n-1");
    // REPORT_DATA binds the runtime data: sha256 of it, then 32 zero bytes.
    const reportData = claims["x-ms-sevsnpvm-reportdata"] as string;
    expect(reportData).toBe(createHash("sha256").update(JSON.stringify(runtime)).digest("hex") + "0".repeat(64));
    expect(claims["x-ms-isolation-tee"]).toBeUndefined();
  });

  it("confidential-node tokens are CVM guest attestations with SNP claims under x-ms-isolation-tee", async () => {
    const tpmKey = { ...runtimeKey, kid: "TpmEphemeralEncryptionKey" };
    const claims = await verified(await authority.issueToken({ mode: "confidential-node", runtimeKeys: [tpmKey], nonce: "MTIzNA==" }));
    expect(claims["x-ms-attestation-type"]).toBe("azurevm");
    expect(claims.secureboot).toBe(true);
    expect(claims["x-ms-azurevm-vmid"]).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(claims["x-ms-azurevm-debuggersdisabled"]).toBe(true);
    expect(claims["x-ms-azurevm-attested-pcrs"]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const tee = claims["x-ms-isolation-tee"] as Record<string, unknown>;
    expect(tee).toMatchObject({
      "x-ms-attestation-type": "sevsnpvm",
      "x-ms-compliance-status": "azure-compliant-cvm",
      "x-ms-sevsnpvm-is-debuggable": false,
      "x-ms-sevsnpvm-hostdata": "0".repeat(64),
    });
    expect((tee["x-ms-runtime"] as { "vm-configuration": { vmUniqueId: string } })["vm-configuration"].vmUniqueId).toBe(
      claims["x-ms-azurevm-vmid"],
    );
    const runtime = claims["x-ms-runtime"] as { keys: JsonWebKey[]; "client-payload": { nonce: string } };
    expect(runtime.keys[0]!.kid).toBe("TpmEphemeralEncryptionKey");
    expect(runtime["client-payload"]).toEqual({ nonce: "MTIzNA==" });
    expect(claims["x-ms-compliance-status"]).toBeUndefined();
  });

  it("tokens of both modes satisfy the release policies the product builds for them", async () => {
    const container = await verified(
      await authority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeKey], hostdata: HOSTDATA }),
    );
    const node = await verified(await authority.issueToken({ mode: "confidential-node", runtimeKeys: [runtimeKey] }));
    const containerPolicy = buildReleasePolicy({ authority: authority.url, mode: "confidential-container", hostdata: HOSTDATA });
    const nodePolicy = buildReleasePolicy({ authority: authority.url, mode: "confidential-node" });
    expect(evaluateReleasePolicy(containerPolicy, container)).toMatchObject({ allowed: true });
    expect(evaluateReleasePolicy(nodePolicy, node)).toMatchObject({ allowed: true });
    // ...and not each other's: the shapes really differ.
    expect(evaluateReleasePolicy(containerPolicy, node)).toMatchObject({ allowed: false });
    expect(evaluateReleasePolicy(nodePolicy, container)).toMatchObject({ allowed: false });
  });

  it("debuggable, compliance status, lifetime and extraClaims shape refused tokens", async () => {
    const debugNode = decodeJwtPart(await authority.issueToken({ mode: "confidential-node", runtimeKeys: [], debuggable: true }), 1);
    expect((debugNode["x-ms-isolation-tee"] as Record<string, unknown>)["x-ms-sevsnpvm-is-debuggable"]).toBe(true);

    const status = decodeJwtPart(
      await authority.issueToken({ mode: "confidential-container", runtimeKeys: [], complianceStatus: "not-compliant" }),
      1,
    );
    expect(status["x-ms-compliance-status"]).toBe("not-compliant");

    const expired = await authority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeKey], expiresInSeconds: -60 });
    expect(decodeJwtPart(expired, 1).exp as number).toBeLessThan(Date.now() / 1000);
    await expect(verified(expired)).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });

    const keyless = decodeJwtPart(
      await authority.issueToken({
        mode: "confidential-container",
        runtimeKeys: [runtimeKey],
        extraClaims: { "x-ms-runtime": undefined, "x-ms-sevsnpvm-vmpl": 2 },
      }),
      1,
    );
    expect(keyless).not.toHaveProperty("x-ms-runtime");
    expect(keyless["x-ms-sevsnpvm-vmpl"]).toBe(2);
  });

  it("refuses requests that carry private key material or malformed fields", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const leaked = { ...privateKey.export({ format: "jwk" }), kid: "oops", key_ops: ["encrypt"] };
    await expect(authority.issueToken({ mode: "confidential-container", runtimeKeys: [leaked] })).rejects.toMatchObject({
      code: "TOKEN_REQUEST_INVALID",
      message: expect.stringContaining("private members"),
    });
    await expect(
      authority.issueToken({ mode: "confidential-container", runtimeKeys: [runtimeKey], hostdata: "ABC" }),
    ).rejects.toMatchObject({ code: "TOKEN_REQUEST_INVALID", message: expect.stringContaining("hostdata") });
    await expect(
      authority.issueToken({ mode: "tdx" as never, runtimeKeys: [] }),
    ).rejects.toMatchObject({ code: "TOKEN_REQUEST_INVALID", message: expect.stringContaining("mode") });
  });

  it("POST /attest/simulated issues a token for an out-of-process attester and rejects bad bodies", async () => {
    const ok = await rawRequest(`${authority.url}/attest/simulated`, {
      method: "POST",
      ca: ca.certPem,
      body: { mode: "confidential-container", runtimeKeys: [runtimeKey], hostdata: HOSTDATA, nonce: "abc" },
    });
    expect(ok.status).toBe(200);
    const claims = await verified((ok.body as { token: string }).token);
    expect(claims["x-ms-sevsnpvm-hostdata"]).toBe(HOSTDATA);
    expect((claims["x-ms-runtime"] as { "client-payload": unknown })["client-payload"]).toEqual({ nonce: "abc" });

    // Claim overrides are an in-process test hook only: the HTTP endpoint ignores them.
    const sneaky = await rawRequest(`${authority.url}/attest/simulated`, {
      method: "POST",
      ca: ca.certPem,
      body: { mode: "confidential-container", runtimeKeys: [runtimeKey], extraClaims: { iss: "https://elsewhere" }, expiresInSeconds: 1e9 },
    });
    const sneakyClaims = await verified((sneaky.body as { token: string }).token);
    expect(sneakyClaims.iss).toBe(authority.url);
    expect((sneakyClaims.exp as number) - (sneakyClaims.iat as number)).toBe(8 * 3600);

    const bad = await rawRequest(`${authority.url}/attest/simulated`, { method: "POST", ca: ca.certPem, body: { mode: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "InvalidRequest", message: expect.stringContaining("mode") } });

    const missing = await rawRequest(`${authority.url}/nowhere`, { ca: ca.certPem });
    expect(missing.status).toBe(404);
  });
});
