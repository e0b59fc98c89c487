// stack-cce-policy-hostdata-pinned on a confidential-container clean room shaped like the one
// CleanRoom registers (two party keys whose release policies pin the group's hostdata, the
// Confidential ACI group mounting the contract from a secret volume), then with one link broken at a
// time; and once on the example stack fraud-bank-insurer-aci as its program registers it.
import { describe, expect, it } from "vitest";
import type { PolicyResource } from "@pulumi/policy";
import { buildReleasePolicy, ccePolicyHostdata, encodeReleasePolicy } from "../../enclave-app/src/protocol/index.ts";
import { captureStack } from "../../policies/review/review.ts";
import { pinnedHostdata, stackCcePolicyHostdataPinned } from "../../policies/rules/stack/cce-hostdata.ts";
import { contractsOf } from "../../policies/rules/stack/model.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";
import { base64, containerGroupProps, GROUP_NAME, policyParts, regoOf } from "./cce-fixtures.ts";
import { confidentialNodePolicy, ENDPOINT, keyProps, rawPolicy, resource, runPolicy, UNKNOWN, withValue } from "./fixtures.ts";

const CCE_POLICY = base64(regoOf(policyParts()));
const HOSTDATA = ccePolicyHostdata(CCE_POLICY);
const OTHER_HOSTDATA = "f".repeat(64);
const PARTIES = {
  bank: { vault: "bank-286e95a4", key: "bank-kek-rsa3072-4a3803230d85" },
  insurer: { vault: "insurer-73175ffc", key: "insurer-kek-rsa3072-4a3803230d85" },
} as const;
const GROUP = "cleanroom-enclave-group";

const containerPolicy = (hostdata: string) => encodeReleasePolicy(buildReleasePolicy({ authority: ENDPOINT, mode: "confidential-container", hostdata }));
const contract = (hostdata: string | undefined) => ({
  attestation: { authority: ENDPOINT, mode: "confidential-container", ...(hostdata === undefined ? {} : { hostdata }) },
  parties: Object.entries(PARTIES).map(([name, p]) => ({ name, kek: { keyId: `https://${p.vault}.vault.azure.net/keys/${p.key}` } })),
});

function cleanRoom(options: { contractHostdata?: string | null } = {}): GraphResource[] {
  const contractHostdata = options.contractHostdata === null ? undefined : (options.contractHostdata ?? HOSTDATA);
  return [
    ...Object.entries(PARTIES).map(([party, p]) =>
      resource("azure-native:keyvault:Key", `cleanroom-${party}-kek`, { ...withValue(keyProps(p.vault, p.key), "properties.releasePolicy", containerPolicy(HOSTDATA)), name: p.key }),
    ),
    resource("azure-native:containerinstance:ContainerGroup", GROUP, containerGroupProps(CCE_POLICY, contract(contractHostdata))),
  ];
}

const replace = (resources: GraphResource[], name: string, change: (r: GraphResource) => GraphResource) => resources.map((r) => (r.name === name ? change(r) : r));
const setOutput = (path: string, value: unknown) => (r: GraphResource) => ({ ...r, outputs: withValue(r.outputs, path, value) });

