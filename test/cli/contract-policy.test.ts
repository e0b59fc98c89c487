// The `contract` and `policy` command groups, run in-process on a fresh commander program with the
// same error handling as enclave-app/bin/cleanroom.ts, plus a smoke test of the real bin.
import { spawnSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { SignJWT, exportJWK } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { register as registerContract } from "../../enclave-app/src/cli/commands/contract.ts";
import { register as registerPolicy } from "../../enclave-app/src/cli/commands/policy.ts";
import { exitCodeFor, formatError } from "../../enclave-app/src/cli/output.ts";
import {
  buildReleasePolicy,
  contractHash,
  encodeReleasePolicy,
  parseContract,
  signApproval,
  verifyApprovals,
  type Claims,
} from "../../enclave-app/src/protocol/index.ts";
import { FIXTURE_AUTHORITY, containerClaims, fixturePath, rawFraudContract, signingKey } from "../protocol/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "cleanroom-cli-protocol-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(...args: string[]): Promise<Run> {
  const result: Run = { code: 0, out: "", err: "" };
  const program = new Command("cleanroom")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void (result.out += s), writeErr: (s) => void (result.err += s), outputError: () => {} });
  registerContract(program);
  registerPolicy(program);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    result.code = exitCodeFor(error);
    if (result.code !== 0) result.err += `${formatError(error)}\n`;
  }
  return result;
}

const CONTRACT = fixturePath("fraud-contract.json");
const BANK_KEY = fixturePath("bank.signing.test-only.jwk.json");
const contract = parseContract(rawFraudContract());
const HASH = contractHash(contract);

describe("cleanroom contract hash", () => {
  it("prints the contract hash", async () => {
    expect(await run("contract", "hash", CONTRACT)).toEqual({ code: 0, out: `${HASH}\n`, err: "" });
  });

  it("exits 1 listing every issue of an invalid contract", async () => {
    const broken = rawFraudContract();
    broken.sql = "";
    broken.datasets[1].owner = "auditor";
    const r = await run("contract", "hash", file("broken.json", broken));
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toContain("sql: sql must be the query");
    expect(r.err).toContain("datasets[1].owner: owner \"auditor\" is not one of the parties");
    expect(r.err).toContain("CONTRACT_INVALID");
  });

  it("exits 2 naming an unreadable or non-JSON file", async () => {
    const missing = await run("contract", "hash", join(dir, "nope.json"));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`contract file ${join(dir, "nope.json")} does not exist`);
    const notJson = await run("contract", "hash", file("notjson.json", "{ version: 1"));
    expect(notJson.code).toBe(2);
    expect(notJson.err).toMatch(/notjson\.json is not valid JSON/);
  });

  it("exits 2 on a contract that gives a key twice: its hash would cover only the last `sql`", async () => {
    const r = await run("contract", "hash", file("twice.json", '{"version": 1, "datasets": [{"name": "a", "name": "b"}], "sql": "SELECT 1"}'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/contract file \S*twice\.json gives the key "name" twice in datasets\[0\]/);
    expect(r.out).toBe("");
  });

  it("does not quote the content of a file that is not JSON (it may be a dataset given by mistake)", async () => {
    const r = await run("contract", "hash", file("rows.csv", "customer,diagnosis\nP-4711,rare-x\n"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/rows\.csv is not valid JSON: Unexpected token .*excerpt withheld/);
    expect(r.err).not.toContain("customer");
    expect(r.err).not.toContain("P-4711");
  });
});

describe("cleanroom contract sign", () => {
  it("prints an approval that verifies (JWK key)", async () => {
    const r = await run("contract", "sign", CONTRACT, "--party", "bank", "--key", BANK_KEY);
    expect(r.code).toBe(0);
    const report = await verifyApprovals(contract, { bank: r.out.trim() });
    expect(report.approved).toEqual(["bank"]);
  });

  it("accepts a PEM private key", async () => {
    const pem = createPrivateKey({ key: signingKey("insurer"), format: "jwk" }).export({ format: "pem", type: "pkcs8" }) as string;
    const r = await run("contract", "sign", CONTRACT, "--party", "insurer", "--key", file("insurer.pem", pem));
    expect(r.code).toBe(0);
    expect((await verifyApprovals(contract, { insurer: r.out.trim() })).approved).toEqual(["insurer"]);
  });

  it("exits 2 for a key that is not the party's, or a missing --key", async () => {
    const wrong = await run("contract", "sign", CONTRACT, "--party", "insurer", "--key", BANK_KEY);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("APPROVAL_KEY_MISMATCH");
    const missing = await run("contract", "sign", CONTRACT, "--party", "bank");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("--key");
  });
});

describe("cleanroom contract verify", () => {
  it("exits 0 with a summary when every owner approved", async () => {
    const approvals = file("approvals-ok.json", {
      bank: await signApproval(contract, "bank", signingKey("bank")),
      insurer: await signApproval(contract, "insurer", signingKey("insurer")),
    });
    const r = await run("contract", "verify", CONTRACT, "--approvals", approvals);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`sha256 ${HASH}`);
    expect(r.out).toContain("✓ bank: approved");
    expect(r.out).toContain("✓ insurer: approved");
    expect(r.out).toContain("Verdict: APPROVED");
  });

  it("exits 1 naming each missing or invalid approver and why", async () => {
    const approvals = file("approvals-bad.json", { bank: "not-a-jws" });
    const r = await run("contract", "verify", CONTRACT, "--approvals", approvals);
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ bank: invalid: malformed approval");
    expect(r.out).toContain("✗ insurer: missing");
    expect(r.out).toContain("Verdict: NOT APPROVED (1 missing, 1 invalid)");
    expect(r.err).toMatch(/APPROVALS_INCOMPLETE: .*insurer missing; bank invalid/);
  });

  it("--json prints the report for machines", async () => {
    const approvals = file("approvals-partial.json", { bank: await signApproval(contract, "bank", signingKey("bank")) });
    const r = await run("contract", "verify", CONTRACT, "--approvals", approvals, "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toEqual({
      ok: false,
      contractHash: HASH,
      required: ["bank", "insurer"],
      approved: ["bank"],
      missing: ["insurer"],
      invalid: [],
    });
  });

  it("exits 2 when the approvals file is not an object of JWS strings", async () => {
    const r = await run("contract", "verify", CONTRACT, "--approvals", file("approvals-array.json", ["a.b.c"]));
    expect(r.code).toBe(2);
    expect(r.err).toContain("approvals-array.json");
  });
});

