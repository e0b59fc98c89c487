import { describe, expect, it } from "vitest";
import {
  ReleasePolicyError,
  buildReleasePolicy,
  canonicalJson,
  decodeReleasePolicy,
  encodeReleasePolicy,
  evaluateReleasePolicy,
  kekKeyName,
  normalizeAuthority,
  releasePolicyDigest,
  validateReleasePolicy,
  type ReleasePolicy,
} from "../../enclave-app/src/protocol/index.ts";

const AUTHORITY = "https://sharedweu.weu.attest.azure.net";
const HOSTDATA = "73973b78d70cc68353426de188db5dfc57e5b766e399935fb73a61127ea26d20";

describe("buildReleasePolicy", () => {
  /** Both spellings of "not debuggable", one alternative each, the other conditions the same. */
  const alternatives = (conditions: object[], debugClaim: string) =>
    [false, "false"].map((equals) => ({ authority: AUTHORITY, allOf: [...conditions, { claim: debugClaim, equals }] }));

  it("confidential-node: nested CVM claims, only equals, one allOf per spelling of not-debuggable", () => {
    expect(buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-node" })).toEqual({
      version: "1.0.0",
      anyOf: alternatives(
        [
          { claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "sevsnpvm" },
          { claim: "x-ms-isolation-tee.x-ms-compliance-status", equals: "azure-compliant-cvm" },
        ],
        "x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable",
      ),
    });
  });

  it("confidential-container: top-level SNP claims pinned to the container policy hash", () => {
    expect(buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-container", hostdata: HOSTDATA })).toEqual({
      version: "1.0.0",
      anyOf: alternatives(
        [
          { claim: "x-ms-attestation-type", equals: "sevsnpvm" },
          { claim: "x-ms-compliance-status", equals: "azure-compliant-uvm" },
          { claim: "x-ms-sevsnpvm-hostdata", equals: HOSTDATA },
        ],
        "x-ms-sevsnpvm-is-debuggable",
      ),
    });
  });

  it("pins x-ms-policy-hash in every alternative when the requirements name the attestation policy", () => {
    const policyHash = "Hq5x6bX0hNnB3yJ1mDq8eT2Kx8H8nGg5nW6b0v3u1xY";
    const policy = buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-node", policyHash });
    expect(policy.anyOf).toHaveLength(2);
    for (const alt of policy.anyOf) expect(alt.allOf).toContainEqual({ claim: "x-ms-policy-hash", equals: policyHash });
  });

  it("accepts a token whose debug claim is the boolean false or the string \"false\", even to an evaluator comparing types strictly", () => {
    const policy = buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-container", hostdata: HOSTDATA });
    const claims = (debuggable: unknown): Record<string, unknown> => ({
      iss: AUTHORITY,
      "x-ms-attestation-type": "sevsnpvm",
      "x-ms-compliance-status": "azure-compliant-uvm",
      "x-ms-sevsnpvm-hostdata": HOSTDATA,
      "x-ms-sevsnpvm-is-debuggable": debuggable,
    });
    // Key Vault's comparison is undocumented: model the strictest one (same JSON type and value).
    const strictAllows = (c: Record<string, unknown>) =>
      policy.anyOf.some((alt) => alt.allOf!.every((cond) => "equals" in cond && c[cond.claim] === cond.equals));
    for (const value of [false, "false"]) {
      expect(strictAllows(claims(value))).toBe(true);
      expect(evaluateReleasePolicy(policy, claims(value)).allowed).toBe(true);
    }
    for (const value of [true, "true", undefined]) {
      expect(strictAllows(claims(value))).toBe(false);
      expect(evaluateReleasePolicy(policy, claims(value)).allowed).toBe(false);
    }
  });

  it("normalises the authority: lower-case host, no trailing slash, no default port", () => {
    for (const input of ["https://SharedWEU.weu.Attest.Azure.NET/", "https://sharedweu.weu.attest.azure.net:443", `${AUTHORITY}/`]) {
      expect(buildReleasePolicy({ authority: input, mode: "confidential-node" }).anyOf[0]!.authority).toBe(AUTHORITY);
    }
    expect(normalizeAuthority("https://127.0.0.1:8443/")).toBe("https://127.0.0.1:8443");
  });

  it("throws ATTESTATION_REQUIREMENTS_INVALID naming every problem", () => {
    const cases: [Parameters<typeof buildReleasePolicy>[0], string[]][] = [
      [{ authority: "http://x.attest.azure.net", mode: "confidential-node" }, ["authority-not-https"]],
      [{ authority: "not a url", mode: "confidential-node" }, ["bad-authority"]],
      [{ authority: AUTHORITY, mode: "confidential-container" }, ["hostdata-required"]],
      [{ authority: AUTHORITY, mode: "confidential-node", hostdata: HOSTDATA }, ["hostdata-forbidden"]],
      [{ authority: AUTHORITY, mode: "confidential-container", hostdata: HOSTDATA.toUpperCase() }, ["bad-hex"]],
      [{ authority: "ftp://x", mode: "sgx" as never }, ["authority-not-https", "invalid-value"]],
      [{ authority: AUTHORITY, mode: "confidential-node", policyHash: "not-a-hash" }, ["bad-policy-hash"]],
      [{ authority: AUTHORITY, mode: "confidential-node", confcomVersion: "1.2.6" }, ["confcom-version-forbidden"]],
      [{ authority: AUTHORITY, mode: "confidential-container", hostdata: HOSTDATA, confcomVersion: "latest" }, ["bad-version"]],
    ];
    for (const [req, rules] of cases) {
      try {
        buildReleasePolicy(req);
        expect.unreachable(JSON.stringify(req));
      } catch (err) {
        expect(err).toBeInstanceOf(ReleasePolicyError);
        expect((err as ReleasePolicyError).code).toBe("ATTESTATION_REQUIREMENTS_INVALID");
        expect((err as ReleasePolicyError).issues.map((i) => i.rule)).toEqual(rules);
      }
    }
  });
});

