import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { CompactSign, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import {
  APPROVAL_JWS_TYPE,
  ApprovalError,
  contractHash,
  parseApprovals,
  parseContract,
  signApproval,
  verifyApprovals,
  type Contract,
} from "../../enclave-app/src/protocol/index.ts";
import { rawFraudContract, signingKey } from "./fixtures.ts";

const contract = parseContract(rawFraudContract());
const bankKey = signingKey("bank");
const insurerKey = signingKey("insurer");

function payloadOf(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split(".")[1]!, "base64url").toString("utf8"));
}

async function forge(payload: object, key: ReturnType<typeof createPrivateKey>, header: Record<string, unknown>): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key);
}

describe("signApproval", () => {
  it("signs the contract hash with ES256 for an EC P-256 key", async () => {
    const before = Math.floor(Date.now() / 1000);
    const jws = await signApproval(contract, "bank", bankKey);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: "ES256", typ: APPROVAL_JWS_TYPE });
    const payload = payloadOf(jws);
    expect(payload).toMatchObject({ contractHash: contractHash(contract), party: "bank" });
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(Object.keys(payload).sort()).toEqual(["contractHash", "iat", "party"]);
  });

  it("signs with RS256 for an RSA key, given as a KeyObject", async () => {
    const jws = await signApproval(contract, "insurer", createPrivateKey({ key: insurerKey, format: "jwk" }));
    expect(decodeProtectedHeader(jws).alg).toBe("RS256");
  });

  it("refuses unknown parties, public keys, unsupported keys and keys that are not the party's", async () => {
    const cases: [string, Parameters<typeof signApproval>[2], string][] = [
      ["auditor", bankKey, "APPROVAL_UNKNOWN_PARTY"],
      ["bank", createPublicKey({ key: bankKey, format: "jwk" }), "APPROVAL_KEY_NOT_PRIVATE"],
      ["bank", { ...bankKey, d: undefined }, "APPROVAL_KEY_NOT_PRIVATE"],
      ["bank", generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey, "APPROVAL_KEY_UNSUPPORTED"],
      ["bank", insurerKey, "APPROVAL_KEY_MISMATCH"],
    ];
    for (const [party, key, code] of cases) {
      const err = await signApproval(contract, party, key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `${party}/${code}`).toBeInstanceOf(ApprovalError);
      expect((err as ApprovalError).code).toBe(code);
    }
  });
});

describe("verifyApprovals", () => {
  it("is ok when every dataset owner approved this exact contract", async () => {
    const approvals = { bank: await signApproval(contract, "bank", bankKey), insurer: await signApproval(contract, "insurer", insurerKey) };
    expect(await verifyApprovals(contract, approvals)).toEqual({
      ok: true,
      contractHash: contractHash(contract),
      required: ["bank", "insurer"],
      approved: ["bank", "insurer"],
      missing: [],
      invalid: [],
    });
  });

  it("lists missing approvers", async () => {
    const report = await verifyApprovals(contract, { bank: await signApproval(contract, "bank", bankKey) });
    expect(report).toMatchObject({ ok: false, approved: ["bank"], missing: ["insurer"], invalid: [] });
    expect((await verifyApprovals(contract, {})).missing).toEqual(["bank", "insurer"]);
  });

  it("reports each kind of invalid approval with its reason", async () => {
    const good = await signApproval(contract, "bank", bankKey);
    const [h, p, s] = good.split(".") as [string, string, string];
    const tampered = `${h}.${p}.${s.startsWith("A") ? "B" : "A"}${s.slice(1)}`;

    const other = rawFraudContract();
    other.sql += " ORDER BY 1";
    const forOtherContract = await signApproval(parseContract(other), "bank", bankKey);

    const bankPrivate = createPrivateKey({ key: bankKey, format: "jwk" });
    const hash = contractHash(contract);
    const wrongPartyClaim = await forge({ contractHash: hash, party: "insurer", iat: 1 }, bankPrivate, { alg: "ES256", typ: APPROVAL_JWS_TYPE });
    const wrongTyp = await forge({ contractHash: hash, party: "bank", iat: 1 }, bankPrivate, { alg: "ES256", typ: "JWT" });
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: APPROVAL_JWS_TYPE })).toString("base64url")}.${Buffer.from(
      JSON.stringify({ contractHash: hash, party: "bank", iat: 1 }),
    ).toString("base64url")}.`;

    const expectations: [string, string, RegExp][] = [
      ["tampered signature", tampered, /signature does not verify with bank's signingKey/],
      ["other contract", forOtherContract, /signed for another contract/],
      ["party claim", wrongPartyClaim, /party claim names "insurer"/],
      ["typ", wrongTyp, /typ "JWT" is not cleanroom-approval\+jws/],
      ["alg none", unsigned, /alg "none" is not allowed/],
      ["malformed", "not-a-jws", /malformed approval/],
      ["bad header", "!!.e30.sig", /malformed approval/],
    ];
    for (const [name, jws, reason] of expectations) {
      const report = await verifyApprovals(contract, { bank: jws, insurer: await signApproval(contract, "insurer", insurerKey) });
      expect(report.ok, name).toBe(false);
      expect(report.missing, name).toEqual([]);
      expect(report.approved, name).toEqual(["insurer"]);
      expect(report.invalid, name).toEqual([{ party: "bank", reason: expect.stringMatching(reason) }]);
    }
  });

  it("rejects an approval signed with an algorithm the party's key does not use", async () => {
    // The bank's ES256 approval filed under the insurer (an RSA key): the alg alone disqualifies it.
    const report = await verifyApprovals(contract, {
      bank: await signApproval(contract, "bank", bankKey),
      insurer: await signApproval(contract, "bank", bankKey),
    });
    expect(report.invalid).toEqual([{ party: "insurer", reason: "alg ES256 is not allowed for insurer's key; expected RS256" }]);
  });

  it("accepts verifying co-signers that own no dataset, and reports invalid or unknown extra approvals", async () => {
    const regulator = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const raw = rawFraudContract();
    raw.parties.push({ ...structuredClone(raw.parties[0]), name: "regulator", signingKey: regulator.publicKey.export({ format: "jwk" }) });
    const withRegulator: Contract = parseContract(raw);
    const base = {
      bank: await signApproval(withRegulator, "bank", bankKey),
      insurer: await signApproval(withRegulator, "insurer", insurerKey),
    };
    const cosigned = await verifyApprovals(withRegulator, { ...base, regulator: await signApproval(withRegulator, "regulator", regulator.privateKey) });
    expect(cosigned).toMatchObject({ ok: true, required: ["bank", "insurer"], approved: ["bank", "insurer", "regulator"] });

    const badExtra = await verifyApprovals(withRegulator, { ...base, regulator: base.bank, auditor: base.bank });
    expect(badExtra.ok).toBe(false);
    expect(badExtra.invalid.map((i) => i.party)).toEqual(["auditor", "regulator"]);
    expect(badExtra.invalid[0]!.reason).toMatch(/not a party of this contract/);
  });
});

describe("parseApprovals", () => {
  it("accepts an object of party -> JWS and rejects anything else", () => {
    expect(parseApprovals({ bank: "a.b.c" })).toEqual({ bank: "a.b.c" });
    for (const bad of [null, ["a.b.c"], { bank: 1 }]) {
      expect(() => parseApprovals(bad)).toThrow(ApprovalError);
    }
  });
});
