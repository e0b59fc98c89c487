// The release-policy analysis behind key-release-policy-attested, on policies Key Vault would accept:
// the ones the protocol builds pass; each way a hand-written policy can leak a key fails with a
// message naming the authority and the missing guarantee.
import { describe, expect, it } from "vitest";
import {
  ATTESTATION_REGION_CODES,
  buildReleasePolicy,
  dedicatedAttestationEndpoint,
  encodeReleasePolicy,
  evaluateReleasePolicy,
  sharedAttestationEndpoint,
} from "../../enclave-app/src/protocol/index.ts";
import { authorityAllowed, DEFAULT_ALLOWED_AUTHORITIES } from "../../policies/rules/authorities.ts";
import { checkReleasePolicy, TEE_TYPES, type ReleasePolicyRequirements } from "../../policies/rules/release-policy-check.ts";

const DEFAULTS: ReleasePolicyRequirements = { allowedAuthorities: DEFAULT_ALLOWED_AUTHORITIES, allowedTeeTypes: TEE_TYPES };
const SHARED = "https://sharedweu.weu.attest.azure.net";
const encode = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString("base64url");
const problemsOf = (policy: unknown, requirements = DEFAULTS) => checkReleasePolicy(encode(policy), requirements).problems;

const snpNode = [
  { claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "sevsnpvm" },
  { claim: "x-ms-isolation-tee.x-ms-compliance-status", equals: "azure-compliant-cvm" },
  { claim: "x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable", equals: false },
];

describe("release policies the protocol builds", () => {
  it("accepts the confidential-node and confidential-container policies for a dedicated and a shared endpoint", () => {
    for (const authority of ["https://cleanroomat1234567.weu.attest.azure.net", SHARED]) {
      const node = encodeReleasePolicy(buildReleasePolicy({ authority, mode: "confidential-node" })).data;
      const container = encodeReleasePolicy(buildReleasePolicy({ authority, mode: "confidential-container", hostdata: "a".repeat(64) })).data;
      expect(checkReleasePolicy(node, DEFAULTS).problems).toEqual([]);
      expect(checkReleasePolicy(container, DEFAULTS).problems).toEqual([]);
    }
  });
});

