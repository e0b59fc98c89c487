import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalCa, pemChainToX5c, type LocalCa } from "../../enclave-app/src/local/ca.ts";
import { LocalCleanRoomError } from "../../enclave-app/src/local/errors.ts";
import { sendJson, startLoopbackHttpsServer, type LoopbackHttpsServer } from "../../enclave-app/src/local/https-server.ts";
import { rawRequest } from "./helpers.ts";

describe("local CA", () => {
  let ca: LocalCa;
  let other: LocalCa;
  let server: LoopbackHttpsServer;

  beforeAll(async () => {
    [ca, other] = await Promise.all([createLocalCa(), createLocalCa()]);
    server = await startLoopbackHttpsServer(await ca.issueServerCert(["127.0.0.1", "localhost"]), async (_req, res) =>
      sendJson(res, 200, { hello: "tls" }),
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it("has a self-signed CA certificate limited to signing certificates", () => {
    const root = new X509Certificate(ca.certPem);
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.subject).toContain("simulated");
  });

  it("issues loopback server certificates that chain to the CA and name IP and DNS hosts", async () => {
    const issued = await ca.issueServerCert(["127.0.0.1", "localhost"]);
    const leaf = new X509Certificate(issued.certPem);
    const root = new X509Certificate(ca.certPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(leaf.checkHost("localhost")).toBe("localhost");
    expect(leaf.checkHost("example.com")).toBeUndefined();
    expect(leaf.keyUsage).toContain("1.3.6.1.5.5.7.3.1"); // serverAuth
    expect(issued.chainPem).toEqual([issued.certPem, ca.certPem]);
    // The private key belongs to the certificate.
    const signature = sign("sha256", Buffer.from("probe"), createPrivateKey(issued.keyPem));
    expect(verify("sha256", Buffer.from("probe"), leaf.publicKey, signature)).toBe(true);
  });

  it("issues RSA signing certificates usable for RS256, without TLS server usage", async () => {
    const issued = await ca.issueSigningCert("Receipt signer");
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.publicKey.asymmetricKeyType).toBe("rsa");
    expect(leaf.subject).toContain("CN=Receipt signer");
    expect(leaf.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(leaf.keyUsage ?? []).not.toContain("1.3.6.1.5.5.7.3.1");
    expect(createPublicKey(createPrivateKey(issued.keyPem)).export({ format: "jwk" }).n).toBe(
      leaf.publicKey.export({ format: "jwk" }).n,
    );
  });

  it("certificates of one CA do not verify under another", async () => {
    const leaf = new X509Certificate((await ca.issueSigningCert("x")).certPem);
    const foreign = new X509Certificate(other.certPem);
    expect(leaf.checkIssued(foreign)).toBe(false);
    expect(leaf.verify(foreign.publicKey)).toBe(false);
  });

  it("rejects unusable host names and empty requests with CA_INVALID_REQUEST", async () => {
    await expect(ca.issueServerCert([])).rejects.toMatchObject({ code: "CA_INVALID_REQUEST" });
    await expect(ca.issueServerCert(["bad host!"])).rejects.toBeInstanceOf(LocalCleanRoomError);
    await expect(ca.issueSigningCert("  ")).rejects.toMatchObject({ code: "CA_INVALID_REQUEST" });
  });

  it("issues certificates with a chosen validity window, also one already over", async () => {
    const notBefore = new Date(Date.now() - 10 * 86400_000);
    const notAfter = new Date(Date.now() - 86400_000);
    const expired = new X509Certificate((await ca.issueCertificate({ commonName: "old", usage: "signing", notBefore, notAfter })).certPem);
    expect(new Date(expired.validFrom).getTime()).toBe(Math.floor(notBefore.getTime() / 1000) * 1000);
    expect(new Date(expired.validTo).getTime()).toBe(Math.floor(notAfter.getTime() / 1000) * 1000);
    expect(expired.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    await expect(ca.issueCertificate({ commonName: "backwards", usage: "signing", notBefore: notAfter, notAfter: notBefore })).rejects.toMatchObject({
      code: "CA_INVALID_REQUEST",
    });
  });

  it("issues intermediate CAs only when the root allows them, and chains leaf -> intermediate -> root", async () => {
    await expect(ca.issueIntermediateCa("Sub CA")).rejects.toMatchObject({ code: "CA_INVALID_REQUEST" });
    const root = await createLocalCa({ maxIntermediates: 1 });
    const intermediate = await root.issueIntermediateCa("Sub CA");
    await expect(intermediate.issueIntermediateCa("Sub-sub CA")).rejects.toMatchObject({ code: "CA_INVALID_REQUEST" });
    const sub = new X509Certificate(intermediate.certPem);
    expect(sub.ca).toBe(true);
    expect(sub.checkIssued(new X509Certificate(root.certPem))).toBe(true);
    expect(intermediate.chainPem).toEqual([intermediate.certPem, root.certPem]);
    const issued = await intermediate.issueSigningCert("leaf");
    expect(issued.chainPem).toEqual([issued.certPem, intermediate.certPem, root.certPem]);
    const leaf = new X509Certificate(issued.certPem);
    expect(leaf.checkIssued(sub)).toBe(true);
    expect(leaf.verify(sub.publicKey)).toBe(true);
    expect(leaf.verify(new X509Certificate(root.certPem).publicKey)).toBe(false);
  });

  it("x5c encodes the chain as standard base64 DER, leaf first", async () => {
    const issued = await ca.issueSigningCert("jws");
    const x5c = pemChainToX5c(issued.chainPem);
    expect(x5c).toHaveLength(2);
    expect(new X509Certificate(Buffer.from(x5c[0]!, "base64")).fingerprint256).toBe(new X509Certificate(issued.certPem).fingerprint256);
    expect(new X509Certificate(Buffer.from(x5c[1]!, "base64")).fingerprint256).toBe(new X509Certificate(ca.certPem).fingerprint256);
  });

  it("TLS to a loopback server succeeds only for a client given this CA", async () => {
    const ok = await rawRequest(`${server.url}/`, { ca: ca.certPem });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ hello: "tls" });
    await expect(rawRequest(`${server.url}/`)).rejects.toThrow(/certificate/i);
    await expect(rawRequest(`${server.url}/`, { ca: other.certPem })).rejects.toThrow(/certificate|signature/i);
  });
});
