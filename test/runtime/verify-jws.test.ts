// The enclave trusts a release response only when its JWS verifies with the x5c leaf, the chain
// leads to a trusted root, every certificate is in date and the leaf names the vault host.
import { describe, expect, it, beforeAll } from "vitest";
import { ReleaseJwsError, verifyReleaseJws, type ReleaseJwsFailure } from "../../enclave-app/src/runtime/keyrelease/verify-jws.ts";
import { issue, makeRoot, signWithChain, type TestCert } from "./helpers/pki.ts";

const HOST = "party-a.vault.azure.net";
const payload = { response: { key: { key: { kid: `https://${HOST}/keys/k/1` } } } };
let root: TestCert;
let intermediate: TestCert;
let leaf: TestCert;

beforeAll(async () => {
  root = await makeRoot();
  intermediate = await issue(root, { commonName: "Test Issuing CA", ca: true });
  leaf = await issue(intermediate, { commonName: HOST, hostnames: [HOST, "127.0.0.1"] });
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
    const verified = verifyReleaseJws(jws, { trustedRoots: [root.pem], vaultHost: HOST });
    expect(verified.payload).toEqual(payload);
    // The local Key Vault stand-in is reached by IP literal.
    expect(() => verifyReleaseJws(jws, { trustedRoots: [root.pem], vaultHost: "127.0.0.1" })).not.toThrow();
  });

  it("rejects a leaf issued for another host", async () => {
    const jws = await signWithChain(payload, leaf, [leaf, intermediate]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.pem], vaultHost: "party-b.vault.azure.net" }))).toBe("host-mismatch");
  });

  it("rejects an expired certificate", async () => {
    const expired = await issue(intermediate, { commonName: HOST, hostnames: [HOST], notBefore: new Date(Date.now() - 10 * 86400_000), notAfter: new Date(Date.now() - 86400_000) });
    const jws = await signWithChain(payload, expired, [expired, intermediate]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("expired-certificate");
  });

  it("rejects a chain that ends at an untrusted root", async () => {
    const otherRoot = await makeRoot("Attacker Root");
    const rogue = await issue(otherRoot, { commonName: HOST, hostnames: [HOST] });
    const jws = await signWithChain(payload, rogue, [rogue, otherRoot]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("untrusted-root");
  });

  it("rejects a signature that does not verify with the leaf (altered payload or other signer)", async () => {
    const jws = await signWithChain(payload, leaf, [leaf, intermediate]);
    const [h, , s] = jws.split(".");
    const altered = `${h}.${Buffer.from(JSON.stringify({ response: { key: { key: { kid: "evil" } } } })).toString("base64url")}.${s}`;
    expect(reason(() => verifyReleaseJws(altered, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("bad-signature");
    const signedByOther = await signWithChain(payload, intermediate, [leaf, intermediate]);
    expect(reason(() => verifyReleaseJws(signedByOther, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("bad-signature");
  });

  it("rejects a chain whose links do not issue each other", async () => {
    const unrelated = await issue(root, { commonName: "Unrelated CA", ca: true });
    const jws = await signWithChain(payload, leaf, [leaf, unrelated]);
    expect(reason(() => verifyReleaseJws(jws, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("broken-chain");
  });

  it("requires x5c and a known algorithm", () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    expect(reason(() => verifyReleaseJws(`${b64({ alg: "RS256" })}.${b64(payload)}.AAAA`, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("missing-x5c");
    expect(reason(() => verifyReleaseJws(`${b64({ alg: "none", x5c: [leaf.der] })}.${b64(payload)}.`, { trustedRoots: [root.pem], vaultHost: HOST }))).toBe(
      "unsupported-alg",
    );
    expect(reason(() => verifyReleaseJws("a.b", { trustedRoots: [root.pem], vaultHost: HOST }))).toBe("malformed");
  });
});