describe("stack-cce-policy-hostdata-pinned", () => {
  it("passes a clean room whose keys and contract pin the hash of the group's ccePolicy", async () => {
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, cleanRoom());
    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([]);
    expect(outcome.notEvaluated).toEqual([]);
  });

  it("reports a key whose release policy pins another hostdata, against the key", async () => {
    const resources = replace(cleanRoom(), "cleanroom-insurer-kek", setOutput("properties.releasePolicy", containerPolicy(OTHER_HOSTDATA)));
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, resources);
    expect(outcome.violations).toEqual([
      `key "${PARTIES.insurer.key}" release policy pins x-ms-sevsnpvm-hostdata ${OTHER_HOSTDATA}, but the ccePolicy of container group "${GROUP_NAME}" hashes to ${HOSTDATA}: the key would be released to another policy, never to this group.`,
    ]);
    expect(outcome.subjects).toEqual(["cleanroom-insurer-kek"]);
  });

  it("reports a key with an alternative that pins no hostdata", async () => {
    const pinned = buildReleasePolicy({ authority: ENDPOINT, mode: "confidential-container", hostdata: HOSTDATA });
    const open = { authority: ENDPOINT, allOf: pinned.anyOf[0]!.allOf!.filter((c) => !("claim" in c && c.claim === "x-ms-sevsnpvm-hostdata")) };
    const resources = replace(cleanRoom(), "cleanroom-bank-kek", setOutput("properties.releasePolicy", rawPolicy({ ...pinned, anyOf: [pinned.anyOf[0], open] })));
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, resources);
    expect(outcome.violations).toEqual([
      `key "${PARTIES.bank.key}" release policy does not pin x-ms-sevsnpvm-hostdata in anyOf[1]: it releases the key to a group under any container policy.`,
    ]);
    expect(outcome.subjects).toEqual(["cleanroom-bank-kek"]);
  });

  it("reports a Confidential group whose keys pin no hostdata at all (confidential-node release policies), against the group", async () => {
    let resources = cleanRoom();
    for (const party of Object.keys(PARTIES)) resources = replace(resources, `cleanroom-${party}-kek`, setOutput("properties.releasePolicy", confidentialNodePolicy()));
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^no key's release policy pins x-ms-sevsnpvm-hostdata, so container group "${GROUP_NAME}" is not what the keys are bound to: .* pin ${HOSTDATA}`))]);
    expect(outcome.subjects).toEqual([GROUP]);
  });

  it("reports a contract in the group's secret volume that pins another hostdata, against the group", async () => {
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, cleanRoom({ contractHostdata: OTHER_HOSTDATA }));
    expect(outcome.violations).toEqual([
      `the contract mounted by container group "${GROUP_NAME}" pins attestation.hostdata ${OTHER_HOSTDATA}, but the group's ccePolicy hashes to ${HOSTDATA}: the parties approved another enclave than the one that would run.`,
    ]);
    expect(outcome.subjects).toEqual([GROUP]);
  });

  it("reports a contract that pins no hostdata", async () => {
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, cleanRoom({ contractHostdata: null }));
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^the contract mounted by container group "${GROUP_NAME}" pins no attestation\\.hostdata`))]);
  });

  it("compares only the contract in a stack without release policies (nothing to release)", async () => {
    const groupOnly = cleanRoom().filter((r) => r.type !== "azure-native:keyvault:Key");
    expect((await runPolicy(stackCcePolicyHostdataPinned, groupOnly)).violations).toEqual([]);
    const tampered = cleanRoom({ contractHostdata: OTHER_HOSTDATA }).filter((r) => r.type !== "azure-native:keyvault:Key");
    expect((await runPolicy(stackCcePolicyHostdataPinned, tampered)).violations).toEqual([expect.stringMatching(/^the contract mounted by container group/)]);
  });

  it("leaves an undecodable ccePolicy to aci-cce-policy-locked-down", async () => {
    const resources = replace(cleanRoom(), GROUP, setOutput("confidentialComputeProperties.ccePolicy", "not base64!"));
    expect((await runPolicy(stackCcePolicyHostdataPinned, resources)).violations).toEqual([]);
  });

  it("is not applicable without a Confidential ACI group", async () => {
    const resources = replace(cleanRoom(), GROUP, setOutput("sku", "Standard"));
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, resources);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual(["the stack has no Confidential ACI container group"]);
  });

  it("is not evaluated while the group's ccePolicy is unknown (preview)", async () => {
    const resources = replace(cleanRoom(), GROUP, setOutput("confidentialComputeProperties.ccePolicy", UNKNOWN));
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, resources);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toEqual([expect.stringMatching(/can't run policy 'stack-cce-policy-hostdata-pinned' during preview/)]);
  });
});

describe("pinnedHostdata", () => {
  it("collects hostdata equals conditions, through nested allOf, and nothing an anyOf only offers", () => {
    expect(
      pinnedHostdata([
        { claim: "x-ms-attestation-type", equals: "sevsnpvm" },
        { allOf: [{ claim: "x-ms-sevsnpvm-hostdata", equals: HOSTDATA }] },
        { anyOf: [{ claim: "x-ms-sevsnpvm-hostdata", equals: OTHER_HOSTDATA }] },
      ]),
    ).toEqual([HOSTDATA]);
  });
});

describe("contractsOf", () => {
  const asPolicyResource = (r: GraphResource) => ({ type: r.type, name: r.name, urn: r.urn, props: r.outputs }) as unknown as PolicyResource;

  it("reads the contract from a ConfigMap and from a container group's secret volume, with its hostdata", () => {
    const configMap = resource("kubernetes:core/v1:ConfigMap", "cm", { data: { "contract.json": JSON.stringify(contract(undefined)) } });
    const views = contractsOf([configMap, ...cleanRoom()].map(asPolicyResource));
    expect(views.map((v) => [v.source.name, v.authority, v.hostdata, v.parties.map((p) => p.name)])).toEqual([
      ["cm", ENDPOINT, undefined, ["bank", "insurer"]],
      [GROUP, ENDPOINT, HOSTDATA, ["bank", "insurer"]],
    ]);
  });

  it("skips a secret volume whose contract.json is not JSON", () => {
    const group = resource("azure-native:containerinstance:ContainerGroup", "g", { volumes: [{ name: "contract", secret: { "contract.json": base64("{not json") } }, { name: "tmp", emptyDir: {} }] });
    expect(contractsOf([asPolicyResource(group)])).toEqual([]);
  });
});

describe("the example stack fraud-bank-insurer-aci", () => {
  it("passes as its program registers it, and a contract pinning another hostdata is reported", async () => {
    const captured = await captureStack({ stack: "fraud-bank-insurer-aci" });
    const passing = await runPolicy(stackCcePolicyHostdataPinned, captured.resources);
    expect(passing.violations).toEqual([]);
    expect(passing.notApplicable).toEqual([]);

    const tampered = captured.resources.map((r) => {
      if (r.type !== "azure-native:containerinstance:ContainerGroup") return r;
      const volumes = (r.outputs.volumes as { name: string; secret?: Record<string, string> }[]).map((v) => {
        if (!v.secret?.["contract.json"]) return v;
        const doc = JSON.parse(Buffer.from(v.secret["contract.json"], "base64").toString("utf8"));
        doc.attestation.hostdata = OTHER_HOSTDATA;
        return { ...v, secret: { ...v.secret, "contract.json": base64(JSON.stringify(doc)) } };
      });
      return { ...r, outputs: { ...r.outputs, volumes } };
    });
    const outcome = await runPolicy(stackCcePolicyHostdataPinned, tampered);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^the contract mounted by container group ".*" pins attestation\\.hostdata ${OTHER_HOSTDATA}, but the group's ccePolicy hashes to [0-9a-f]{64}`))]);
  }, 60_000);
});