describe("encode / decode", () => {
  const policy = buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-container", hostdata: HOSTDATA });

  it("encodes as Key Vault's release_policy with base64url canonical JSON and round-trips", () => {
    const encoded = encodeReleasePolicy(policy);
    expect(encoded.contentType).toBe("application/json; charset=utf-8");
    expect(encoded.data).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(encoded.data, "base64url").toString("utf8")).toBe(canonicalJson(policy));
    expect(decodeReleasePolicy(encoded)).toEqual(policy);
    expect(decodeReleasePolicy(encoded.data)).toEqual(policy);
  });

  it("decodes standard base64 with padding and raw JSON text too", () => {
    const json = JSON.stringify(policy, null, 2);
    expect(decodeReleasePolicy({ data: Buffer.from(json).toString("base64") })).toEqual(policy);
    expect(decodeReleasePolicy(json)).toEqual(policy);
  });

  it("rejects bad encodings and grammar violations with typed errors", () => {
    const codeOf = (input: Parameters<typeof decodeReleasePolicy>[0]) => {
      try {
        decodeReleasePolicy(input);
        return "decoded";
      } catch (err) {
        return (err as ReleasePolicyError).code;
      }
    };
    expect(codeOf("***")).toBe("POLICY_ENCODING_INVALID");
    expect(codeOf({ data: Buffer.from("not json").toString("base64url") })).toBe("POLICY_ENCODING_INVALID");
    expect(codeOf({ data: Buffer.from([0xff, 0xfe]).toString("base64url") })).toBe("POLICY_ENCODING_INVALID");
    expect(codeOf({} as { data: string })).toBe("POLICY_ENCODING_INVALID");
    expect(codeOf({ data: Buffer.from('{"version":"1.0.0","anyOf":[]}').toString("base64url") })).toBe("POLICY_INVALID");
    expect(() => encodeReleasePolicy({ version: "1.0.0", anyOf: [] })).toThrow(ReleasePolicyError);
  });

  it("digest is stable under key order and differs per policy", () => {
    const shuffled = {
      anyOf: policy.anyOf.map((a) => ({ allOf: (a.allOf as { claim: string; equals: unknown }[]).map((c) => ({ equals: c.equals, claim: c.claim })), authority: a.authority })),
      version: policy.version,
    } as ReleasePolicy;
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(policy));
    expect(releasePolicyDigest(shuffled)).toBe(releasePolicyDigest(policy));
    expect(releasePolicyDigest(policy)).toMatch(/^[0-9a-f]{64}$/);
    expect(releasePolicyDigest(buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-node" }))).not.toBe(releasePolicyDigest(policy));
  });

  it("names a KEK after its party, size and policy digest, so a new policy or size is a new key", () => {
    const other = buildReleasePolicy({ authority: AUTHORITY, mode: "confidential-node" });
    expect(kekKeyName("bank", 3072, policy)).toBe(`bank-kek-rsa3072-${releasePolicyDigest(policy).slice(0, 12)}`);
    expect(kekKeyName("bank", 3072, other)).not.toBe(kekKeyName("bank", 3072, policy));
    expect(kekKeyName("bank", 4096, policy)).not.toBe(kekKeyName("bank", 3072, policy));
  });
});