describe("cleanroom policy build", () => {
  it("prints the policy JSON for each mode", async () => {
    const node = await run("policy", "build", "--mode", "confidential-node", "--authority", `${FIXTURE_AUTHORITY}/`);
    expect(node.code).toBe(0);
    expect(JSON.parse(node.out)).toEqual(buildReleasePolicy({ authority: FIXTURE_AUTHORITY, mode: "confidential-node" }));
    const hostdata = "c".repeat(64);
    const cont = await run("policy", "build", "--mode", "confidential-container", "--authority", FIXTURE_AUTHORITY, "--hostdata", hostdata);
    expect(JSON.parse(cont.out).anyOf[0].allOf).toContainEqual({ claim: "x-ms-sevsnpvm-hostdata", equals: hostdata });
  });

  it("--encoded prints Key Vault's release_policy object", async () => {
    const r = await run("policy", "build", "--mode", "confidential-node", "--authority", FIXTURE_AUTHORITY, "--encoded");
    expect(JSON.parse(r.out)).toEqual(encodeReleasePolicy(buildReleasePolicy({ authority: FIXTURE_AUTHORITY, mode: "confidential-node" })));
  });

  it("exits 2 for unusable requirements", async () => {
    const noHostdata = await run("policy", "build", "--mode", "confidential-container", "--authority", FIXTURE_AUTHORITY);
    expect(noHostdata.code).toBe(2);
    expect(noHostdata.err).toContain("hostdata-required");
    const badMode = await run("policy", "build", "--mode", "sgx", "--authority", FIXTURE_AUTHORITY);
    expect(badMode.code).toBe(2);
    const http = await run("policy", "build", "--mode", "confidential-node", "--authority", "http://a.attest.azure.net");
    expect(http.code).toBe(2);
    expect(http.err).toContain("authority-not-https");
  });
});

