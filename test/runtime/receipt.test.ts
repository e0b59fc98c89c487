// Receipts: signed by the enclave's ephemeral key, bound into the attestation token, verifiable
// offline; each tampering is caught by the check that names it.
import { createHash, generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { contractHash, type Contract } from "../../enclave-app/src/protocol/index.ts";
import { generateRuntimeKeys, generateSigningKey, receiptKeyNonce, runtimeDataFor, type RuntimeKeys } from "../../enclave-app/src/runtime/attest/attester.ts";
import { buildReceipt } from "../../enclave-app/src/runtime/receipt/build.ts";
import { signReceipt } from "../../enclave-app/src/runtime/receipt/sign.ts";
import { verifyReceipt, type Receipt, type ReceiptCheck, type VerifyReceiptOptions } from "../../enclave-app/src/receipt/index.ts";
import { makeContract, makeParty } from "./helpers/contract.ts";

const AUTHORITY = "https://cleanroomtest.weu.attest.azure.net";
const OTHER_AUTHORITY = "https://attacker.weu.attest.azure.net";
const NOW = Math.floor(Date.now() / 1000);

interface Authority {
  url: string;
  key: KeyObject;
  jwks: { keys: JsonWebKey[] };
}

function makeAuthority(url: string, kid: string): Authority {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { url, key: privateKey, jwks: { keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256" } as JsonWebKey] } };
}

const nodeClaims = (debuggable = false) => ({
  "x-ms-attestation-type": "azurevm",
  "x-ms-isolation-tee": { "x-ms-attestation-type": "sevsnpvm", "x-ms-compliance-status": "azure-compliant-cvm", "x-ms-sevsnpvm-is-debuggable": debuggable },
});

async function token(authority: Authority, runtime: object, opts: { iss?: string; iat?: number; exp?: number; debuggable?: boolean } = {}): Promise<string> {
  const kid = (authority.jwks.keys[0] as { kid: string }).kid;
  return new SignJWT({ ...nodeClaims(opts.debuggable), "x-ms-runtime": runtime })
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .setIssuer(opts.iss ?? authority.url)
    .setIssuedAt(opts.iat ?? NOW)
    .setNotBefore(opts.iat ?? NOW)
    .setExpirationTime(opts.exp ?? NOW + 8 * 3600)
    .sign(authority.key);
}

const CIPHERTEXT = Buffer.from("the encrypted result blob");
let authority: Authority;
let other: Authority;
let keys: RuntimeKeys;
let contract: Contract;

beforeAll(() => {
  authority = makeAuthority(AUTHORITY, "maa-key-1");
  other = makeAuthority(OTHER_AUTHORITY, "maa-key-1");
  keys = generateRuntimeKeys({ rsaBits: 2048 }).keys;
  const bank = makeParty("bank");
  const insurer = makeParty("insurer");
  contract = makeContract({
    parties: [bank, insurer],
    datasets: [
      { name: "sales", owner: "bank", blobPath: "bank-in/sales.csv.enc", format: "csv", schema: [{ name: "region", type: "VARCHAR" }], ciphertextSha256: "1".repeat(64), plaintextLength: 100 },
      { name: "claims", owner: "insurer", blobPath: "insurer-in/claims.csv.enc", format: "csv", schema: [{ name: "region", type: "VARCHAR" }], ciphertextSha256: "2".repeat(64), plaintextLength: 200 },
    ],
    sql: "SELECT region, count(*) AS n FROM sales GROUP BY region",
    recipients: ["bank"],
    authority: AUTHORITY,
  });
});

async function makeReceipt(opts: { tokenValue?: string; signing?: RuntimeKeys["signing"]; binding?: "runtime-keys" | "client-payload-nonce"; startedAt?: Date } = {}): Promise<Receipt> {
  const signing = opts.signing ?? keys.signing;
  const binding = opts.binding ?? "runtime-keys";
  const tokenValue = opts.tokenValue ?? (await token(authority, runtimeDataFor(keys)));
  const hash = contractHash(contract);
  const startedAt = opts.startedAt ?? new Date();
  const body = buildReceipt({
    contract,
    contractHash: hash,
    runId: "job-1",
    startedAt,
    finishedAt: new Date(startedAt.getTime() + 60_000),
    attester: { kind: "local", mode: "confidential-node", keyBinding: binding, signing },
    token: tokenValue,
    datasets: [
      { name: "sales", rowCount: 10 },
      { name: "claims", rowCount: 20 },
    ],
    keysReleased: [{ party: "bank", keyId: contract.parties[0]!.kek.keyId, mechanism: "released-key" }],
    outputs: [{ recipient: "bank", container: "output", blobName: `${hash}/job-1/result.bank.csv`, ciphertextSha256: createHash("sha256").update(CIPHERTEXT).digest("hex"), ciphertextLength: CIPHERTEXT.length }],
    rowsReleased: 3,
    rowsSuppressed: 1,
  });
  return signReceipt(body, signing.privateKey, signing.kid);
}

async function firstFailure(receipt: unknown, opts: VerifyReceiptOptions): Promise<ReceiptCheck | "ok"> {
  const result = await verifyReceipt(receipt, opts);
  return result.ok ? "ok" : result.failure.check;
}

describe("verifyReceipt", () => {
  it("accepts an untouched receipt and runs every applicable check", async () => {
    const receipt = await makeReceipt();
    const result = await verifyReceipt(JSON.parse(JSON.stringify(receipt)), {
      jwks: authority.jwks,
      contract,
      outputBlobs: { [receipt.outputs[0]!.blobName]: CIPHERTEXT },
    });
    expect(result.ok).toBe(true);
    expect(result.passed).toEqual([
      "shape",
      "token-issuer",
      "token-signature",
      "token-validity",
      "signer-binding",
      "receipt-signature",
      "contract-hash",
      "contract-match",
      "attestation-policy",
      "output-digest",
    ]);
  });

  it("catches an edited receipt", async () => {
    const receipt = await makeReceipt();
    const edited = { ...receipt, privacy: { ...receipt.privacy, rowsSuppressed: 0 } };
    expect(await firstFailure(edited, { jwks: authority.jwks })).toBe("receipt-signature");
    const moreRows = { ...receipt, datasets: receipt.datasets.map((d) => ({ ...d, rowCount: d.rowCount + 1 })) };
    expect(await firstFailure(moreRows, { jwks: authority.jwks })).toBe("receipt-signature");
  });

  it("catches another output blob (by blob name or by file name)", async () => {
    const receipt = await makeReceipt();
    const blob = receipt.outputs[0]!.blobName;
    expect(await firstFailure(receipt, { jwks: authority.jwks, outputBlobs: { [blob]: Buffer.from("another result") } })).toBe("output-digest");
    expect(await firstFailure(receipt, { jwks: authority.jwks, outputBlobs: { "result.bank.csv": CIPHERTEXT } })).toBe("ok");
    expect(await firstFailure(receipt, { jwks: authority.jwks, outputBlobs: { "result.insurer.csv": CIPHERTEXT } })).toBe("output-digest");
  });

  it("catches a token from another authority", async () => {
    const foreign = await makeReceipt({ tokenValue: await token(other, runtimeDataFor(keys)) });
    const fixed = { ...foreign, attestation: { ...foreign.attestation, authority: OTHER_AUTHORITY } };
    // The contract names the authority to trust.
    expect(await firstFailure(fixed, { jwks: other.jwks, contract })).toBe("token-issuer");
    expect(await firstFailure(fixed, { trustedAuthorities: [AUTHORITY], fetchJwks: async () => other.jwks })).toBe("token-issuer");
    // A token claiming our authority but signed by someone else.
    const forged = await makeReceipt({ tokenValue: await token(other, runtimeDataFor(keys), { iss: AUTHORITY }) });
    expect(await firstFailure(forged, { jwks: authority.jwks })).toBe("token-signature");
  });

  it("fetches the authority's keys only for a trusted issuer", async () => {
    const receipt = await makeReceipt();
    const fetched: string[] = [];
    const fetchJwks = async (iss: string) => {
      fetched.push(iss);
      return authority.jwks;
    };
    expect(await firstFailure(receipt, { trustedAuthorities: [AUTHORITY], fetchJwks })).toBe("ok");
    expect(fetched).toEqual([AUTHORITY]);
    expect(await firstFailure(receipt, {})).toBe("token-signature");
  });

  it("catches a receipt signed by a key the token does not bind", async () => {
    const stranger = generateSigningKey();
    const receipt = await makeReceipt({ signing: stranger });
    expect(await firstFailure(receipt, { jwks: authority.jwks })).toBe("signer-binding");
  });

  it("accepts the confidential-node binding through the client payload nonce", async () => {
    const signing = generateSigningKey();
    const tokenValue = await token(authority, { "client-payload": { nonce: receiptKeyNonce(signing.publicJwk) }, keys: [{ kid: "TpmEphemeralEncryptionKey", kty: "RSA" }] });
    const receipt = await makeReceipt({ tokenValue, signing, binding: "client-payload-nonce" });
    expect(await firstFailure(receipt, { jwks: authority.jwks, contract })).toBe("ok");
    const wrongNonce = await makeReceipt({ tokenValue: await token(authority, { "client-payload": { nonce: "something else" } }), signing, binding: "client-payload-nonce" });
    expect(await firstFailure(wrongNonce, { jwks: authority.jwks })).toBe("signer-binding");
  });

  it("judges the token at run time, not now", async () => {
    const runStart = new Date((NOW - 30 * 86400) * 1000);
    const oldToken = await token(authority, runtimeDataFor(keys), { iat: NOW - 30 * 86400, exp: NOW - 30 * 86400 + 8 * 3600 });
    expect(await firstFailure(await makeReceipt({ tokenValue: oldToken, startedAt: runStart }), { jwks: authority.jwks })).toBe("ok");
    const expiredBefore = await token(authority, runtimeDataFor(keys), { iat: NOW - 2 * 86400, exp: NOW - 86400 });
    expect(await firstFailure(await makeReceipt({ tokenValue: expiredBefore }), { jwks: authority.jwks })).toBe("token-validity");
  });

  it("checks the contract: its hash and its attestation requirements", async () => {
    const receipt = await makeReceipt();
    const otherContract = { ...contract, sql: `${contract.sql} ORDER BY 1` };
    expect(await firstFailure(receipt, { jwks: authority.jwks, contract: otherContract })).toBe("contract-hash");
    const debuggable = await makeReceipt({ tokenValue: await token(authority, runtimeDataFor(keys), { debuggable: true }) });
    const result = await verifyReceipt(debuggable, { jwks: authority.jwks, contract });
    expect(result.ok ? "ok" : result.failure.check).toBe("attestation-policy");
    expect(result.ok ? "" : result.failure.message).toMatch(/is-debuggable/);
  });

  it("checks the attested TEE even without the contract (a valid signature alone is not enough)", async () => {
    const good = await verifyReceipt(await makeReceipt(), { jwks: authority.jwks });
    expect(good.passed).toEqual(["shape", "token-issuer", "token-signature", "token-validity", "signer-binding", "receipt-signature", "attestation-policy"]);
    const debuggable = await verifyReceipt(await makeReceipt({ tokenValue: await token(authority, runtimeDataFor(keys), { debuggable: true }) }), { jwks: authority.jwks });
    expect(debuggable.ok ? "ok" : debuggable.failure.check).toBe("attestation-policy");
    expect(debuggable.ok ? "" : debuggable.failure.message).toMatch(/x-ms-isolation-tee\.x-ms-sevsnpvm-is-debuggable/);
  });

  it("confidential-container: refuses a token whose hostdata is not the contract's approved container policy", async () => {
    const approved = "a".repeat(64);
    const started = "b".repeat(64);
    const containerContract = { ...contract, attestation: { authority: AUTHORITY, mode: "confidential-container" as const, hostdata: approved } };
    const kid = (authority.jwks.keys[0] as { kid: string }).kid;
    const containerToken = (hostdata: string) =>
      new SignJWT({
        "x-ms-attestation-type": "sevsnpvm",
        "x-ms-compliance-status": "azure-compliant-uvm",
        "x-ms-sevsnpvm-hostdata": hostdata,
        "x-ms-sevsnpvm-is-debuggable": false,
        "x-ms-runtime": runtimeDataFor(keys),
      })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuer(AUTHORITY)
        .setIssuedAt(NOW)
        .setExpirationTime(NOW + 3600)
        .sign(authority.key);
    const receiptFor = async (tokenValue: string) => {
      const hash = contractHash(containerContract);
      const body = buildReceipt({
        contract: containerContract,
        contractHash: hash,
        runId: "job-c",
        startedAt: new Date(),
        finishedAt: new Date(),
        attester: { kind: "sidecar", mode: "confidential-container", keyBinding: "runtime-keys", signing: keys.signing },
        token: tokenValue,
        datasets: [
          { name: "sales", rowCount: 10 },
          { name: "claims", rowCount: 20 },
        ],
        keysReleased: [],
        outputs: [{ recipient: "bank", container: "output", blobName: `${hash}/job-c/result.bank.csv`, ciphertextSha256: "0".repeat(64), ciphertextLength: 1 }],
        rowsReleased: 1,
        rowsSuppressed: 0,
      });
      return signReceipt(body, keys.signing.privateKey, keys.signing.kid);
    };
    expect(await firstFailure(await receiptFor(await containerToken(approved)), { jwks: authority.jwks, contract: containerContract })).toBe("ok");
    const other = await verifyReceipt(await receiptFor(await containerToken(started)), { jwks: authority.jwks, contract: containerContract });
    expect(other.ok ? "ok" : other.failure.check).toBe("attestation-policy");
    const message = other.ok ? "" : other.failure.message;
    expect(message).toMatch(/x-ms-sevsnpvm-hostdata/);
    expect(message).toContain(`"${approved.slice(0, 16)}…${approved.slice(-8)}"`);
    expect(message).toContain(`"${started.slice(0, 16)}…${started.slice(-8)}"`);
    expect(message).not.toContain(started);
    // Without the contract only the shape of the claim can be checked: the token's own hostdata is used.
    expect(await firstFailure(await receiptFor(await containerToken(started)), { jwks: authority.jwks })).toBe("ok");
  });

  it("rejects a malformed receipt", async () => {
    const receipt = await makeReceipt();
    const { signature: _s, ...unsigned } = receipt;
    expect(await firstFailure(unsigned, { jwks: authority.jwks })).toBe("shape");
    expect(await firstFailure({ ...receipt, contractHash: "xyz" }, { jwks: authority.jwks })).toBe("shape");
  });
});
