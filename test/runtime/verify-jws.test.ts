// The enclave trusts a release response only when its JWS verifies with the x5c leaf, the chain
// leads to a trusted root, every certificate is in date and the leaf names the vault host.
import { describe, expect, it, beforeAll } from "vitest";
import { ReleaseJwsError, verifyReleaseJws, type ReleaseJwsFailure } from "../../enclave-app/src/runtime/keyrelease/verify-jws.ts";
import { pemChainToX5c, type IssuedCert } from "../../enclave-app/src/local/ca.ts";
import { generateKeyPairSync } from "node:crypto";
import { CompactSign } from "jose";
import { ecKeyPair, handBuiltCertificate, issue, makeRoot, signWithChain, type TestCa } from "./helpers/pki.ts";

const HOST = "party-a.vault.azure.net";
const payload = { response: { key: { key: { kid: `https://${HOST}/keys/k/1` } } } };
let root: TestCa;
let intermediate: TestCa;
let leaf: IssuedCert;
/** A second leaf of the same CA and host: a signer other than the certificate presented. */
let impostor: IssuedCert;

beforeAll(async () => {
  root = await makeRoot();
  intermediate = await root.issueIntermediateCa("Test Issuing CA");
  [leaf, impostor] = await Promise.all([
    issue(intermediate, { commonName: HOST, hostnames: [HOST, "127.0.0.1"] }),
    issue(intermediate, { commonName: HOST, hostnames: [HOST] }),
  ]);
});

function reason(fn: () => unknown): ReleaseJwsFailure | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReleaseJwsError) return err.reason;
    throw err;
  }
  return undefined;
}

describe("verifyReleaseJws", () => {
  it("accepts a response signed by the vault's certificate chained to a trusted root", async () => {
    const jws = await signWithChain(payload, leaf, [leaf, intermediate]);
    const verified = verifyReleaseJws(jws, { trustedRoots: [root.certPem], vaultHost: HOST });
    expect(verified.payload).toEqual(payload);
    // The local Key Vault stand-in is reached by IP literal.
    expect(() => verifyReleaseJws(jws, { trustedRoots: [root.certPem], vaultHost: "127.0.0.1" })).not.toThrow();
  });

  it("rejects a leaf issued for another host", async () => {
    const jws = await signWithChain(payload, leaf, [leaf, intermediate]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.certPem], vaultHost: "party-b.vault.azure.net" }))).toBe("host-mismatch");
  });

  it("rejects an expired certificate", async () => {
    const expired = await issue(intermediate, { commonName: HOST, hostnames: [HOST], notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
    const jws = await signWithChain(payload, expired, [expired, intermediate]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("expired-certificate");
  });

  it("rejects a chain that ends at an untrusted root", async () => {
    const otherRoot = await makeRoot(); // an independent CA, never handed to the verifier
    const rogue = await issue(otherRoot, { commonName: HOST, hostnames: [HOST] });
    const jws = await signWithChain(payload, rogue, [rogue, otherRoot]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("untrusted-root");
  });

  it("rejects a signature that does not verify with the leaf (altered payload or other signer)", async () => {
    const jws = await signWithChain(payload, leaf, [leaf, intermediate]);
    const [h, , s] = jws.split(".");
    const altered = `${h}.${Buffer.from(JSON.stringify({ response: { key: { key: { kid: "evil" } } } })).toString("base64url")}.${s}`;
    expect(reason(() => verifyReleaseJws(altered, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("bad-signature");
    const signedByOther = await signWithChain(payload, impostor, [leaf, intermediate]);
    expect(reason(() => verifyReleaseJws(signedByOther, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("bad-signature");
  });

  it("rejects a chain whose links do not issue each other", async () => {
    const unrelated = await root.issueIntermediateCa("Unrelated CA");
    const jws = await signWithChain(payload, leaf, [leaf, unrelated]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("broken-chain");
  });

  it("requires x5c and a known algorithm", () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    expect(reason(() => verifyReleaseJws(`${b64({ alg: "RS256" })}.${b64(payload)}.AAAA`, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("missing-x5c");
    expect(reason(() => verifyReleaseJws(`${b64({ alg: "none", x5c: pemChainToX5c([leaf.certPem]) })}.${b64(payload)}.`, { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe(
      "unsupported-alg",
    );
    expect(reason(() => verifyReleaseJws("a.b", { trustedRoots: [root.certPem], vaultHost: HOST }))).toBe("malformed");
  });

  it("rejects a leaf signed by a certificate that is not a CA, even when that certificate chains to a trusted root", async () => {
    // Someone holding an ordinary certificate (no CA flag, no key usage) from a trusted root signs a
    // "leaf" for the vault host with its key. Names and signatures all line up; only the CA flag tells.
    const rootKeys = ecKeyPair();
    const ordinaryKeys = ecKeyPair();
    const forgedKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const trustedRoot = handBuiltCertificate({ subject: "Hand Root", issuer: "Hand Root", publicKey: rootKeys.publicKey, issuerKey: rootKeys.privateKey, ca: true });
    const ordinary = handBuiltCertificate({ subject: "attacker.example", issuer: "Hand Root", publicKey: ordinaryKeys.publicKey, issuerKey: rootKeys.privateKey, dnsName: "attacker.example" });
    const forged = handBuiltCertificate({ subject: HOST, issuer: "attacker.example", publicKey: forgedKeys.publicKey, issuerKey: ordinaryKeys.privateKey, dnsName: HOST });
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "RS256", x5c: pemChainToX5c([forged, ordinary]) })
      .sign(forgedKeys.privateKey);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [trustedRoot], vaultHost: HOST }))).toBe("issuer-not-ca");

    // The same chain with a proper CA in the middle is accepted: the rule is the CA flag, nothing else.
    const caKeys = ecKeyPair();
    const issuingCa = handBuiltCertificate({ subject: "Hand Issuing CA", issuer: "Hand Root", publicKey: caKeys.publicKey, issuerKey: rootKeys.privateKey, ca: true });
    const proper = handBuiltCertificate({ subject: HOST, issuer: "Hand Issuing CA", publicKey: forgedKeys.publicKey, issuerKey: caKeys.privateKey, dnsName: HOST });
    const good = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "RS256", x5c: pemChainToX5c([proper, issuingCa]) })
      .sign(forgedKeys.privateKey);
    expect(verifyReleaseJws(good, { trustedRoots: [trustedRoot], vaultHost: HOST }).payload).toEqual(payload);
  });

  it("rejects a chain whose last certificate names a trusted certificate that is not a CA as its issuer", async () => {
    const rootKeys = ecKeyPair();
    const leafKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    // A trust store entry that is an end-entity certificate, not a CA.
    const notACa = handBuiltCertificate({ subject: "Pinned Server", issuer: "Pinned Server", publicKey: rootKeys.publicKey, issuerKey: rootKeys.privateKey });
    const leafPem = handBuiltCertificate({ subject: HOST, issuer: "Pinned Server", publicKey: leafKeys.publicKey, issuerKey: rootKeys.privateKey, dnsName: HOST });
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "RS256", x5c: pemChainToX5c([leafPem]) })
      .sign(leafKeys.privateKey);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [notACa], vaultHost: HOST }))).toBe("untrusted-root");
  });
});