describe("cleanroom policy explain", () => {
  const issuerKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const otherKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const now = Math.floor(Date.now() / 1000);

  async function token(claims: Claims, key = issuerKeys.privateKey, exp = now + 3600): Promise<string> {
    const { iat: _iat, nbf: _nbf, exp: _exp, ...rest } = claims;
    return new SignJWT(rest).setProtectedHeader({ alg: "RS256", kid: "maa-1", typ: "JWT" }).setIssuedAt(now - 60).setNotBefore(now - 60).setExpirationTime(exp).sign(key);
  }

  const claims = containerClaims();
  const hostdata = claims["x-ms-sevsnpvm-hostdata"] as string;
  const containerPolicy = buildReleasePolicy({ authority: FIXTURE_AUTHORITY, mode: "confidential-container", hostdata });
  const policyFile = file("container-policy.json", containerPolicy);
  const nodePolicyFile = file("node-policy.json", buildReleasePolicy({ authority: FIXTURE_AUTHORITY, mode: "confidential-node" }));

  async function jwksFile(name: string, publicKey = issuerKeys.publicKey): Promise<string> {
    return file(name, { keys: [{ ...(await exportJWK(publicKey)), kid: "maa-1", use: "sig" }] });
  }

  it("allows a matching token and says the signature was NOT checked without --jwks", async () => {
    const r = await run("policy", "explain", "--policy", policyFile, "--token", file("t1.jwt", await token(claims)));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Token signature: NOT checked/);
    expect(r.out).toContain("Release policy verdict: ALLOW");
  });

  it("verifies signature and expiry first with --jwks", async () => {
    const jwks = await jwksFile("jwks.json");
    const ok = await run("policy", "explain", "--policy", policyFile, "--token", file("t2.jwt", await token(claims)), "--jwks", jwks);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^Token signature: verified \(RS256, kid maa-1/);

    const forged = await run("policy", "explain", "--policy", policyFile, "--token", file("t3.jwt", await token(claims, otherKeys.privateKey)), "--jwks", jwks);
    expect(forged.code).toBe(1);
    expect(forged.out).toMatch(/^Token signature: FAILED/);
    expect(forged.err).toContain("TOKEN_SIGNATURE_INVALID");

    const expired = await run("policy", "explain", "--policy", policyFile, "--token", file("t4.jwt", await token(claims, issuerKeys.privateKey, now - 30)), "--jwks", jwks);
    expect(expired.code).toBe(1);
    expect(expired.out).toContain("ERR_JWT_EXPIRED");
  });

  it("exits 1 on deny, naming the failing claim", async () => {
    const r = await run("policy", "explain", "--policy", nodePolicyFile, "--token", file("t5.jwt", await token(claims)));
    expect(r.code).toBe(1);
    expect(r.out).toContain("✗ x-ms-isolation-tee.x-ms-attestation-type equals \"sevsnpvm\" (token: absent)");
    expect(r.err).toMatch(/RELEASE_DENIED: .*x-ms-isolation-tee\.x-ms-attestation-type/);
  });

  it("reads Key Vault's release_policy object, a key bundle, and a {token} JSON file", async () => {
    const encoded = file("encoded.json", encodeReleasePolicy(containerPolicy));
    const bundle = file("bundle.json", { key: { kid: "https://kv/keys/k/1", kty: "RSA-HSM" }, release_policy: encodeReleasePolicy(containerPolicy) });
    const tokenJson = file("t6.json", { token: await token(claims) });
    for (const policy of [encoded, bundle]) {
      const r = await run("policy", "explain", "--policy", policy, "--token", tokenJson, "--json");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ signature: { checked: false }, decision: { allowed: true, authority: FIXTURE_AUTHORITY } });
    }
  });

  it("exits 2 for a token that is not a JWT or a policy that is not a policy", async () => {
    const badToken = await run("policy", "explain", "--policy", policyFile, "--token", file("t7.jwt", "hello"));
    expect(badToken.code).toBe(2);
    expect(badToken.err).toContain("TOKEN_MALFORMED");
    const badPolicy = await run("policy", "explain", "--policy", file("bad-policy.json", { version: "1.0.0", anyOf: [] }), "--token", file("t8.jwt", await token(claims)));
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.err).toMatch(/POLICY_INVALID: policy file .*bad-policy\.json/);
  });
});

describe("the cleanroom bin", () => {
  it("wires both command groups with the documented exit codes", () => {
    const bin = join(import.meta.dirname, "..", "..", "enclave-app", "bin", "cleanroom.ts");
    const hash = spawnSync(process.execPath, [bin, "contract", "hash", CONTRACT], { encoding: "utf8" });
    expect(hash.status).toBe(0);
    expect(hash.stdout).toBe(`${HASH}\n`);
    const verify = spawnSync(process.execPath, [bin, "contract", "verify", CONTRACT, "--approvals", file("empty.json", {})], { encoding: "utf8" });
    expect(verify.status).toBe(1);
    expect(verify.stderr).toContain("APPROVALS_INCOMPLETE");
    const usage = spawnSync(process.execPath, [bin, "policy", "build", "--authority", FIXTURE_AUTHORITY], { encoding: "utf8" });
    expect(usage.status).toBe(2);
  });
});
