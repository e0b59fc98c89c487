import { describe, expect, it } from "vitest";
import {
  buildReleasePolicy,
  evaluateReleasePolicy,
  explainDecision,
  type Claims,
  type Condition,
  type PolicyDecision,
  type ReleasePolicy,
} from "../../enclave-app/src/protocol/index.ts";
import { FIXTURE_AUTHORITY, containerClaims, cvmClaims } from "./fixtures.ts";

const container = containerClaims();
const cvm = cvmClaims();
const HOSTDATA = container["x-ms-sevsnpvm-hostdata"] as string;

const nodePolicy = buildReleasePolicy({ authority: FIXTURE_AUTHORITY, mode: "confidential-node" });
const containerPolicy = buildReleasePolicy({ authority: FIXTURE_AUTHORITY, mode: "confidential-container", hostdata: HOSTDATA });

function policyOf(conditions: Condition[], authority = FIXTURE_AUTHORITY): ReleasePolicy {
  return { version: "1.0.0", anyOf: [{ authority, allOf: conditions }] };
}

function withClaims(base: Claims, change: (c: Record<string, any>) => void): Claims {
  const copy = structuredClone(base) as Record<string, any>;
  change(copy);
  return copy;
}

function denied(decision: PolicyDecision) {
  if (decision.allowed) throw new Error(`expected a deny, got allow by ${decision.authority}`);
  return decision.failure;
}

describe("builder output under the evaluator", () => {
  it("each mode allows its own token shape", () => {
    expect(evaluateReleasePolicy(containerPolicy, container)).toEqual({ allowed: true, authority: FIXTURE_AUTHORITY });
    expect(evaluateReleasePolicy(nodePolicy, cvm)).toEqual({ allowed: true, authority: FIXTURE_AUTHORITY });
  });

  it("each mode denies the other mode's token", () => {
    expect(denied(evaluateReleasePolicy(containerPolicy, cvm))).toMatchObject({
      authority: FIXTURE_AUTHORITY,
      path: "anyOf[0].allOf[0]",
      claim: "x-ms-attestation-type",
      operator: "equals",
      expected: "sevsnpvm",
      actual: "azurevm",
    });
    expect(denied(evaluateReleasePolicy(nodePolicy, container))).toMatchObject({
      path: "anyOf[0].allOf[0]",
      claim: "x-ms-isolation-tee.x-ms-attestation-type",
      absent: true,
    });
  });

  it("denies debuggable TEEs in both modes", () => {
    const debugContainer = withClaims(container, (c) => (c["x-ms-sevsnpvm-is-debuggable"] = true));
    expect(denied(evaluateReleasePolicy(containerPolicy, debugContainer))).toMatchObject({
      path: "anyOf[0].allOf[3]",
      claim: "x-ms-sevsnpvm-is-debuggable",
      expected: false,
      actual: true,
    });
    const debugCvm = withClaims(cvm, (c) => (c["x-ms-isolation-tee"]["x-ms-sevsnpvm-is-debuggable"] = true));
    expect(denied(evaluateReleasePolicy(nodePolicy, debugCvm))).toMatchObject({
      path: "anyOf[0].allOf[2]",
      claim: "x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable",
      actual: true,
    });
  });

  it("denies another container policy (hostdata) and a non-compliant guest", () => {
    const other = withClaims(container, (c) => (c["x-ms-sevsnpvm-hostdata"] = "b".repeat(64)));
    expect(denied(evaluateReleasePolicy(containerPolicy, other))).toMatchObject({
      path: "anyOf[0].allOf[2]",
      expected: HOSTDATA,
      actual: "b".repeat(64),
    });
    const upper = withClaims(container, (c) => (c["x-ms-sevsnpvm-hostdata"] = HOSTDATA.toUpperCase()));
    expect(evaluateReleasePolicy(containerPolicy, upper).allowed).toBe(false);
    const noncompliant = withClaims(cvm, (c) => (c["x-ms-isolation-tee"]["x-ms-compliance-status"] = "azure-noncompliant-cvm"));
    expect(denied(evaluateReleasePolicy(nodePolicy, noncompliant))).toMatchObject({ path: "anyOf[0].allOf[1]", actual: "azure-noncompliant-cvm" });
  });
});