describe("validateReleasePolicy", () => {
  const valid = (): Record<string, any> => ({
    version: "1.0.0",
    anyOf: [
      {
        authority: AUTHORITY,
        allOf: [
          { claim: "x-ms-sevsnpvm-guestsvn", greaterOrEquals: 2 },
          { anyOf: [{ claim: "a", equals: "x" }, { allOf: [{ claim: "b.c", exists: true }] }] },
        ],
      },
    ],
  });

  it("accepts the full grammar: nested anyOf/allOf and every operator", () => {
    expect(validateReleasePolicy(valid())).toEqual([]);
    const everyOp = valid();
    everyOp.anyOf[0].allOf = ["equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals"].map((op) => ({ claim: "n", [op]: 3 }));
    everyOp.anyOf[0].allOf.push({ claim: "n", exists: "true" });
    expect(validateReleasePolicy(everyOp)).toEqual([]);
  });

  const cases: [string, (p: Record<string, any>) => void, string, string][] = [
    ["wrong version", (p) => (p.version = "1.0"), "version", "unsupported-version"],
    ["no authorities", (p) => (p.anyOf = []), "anyOf", "empty"],
    ["missing anyOf", (p) => delete p.anyOf, "anyOf", "required"],
    ["http authority", (p) => (p.anyOf[0].authority = "http://a.attest.azure.net"), "anyOf[0].authority", "authority-not-https"],
    ["authority without conditions", (p) => delete p.anyOf[0].allOf, "anyOf[0]", "no-conditions"],
    ["lower-case allof", (p) => ((p.anyOf[0].allof = p.anyOf[0].allOf), delete p.anyOf[0].allOf), "anyOf[0]", "no-conditions"],
    ["allOf and anyOf together", (p) => (p.anyOf[0].anyOf = [{ claim: "a", equals: 1 }]), "anyOf[0]", "ambiguous-condition"],
    ["empty allOf", (p) => (p.anyOf[0].allOf = []), "anyOf[0].allOf", "empty"],
    ["claim without operator", (p) => (p.anyOf[0].allOf[0] = { claim: "a" }), "anyOf[0].allOf[0]", "no-operator"],
    ["two operators", (p) => (p.anyOf[0].allOf[0] = { claim: "a", equals: 1, notEquals: 2 }), "anyOf[0].allOf[0]", "multiple-operators"],
    ["misspelled operator", (p) => (p.anyOf[0].allOf[0] = { claim: "a", equal: 1 }), "anyOf[0].allOf[0].equal", "unknown-operator"],
    ["object value", (p) => (p.anyOf[0].allOf[0] = { claim: "a", equals: { x: 1 } }), "anyOf[0].allOf[0].equals", "bad-value"],
    ["ordering a string", (p) => (p.anyOf[0].allOf[0] = { claim: "a", less: "abc" }), "anyOf[0].allOf[0].less", "non-numeric"],
    ["exists with a number", (p) => (p.anyOf[0].allOf[0] = { claim: "a", exists: 1 }), "anyOf[0].allOf[0].exists", "bad-value"],
    ["empty claim path segment", (p) => (p.anyOf[0].allOf[0] = { claim: "a..b", equals: 1 }), "anyOf[0].allOf[0].claim", "bad-claim"],
    ["nested group with extra key", (p) => (p.anyOf[0].allOf[1].note = "x"), "anyOf[0].allOf[1].note", "unknown-field"],
    ["unknown root key", (p) => (p.Version = "1.0.0"), "Version", "unknown-field"],
  ];

  it.each(cases)("reports %s", (_name, mutate, path, rule) => {
    const p = valid();
    mutate(p);
    expect(validateReleasePolicy(p)).toContainEqual(expect.objectContaining({ path, rule }));
  });

  it("bounds nesting depth", () => {
    let cond: Record<string, unknown> = { claim: "a", equals: 1 };
    for (let i = 0; i < 20; i++) cond = { allOf: [cond] };
    expect(validateReleasePolicy({ version: "1.0.0", anyOf: [{ authority: AUTHORITY, allOf: [cond] }] })).toContainEqual(
      expect.objectContaining({ rule: "too-deep" }),
    );
  });

  it("rejects a non-object policy", () => {
    expect(validateReleasePolicy("policy")).toEqual([expect.objectContaining({ path: "", rule: "type" })]);
  });
});