describe("hand-written release policies", () => {
  it("accepts a TDX confidential VM policy with the TDX debug claim, and Microsoft's string form of false", () => {
    const tdx = [
      { claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "tdxvm" },
      { claim: "x-ms-isolation-tee.tdx_td_attributes_debug", equals: "false" },
    ];
    expect(problemsOf({ version: "1.0.0", anyOf: [{ authority: SHARED, allOf: tdx }] })).toEqual([]);
  });

  it("rejects TDX when the allowed TEE types are SEV-SNP only", () => {
    const tdx = [
      { claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "tdxvm" },
      { claim: "x-ms-isolation-tee.tdx_td_attributes_debug", equals: false },
    ];
    const problems = problemsOf({ version: "1.0.0", anyOf: [{ authority: SHARED, allOf: tdx }] }, { ...DEFAULTS, allowedTeeTypes: ["sevsnpvm"] });
    expect(problems).toEqual([expect.stringMatching(/does not require a TEE of type sevsnpvm/)]);
  });

  it("rejects a policy without a TEE type (an azurevm token from any VM would do)", () => {
    const problems = problemsOf({ version: "1.0.0", anyOf: [{ authority: SHARED, allOf: [{ claim: "x-ms-attestation-type", equals: "azurevm" }] }] });
    expect(problems).toEqual([expect.stringMatching(/anyOf\[0\] \(authority https:\/\/sharedweu\.weu\.attest\.azure\.net\) does not require a TEE of type sevsnpvm or tdxvm/)]);
  });

  it("rejects a policy that would release to a debuggable SEV-SNP VM, as the evaluator confirms", () => {
    const policy = { version: "1.0.0" as const, anyOf: [{ authority: SHARED, allOf: snpNode.slice(0, 2) }] };
    const debuggable = { iss: SHARED, "x-ms-isolation-tee": { "x-ms-attestation-type": "sevsnpvm", "x-ms-compliance-status": "azure-compliant-cvm", "x-ms-sevsnpvm-is-debuggable": true } };
    expect(evaluateReleasePolicy(policy, debuggable).allowed).toBe(true);
    expect(problemsOf(policy)).toEqual([expect.stringMatching(/releases the key to a debuggable TEE: a sevsnpvm token with x-ms-isolation-tee\.x-ms-sevsnpvm-is-debuggable: true is allowed/)]);
  });

  it("rejects a debug condition that sits in only one alternative of an anyOf", () => {
    const allOf = [snpNode[0]!, { anyOf: [snpNode[2]!, snpNode[1]!] }];
    expect(problemsOf({ version: "1.0.0", anyOf: [{ authority: SHARED, allOf }] })).toEqual([expect.stringMatching(/debuggable TEE/)]);
  });

  it("rejects a second entry for the same authority that drops the debug condition, though the first one is complete", () => {
    const policy = {
      version: "1.0.0",
      anyOf: [
        { authority: SHARED, allOf: snpNode },
        { authority: SHARED, allOf: snpNode.slice(0, 2) },
      ],
    };
    const problems = problemsOf(policy);
    expect(problems.some((p) => p.startsWith("anyOf[0]") && /debuggable TEE/.test(p))).toBe(true);
    expect(problems.some((p) => p.startsWith("anyOf[1]") && /debuggable TEE/.test(p))).toBe(true);
  });

  it("rejects authorities outside the allow-list and look-alike domains, and plain http by the grammar", () => {
    for (const authority of ["https://127.0.0.1:8443", "https://attest.azure.net.evil.example"]) {
      const problems = problemsOf({ version: "1.0.0", anyOf: [{ authority, allOf: snpNode }] });
      expect(problems, authority).toEqual([expect.stringMatching(/is not an allowed attestation authority; allowed: 22 listed endpoints, https:\/\/\*\.attest\.azure\.net/)]);
    }
    const http = problemsOf({ version: "1.0.0", anyOf: [{ authority: "http://sharedweu.weu.attest.azure.net", allOf: snpNode }] });
    expect(http).toEqual([expect.stringMatching(/POLICY_INVALID.*authority-not-https/)]);
  });

  it("rejects a policy whose conditions no token can meet", () => {
    const allOf = [...snpNode, { claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "tdxvm" }];
    expect(problemsOf({ version: "1.0.0", anyOf: [{ authority: SHARED, allOf }] })).toEqual([expect.stringMatching(/no token meeting its own required claims is released/)]);
  });

  it("rejects what does not decode or breaks the Key Vault grammar, naming the error code", () => {
    expect(checkReleasePolicy("%%%", DEFAULTS).problems).toEqual([expect.stringMatching(/POLICY_ENCODING_INVALID/)]);
    expect(problemsOf({ version: "1.0.0", anyOf: [{ authority: SHARED, allof: snpNode }] })).toEqual([expect.stringMatching(/POLICY_INVALID/)]);
  });
});

describe("authority allow-list", () => {
  it("matches exact endpoints after normalisation and https://*.<domain> patterns on any depth, default port only", () => {
    expect(authorityAllowed("https://SharedWEU.weu.attest.azure.net/", DEFAULT_ALLOWED_AUTHORITIES)).toBe(true);
    expect(authorityAllowed("https://myprovider.weu.attest.azure.net", DEFAULT_ALLOWED_AUTHORITIES)).toBe(true);
    expect(authorityAllowed("https://myprovider.weu.attest.azure.net:8443", DEFAULT_ALLOWED_AUTHORITIES)).toBe(false);
    expect(authorityAllowed("https://attest.azure.net", DEFAULT_ALLOWED_AUTHORITIES)).toBe(false);
    expect(authorityAllowed("https://myprovider.weu.attest.azure.net", [SHARED])).toBe(false);
    expect(authorityAllowed("not a url", DEFAULT_ALLOWED_AUTHORITIES)).toBe(false);
  });

  it("allows by default every endpoint the components can pin, and the shared ones even without the dedicated-provider pattern", () => {
    const withoutPattern = DEFAULT_ALLOWED_AUTHORITIES.filter((entry) => !entry.includes("*"));
    for (const region of Object.keys(ATTESTATION_REGION_CODES)) {
      expect(authorityAllowed(sharedAttestationEndpoint(region)!, DEFAULT_ALLOWED_AUTHORITIES), region).toBe(true);
      expect(authorityAllowed(sharedAttestationEndpoint(region)!, withoutPattern), region).toBe(true);
      expect(authorityAllowed(dedicatedAttestationEndpoint("cleanroomat1234567", region)!, DEFAULT_ALLOWED_AUTHORITIES), region).toBe(true);
      expect(authorityAllowed(dedicatedAttestationEndpoint("cleanroomat1234567", region)!, withoutPattern), region).toBe(false);
    }
  });
});