describe("authority matching", () => {
  it("matches iss tolerant of trailing slash and host case", () => {
    const shouty = policyOf(containerPolicy.anyOf[0]!.allOf!, "https://SHAREDWEU.weu.attest.azure.net/");
    expect(evaluateReleasePolicy(shouty, container)).toEqual({ allowed: true, authority: "https://SHAREDWEU.weu.attest.azure.net/" });
    const slashIss = withClaims(container, (c) => (c.iss = `${FIXTURE_AUTHORITY}/`));
    expect(evaluateReleasePolicy(containerPolicy, slashIss).allowed).toBe(true);
  });

  it("denies tokens from another issuer, naming both", () => {
    const foreign = withClaims(container, (c) => (c.iss = "https://evil.example.net"));
    expect(denied(evaluateReleasePolicy(containerPolicy, foreign))).toEqual({
      path: "anyOf",
      claim: "iss",
      operator: "equals",
      expected: FIXTURE_AUTHORITY,
      actual: "https://evil.example.net",
      reason: `token issued by https://evil.example.net, policy expects ${FIXTURE_AUTHORITY}`,
    });
    const noIss = withClaims(container, (c) => delete c.iss);
    expect(denied(evaluateReleasePolicy(containerPolicy, noIss))).toMatchObject({ claim: "iss", absent: true });
  });

  it("tries every authority and allows by the one whose conditions hold", () => {
    const policy: ReleasePolicy = {
      version: "1.0.0",
      anyOf: [
        { authority: "https://other.weu.attest.azure.net", allOf: [{ claim: "x-ms-attestation-type", equals: "sevsnpvm" }] },
        { authority: FIXTURE_AUTHORITY, allOf: [{ claim: "x-ms-attestation-type", equals: "tdxvm" }] },
        { authority: `${FIXTURE_AUTHORITY}/`, anyOf: [{ claim: "x-ms-attestation-type", equals: "sevsnpvm" }] },
      ],
    };
    expect(evaluateReleasePolicy(policy, container)).toEqual({ allowed: true, authority: `${FIXTURE_AUTHORITY}/` });
    policy.anyOf.pop();
    expect(denied(evaluateReleasePolicy(policy, container))).toMatchObject({ authority: FIXTURE_AUTHORITY, path: "anyOf[1].allOf[0]", actual: "sevsnpvm" });
  });
});

describe("operators and values", () => {
  // container token: x-ms-sevsnpvm-guestsvn = 2
  const svn = "x-ms-sevsnpvm-guestsvn";
  const table: [string, Condition, boolean][] = [
    ["equals number", { claim: svn, equals: 2 }, true],
    ["equals numeric string", { claim: svn, equals: "2" }, true],
    ["equals other", { claim: svn, equals: 3 }, false],
    ["notEquals other", { claim: svn, notEquals: 3 }, true],
    ["notEquals same", { claim: svn, notEquals: "2" }, false],
    ["less", { claim: svn, less: 3 }, true],
    ["less (equal)", { claim: svn, less: 2 }, false],
    ["lessOrEquals", { claim: svn, lessOrEquals: 2 }, true],
    ["lessOrEquals (greater)", { claim: svn, lessOrEquals: 1 }, false],
    ["greater", { claim: svn, greater: 1 }, true],
    ["greater (equal)", { claim: svn, greater: 2 }, false],
    ["greaterOrEquals", { claim: svn, greaterOrEquals: "2" }, true],
    ["greaterOrEquals (less)", { claim: svn, greaterOrEquals: 3 }, false],
    ["exists true", { claim: svn, exists: true }, true],
    ["exists false on a present claim", { claim: svn, exists: false }, false],
    ["exists false on an absent claim", { claim: "x-ms-not-there", exists: "false" }, true],
    ["exists true on an absent claim", { claim: "x-ms-not-there", exists: true }, false],
    ["equals on an absent claim", { claim: "x-ms-not-there", equals: "x" }, false],
    ["notEquals on an absent claim", { claim: "x-ms-not-there", notEquals: "x" }, false],
    ["boolean false vs \"false\"", { claim: "x-ms-sevsnpvm-is-debuggable", equals: "false" }, true],
    ["boolean false vs false", { claim: "x-ms-sevsnpvm-is-debuggable", equals: false }, true],
    ["boolean false vs \"False\" (case-sensitive)", { claim: "x-ms-sevsnpvm-is-debuggable", equals: "False" }, false],
    ["boolean false vs \"true\"", { claim: "x-ms-sevsnpvm-is-debuggable", equals: "true" }, false],
    ["number 0 vs \"0\"", { claim: "x-ms-sevsnpvm-vmpl", equals: "0" }, true],
    ["number 0 vs false", { claim: "x-ms-sevsnpvm-vmpl", equals: false }, false],
    ["string case-sensitive", { claim: "x-ms-attestation-type", equals: "SEVSNPVM" }, false],
    ["ordering on a string claim", { claim: "x-ms-attestation-type", greater: 1 }, false],
    ["equals on an object claim", { claim: "x-ms-runtime", equals: "x" }, false],
    ["dotted path into an array", { claim: "x-ms-runtime.keys.0.kid", equals: "enclave-wrapping-key" }, true],
  ];

  it.each(table)("%s", (_name, condition, allowed) => {
    expect(evaluateReleasePolicy(policyOf([condition]), container).allowed).toBe(allowed);
  });

  it("compares a token string \"false\" with a policy boolean false", () => {
    const stringly = withClaims(container, (c) => (c["x-ms-sevsnpvm-is-debuggable"] = "false"));
    expect(evaluateReleasePolicy(containerPolicy, stringly).allowed).toBe(true);
  });

  it("reports expected and actual values and a reason for the failing operator", () => {
    expect(denied(evaluateReleasePolicy(policyOf([{ claim: svn, greaterOrEquals: 3 }]), container))).toMatchObject({
      path: "anyOf[0].allOf[0]",
      claim: svn,
      operator: "greaterOrEquals",
      expected: 3,
      actual: 2,
      reason: expect.stringContaining("expected greaterOrEquals 3, saw 2"),
    });
    expect(denied(evaluateReleasePolicy(policyOf([{ claim: "x-ms-runtime", equals: "x" }]), container)).reason).toMatch(/an object, not a single value/);
  });

  it("resolves dotted paths into nested objects, and claim names that contain a dot", () => {
    const secureBoot = { claim: "x-ms-isolation-tee.x-ms-runtime.vm-configuration.secure-boot", equals: true };
    expect(evaluateReleasePolicy(policyOf([secureBoot]), cvm).allowed).toBe(true);
    const dotted = withClaims(container, (c) => (c["x-ms-custom.claim"] = "v"));
    expect(evaluateReleasePolicy(policyOf([{ claim: "x-ms-custom.claim", equals: "v" }]), dotted).allowed).toBe(true);
  });
});

describe("nested anyOf / allOf", () => {
  const nested: Condition[] = [
    { anyOf: [{ claim: "x-ms-attestation-type", equals: "tdxvm" }, { claim: "x-ms-attestation-type", equals: "sevsnpvm" }] },
    { allOf: [{ claim: "x-ms-sevsnpvm-vmpl", equals: 0 }, { anyOf: [{ claim: "x-ms-sevsnpvm-guestsvn", greater: 5 }, { claim: "x-ms-ver", equals: "1.0" }] }] },
  ];

  it("allows when every allOf and some anyOf alternative holds", () => {
    expect(evaluateReleasePolicy(policyOf(nested), container).allowed).toBe(true);
  });

  it("names the failing alternative when no anyOf alternative holds", () => {
    const cvmLike = withClaims(container, (c) => (c["x-ms-attestation-type"] = "azurevm"));
    expect(denied(evaluateReleasePolicy(policyOf(nested), cvmLike))).toMatchObject({
      path: "anyOf[0].allOf[0].anyOf[0]",
      expected: "tdxvm",
      actual: "azurevm",
      reason: expect.stringContaining("none of the 2 alternatives in anyOf[0].allOf[0].anyOf holds"),
    });
    const wrongVmpl = withClaims(container, (c) => (c["x-ms-sevsnpvm-vmpl"] = 1));
    expect(denied(evaluateReleasePolicy(policyOf(nested), wrongVmpl)).path).toBe("anyOf[0].allOf[1].allOf[0]");
  });

  it("evaluates Microsoft's multi-region CVM policy shape (nested anyOf, trailing-slash authorities)", () => {
    const regionPolicy: ReleasePolicy = {
      version: "1.0.0",
      anyOf: ["https://sharedeus.eus.attest.azure.net/", `${FIXTURE_AUTHORITY}/`].map((authority) => ({
        authority,
        allOf: [
          { claim: "x-ms-compliance-status", equals: "azure-compliant-cvm" },
          { anyOf: [{ claim: "x-ms-attestation-type", equals: "tdxvm" }, { claim: "x-ms-attestation-type", equals: "sevsnpvm" }] },
        ],
      })),
    };
    const cvmBoot = withClaims(container, (c) => (c["x-ms-compliance-status"] = "azure-compliant-cvm"));
    expect(evaluateReleasePolicy(regionPolicy, cvmBoot)).toEqual({ allowed: true, authority: `${FIXTURE_AUTHORITY}/` });
    expect(evaluateReleasePolicy(regionPolicy, container).allowed).toBe(false);
  });
});

describe("malformed policies", () => {
  it("deny with a reason that says the policy is invalid", () => {
    const broken = { version: "1.0.0", anyOf: [{ authority: FIXTURE_AUTHORITY, allOf: [{ claim: "a", equal: 1 }] }] } as unknown as ReleasePolicy;
    const failure = denied(evaluateReleasePolicy(broken, container));
    expect(failure.reason).toMatch(/^the release policy is invalid/);
    expect(failure.path).toBe("anyOf[0].allOf[0].equal");
    expect(denied(evaluateReleasePolicy(null as unknown as ReleasePolicy, container)).reason).toMatch(/invalid/);
  });
});

describe("explainDecision", () => {
  it("shows the authority and every condition with ✓ for an allowed token", () => {
    const text = explainDecision(containerPolicy, container);
    expect(text).toMatch(/^Release policy verdict: ALLOW/);
    expect(text).toContain(`Authority anyOf[0] ${FIXTURE_AUTHORITY}: matches the issuer`);
    // Both alternatives (debug claim false and "false") hold for this token: 4 conditions each.
    expect(text.match(/✓/g)).toHaveLength(8);
    expect(text).not.toContain("✗");
  });

  it("marks the failing claim, shortens long values and explains a hostdata mismatch", () => {
    const other = withClaims(container, (c) => (c["x-ms-sevsnpvm-hostdata"] = "b".repeat(64)));
    const text = explainDecision(containerPolicy, other);
    expect(text).toMatch(/^Release policy verdict: DENY/);
    expect(text).toMatch(/✗ x-ms-sevsnpvm-hostdata equals "[0-9a-f]{16}…[0-9a-f]{8}" \(token: "b{16}…b{8}"\)/);
    expect(text).not.toContain("b".repeat(64));
    expect(text).toContain("Failing condition anyOf[0].allOf[2]");
    expect(text).toMatch(/Hint: the container policy changed/);
  });

  it("explains an authority mismatch", () => {
    const foreign = withClaims(cvm, (c) => (c.iss = "https://attacker.example.net"));
    const text = explainDecision(nodePolicy, foreign);
    expect(text).toContain(`Authority anyOf[0] ${FIXTURE_AUTHORITY}: not the token issuer, skipped`);
    expect(text).toContain(`Hint: token issued by https://attacker.example.net, policy expects ${FIXTURE_AUTHORITY}`);
  });

  it("explains debuggable TEEs and mode mix-ups", () => {
    const debug = withClaims(container, (c) => (c["x-ms-sevsnpvm-is-debuggable"] = true));
    expect(explainDecision(containerPolicy, debug)).toMatch(/Hint: the TEE was launched debuggable/);
    expect(explainDecision(nodePolicy, container)).toMatch(/Hint: this is a confidential-container .* token, but the policy is for a confidential node/);
    expect(explainDecision(containerPolicy, cvm)).toMatch(/Hint: this is a confidential VM \(node\) guest-attestation token/);
    expect(explainDecision(nodePolicy, container)).toContain("(token: absent)");
  });

  it("lists the grammar problems of an invalid policy", () => {
    const text = explainDecision({ version: "2", anyOf: [] } as unknown as ReleasePolicy, container);
    expect(text).toContain("The release policy is invalid:");
    expect(text).toContain("version:");
    expect(text).toContain("anyOf:");
  });

  it("uses a given decision for the verdict line", () => {
    const decision = evaluateReleasePolicy(containerPolicy, container);
    expect(explainDecision(containerPolicy, container, decision).split("\n")[0]).toBe(`Release policy verdict: ALLOW (authority ${FIXTURE_AUTHORITY})`);
  });
});
