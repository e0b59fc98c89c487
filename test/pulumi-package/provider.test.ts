// The component package started the way the engine starts it: Pulumi's plugin runner
// (cmd/run-plugin, what the Node.js language host executes for PulumiPlugin.yaml `runtime: nodejs`)
// on pulumi-package/, its gRPC port read from stdout, then the provider protocol: GetSchema, and a
// Construct whose children are registered over the wire with a mock engine. The TypeScript program
// runs under Pulumi's program runner with the same example stack; both must declare the same resources.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, parseStackConfig } from "../../stacks/config.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { startMockEngine, type MockEngine } from "../../tools/pulumi-package/mock-engine.ts";
import { PACKAGE_DIR, propertyErrors, startProvider, type PackageSchema, type ProviderProcess } from "../../tools/pulumi-package/provider-process.ts";
import { REPO_ROOT, runProgramUnderMocks, type ProgramRunResult } from "../../tools/pulumi-mocks/run-program.ts";
import type { RecordedResource } from "../../tools/pulumi-mocks/report.ts";
import { Attestation as TsAttestation, ConfidentialCluster as TsConfidentialCluster, Network as TsNetwork, PartyVault as TsPartyVault, SharedStorage as TsSharedStorage, sharedAttestationEndpoint } from "../../components/index.ts";
import { setupPulumiMocks } from "../helpers/pulumi.ts";

const PROJECT_NAME = "confidential-clean-room";
// Named PROJECT_NAME, not spelled as the placeholder `pulumi new` replaces in every file (test/pulumi-package/template.test.ts).
const STACK = "fraud-bank-insurer";
const TOKEN = "cleanroom:index:CleanRoom";
const STACK_URN = `urn:pulumi:${STACK}::${PROJECT_NAME}::pulumi:pulumi:Stack::${PROJECT_NAME}-${STACK}`;
const stackFile = join(REPO_ROOT, `stacks/Pulumi.${STACK}.yaml`);

/** The example stack's config as the package's inputs: the same keys without the project namespace. */
function stackInputs(): Record<string, unknown> {
  const config = (parse(readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> }).config;
  return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(`${PROJECT_NAME}:`)).map(([k, v]) => [k.slice(PROJECT_NAME.length + 1), v]));
}

/** Comparable form: plain JSON, sorted by type and name. */
function normalized(records: RecordedResource[]) {
  return records
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r) => JSON.parse(JSON.stringify({ type: r.type, name: r.name, custom: r.custom, provider: r.provider || undefined, inputs: r.inputs })) as RecordedResource)
    .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}

// The TypeScript components, in this process, for the sub-component comparisons.
const tsMocks = setupPulumiMocks({ stack: STACK });
const COMPONENTS = ["CleanRoom", "Network", "Attestation", "PartyVault", "SharedStorage", "ConfidentialCluster"];
const NODE_SUBNET = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/bank-rg/providers/Microsoft.Network/virtualNetworks/bank-vnet/subnets/nodes";
const VAULT_ARGS = {
  party: "bank",
  resourceGroupName: "bank-rg",
  location: "westeurope",
  tenantId: "45533932-df55-4be7-845e-097da063d0a6",
  vaultName: "bank-kv-7f5e11d7",
  attestation: { authority: sharedAttestationEndpoint("westeurope")!, mode: "confidential-node" as const },
  admins: [{ objectId: "df886ba1-5c55-4a21-8f3e-790db540434a", type: "Group" as const }],
  uploaders: [{ objectId: "f64dfd16-ddab-4c69-828e-9a852420d8c3", type: "ServicePrincipal" as const }],
  releasePrincipalId: "2dcae10e-0d0e-4442-884d-74da9dcf84f2",
  allowedSubnetIds: [NODE_SUBNET],
  allowedIpRanges: ["203.0.113.0/24"],
  tags: { "cost-center": "fraud-analytics" },
};
const STORAGE_ARGS = {
  resourceGroupName: "bank-rg",
  location: "westeurope",
  accountName: "bankinsurer7f5e11d7",
  parties: [
    { name: "bank", uploaders: [{ objectId: "f64dfd16-ddab-4c69-828e-9a852420d8c3", type: "ServicePrincipal" as const }] },
    { name: "insurer", uploaders: [{ objectId: "6757d8b9-41d8-48e6-89fc-8c14bffd1d2a" }] },
  ],
  outputReaders: [{ objectId: "2dcae10e-0d0e-4442-884d-74da9dcf84f2", type: "Group" as const }],
  allowedSubnetIds: [NODE_SUBNET],
  allowedIpRanges: ["203.0.113.0/24"],
  skuName: "Standard_ZRS" as const,
};
const CLUSTER_ARGS = {
  resourceGroupName: "bank-rg",
  location: "westeurope",
  clusterName: "bank-aks",
  nodeResourceGroupName: "bank-aks-nodes",
  tenantId: "45533932-df55-4be7-845e-097da063d0a6",
  adminGroupObjectIds: ["37ed9b44-4fdd-4505-8c9c-c536d9a24444"],
  nodeSubnetId: NODE_SUBNET,
  controlPlaneIdentityName: "bank-aks-controlplane",
  kubeletIdentityName: "bank-aks-kubelet",
  enclavePool: { vmSize: "Standard_DC4as_v5", minCount: 1, maxCount: 2 },
  networkPolicy: "cilium" as const,
};
const NETWORK_ARGS = { resourceGroupName: "bank-rg", location: "westeurope", vnetName: "bank-vnet", containerSubnet: { prefix: "10.40.16.0/24" }, tags: { env: "test" } };

let engine: MockEngine;
let provider: ProviderProcess;
let schema: PackageSchema;
let program: Promise<ProgramRunResult>;

beforeAll(async () => {
  // The program run is a separate child process: it proceeds while the provider starts.
  program = runProgramUnderMocks({ stack: STACK, config: stackFileToPulumiConfig(stackFile) });
  engine = await startMockEngine({ project: PROJECT_NAME, stack: STACK });
  provider = await startProvider({ engineAddress: engine.address });
  schema = await provider.getSchema();
});

afterAll(async () => {
  provider?.stop();
  await engine?.stop();
});

describe("the component package's schema (GetSchema), inferred from pulumi-package/", () => {
  it("publishes CleanRoom, Network, Attestation, PartyVault, SharedStorage and ConfidentialCluster, every input and output described", () => {
    expect(Object.keys(schema.resources).sort()).toEqual(COMPONENTS.map((c) => `cleanroom:index:${c}`).sort());
    for (const [token, spec] of Object.entries(schema.resources)) {
      expect(spec.isComponent, token).toBe(true);
      expect(spec.description, token).toBeTruthy();
      for (const [key, prop] of [...Object.entries(spec.inputProperties), ...Object.entries(spec.properties)]) expect(prop.description, `${token}.${key}`).toBeTruthy();
    }
    const vault = schema.resources["cleanroom:index:PartyVault"]!;
    expect(vault.requiredInputs.sort()).toEqual(["admins", "allowedSubnetIds", "attestation", "location", "party", "releasePrincipalId", "resourceGroupName", "tenantId", "uploaders", "vaultName"]);
    expect(vault.inputProperties.admins).toMatchObject({ items: { $ref: "#/types/cleanroom:index:Principal" } });
    expect(Object.keys(vault.properties).sort()).toEqual(["keyId", "keyName", "keyUriWithVersion", "releasePolicy", "releasePolicyDigest", "vaultId", "vaultUri"]);
    expect(schema.resources["cleanroom:index:Attestation"]!.inputProperties.kind).toMatchObject({ $ref: "#/types/cleanroom:index:AttestationKind" });
    expect(Object.keys(schema.resources["cleanroom:index:Network"]!.properties).sort()).toEqual(["containerSubnetId", "nodeSubnetId", "vnetId"]);
  });

  it("names the package after pulumi-package/package.json and publishes CleanRoom as a component with a description", () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { name: string; version: string };
    expect(schema.name).toBe("cleanroom");
    expect(schema.version).toBe(manifest.version);
    const room = schema.resources[TOKEN]!;
    expect(room.isComponent).toBe(true);
    expect(room.description).toMatch(/confidential data clean room on Azure/);
  });

  it("has exactly the stack config keys as inputs, each described, required exactly where the config requires it", () => {
    const room = schema.resources[TOKEN]!;
    expect(Object.keys(room.inputProperties).sort()).toEqual([...CONFIG_KEYS].sort());
    for (const [key, prop] of Object.entries(room.inputProperties)) expect(prop.description, key).toBeTruthy();
    // The config parser reports exactly the required keys when given nothing (in confidential-container
    // mode; confidential-node mode also requires clusterAdminGroupObjectIds, which the schema cannot say).
    const missingIn = (raw: Record<string, string>): string[] => {
      try {
        parseStackConfig(raw, "cleanroom");
      } catch (err) {
        return (err as { issues: { key: string; rule: string }[] }).issues.filter((i) => i.rule === "required").map((i) => i.key.slice("cleanroom:".length));
      }
      return [];
    };
    expect(room.requiredInputs.sort()).toEqual(missingIn({ "cleanroom:isolationMode": "confidential-container" }).sort());
    expect(missingIn({}).sort()).toEqual([...room.requiredInputs, "clusterAdminGroupObjectIds"].sort());
  });

  it("types the nested inputs: parties, principals, datasets and the enums the config accepts", () => {
    const room = schema.resources[TOKEN]!;
    expect(room.inputProperties.parties).toMatchObject({ type: "array", items: { $ref: "#/types/cleanroom:index:Party" } });
    expect(room.inputProperties.approvals).toMatchObject({ type: "object", additionalProperties: { type: "string" } });
    const party = schema.types["cleanroom:index:Party"]!;
    expect(party.required!.sort()).toEqual(["admins", "name", "uploaders"]);
    expect(party.properties!.admins).toMatchObject({ type: "array", items: { $ref: "#/types/cleanroom:index:Principal" } });
    expect(party.properties!.signingKey).toMatchObject({ type: "object", additionalProperties: { type: "string" } });
    for (const prop of Object.values(party.properties!)) expect(prop.description).toBeTruthy();
    expect(schema.types["cleanroom:index:Dataset"]!.required!.sort()).toEqual(["blobName", "format", "name", "owner", "schema"]);
    const values = (t: string) => schema.types[`cleanroom:index:${t}`]!.enum!.map((e) => e.value);
    expect(values("IsolationMode")).toEqual(["confidential-node", "confidential-container"]);
    expect(values("AttestationKind")).toEqual(["shared", "dedicated"]);
    expect(values("DatasetFormat")).toEqual(["csv", "parquet"]);
    expect(values("UpgradeChannel")).toContain("node-image");
  });

  it("has the program's stack outputs as outputs, each described", async () => {
    const room = schema.resources[TOKEN]!;
    const run = await program;
    expect(run.status, run.stderr).toBe(0);
    // Outputs the example leaves undefined (confidential-container ones) are absent from the stack, not from the schema.
    for (const key of Object.keys(run.report!.stackOutputs!)) expect(room.properties, key).toHaveProperty(key);
    expect(Object.keys(room.properties)).toEqual(expect.arrayContaining(["enclaveHostdata", "enclaveContainerGroup", "enclaveJob", "parties", "contractHash"]));
    for (const [key, prop] of Object.entries(room.properties)) expect(prop.description, key).toBeTruthy();
    expect(room.required).toEqual(expect.arrayContaining(["phase", "parties", "attestationEndpoint", "storageAccountName"]));
    expect(room.required).not.toContain("contractHash");
    expect(room.properties.parties).toMatchObject({ additionalProperties: { $ref: "#/types/cleanroom:index:PartyEndpoints" } });
  });
});

describe("Construct through the provider protocol, children registered with a mock engine", () => {
  it("declares exactly the resources the TypeScript program declares for the same stack, and its outputs", async () => {
    const before = engine.records.length;
    const urnsBefore = new Set(engine.urns());
    const result = await provider.construct({ project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: TOKEN, name: "cleanroom", parent: STACK_URN, inputs: stackInputs() });
    const run = await program;
    expect(run.status, run.stderr).toBe(0);

    expect(result.urn).toBe(`urn:pulumi:${STACK}::${PROJECT_NAME}::pulumi:pulumi:Stack$${TOKEN}::cleanroom`);
    const viaPackage = normalized(engine.records.slice(before));
    const viaProgram = normalized(run.report!.resources);
    expect(viaPackage.length).toBeGreaterThan(40);
    expect(viaPackage.map((r) => `${r.type} ${r.name}`)).toEqual(viaProgram.map((r) => `${r.type} ${r.name}`));
    expect(viaPackage).toEqual(viaProgram);
    const roomUrns = engine.urns().filter((u) => !urnsBefore.has(u));
    expect(roomUrns.sort()).toEqual(run.report!.urns.filter((u) => !u.endsWith(`::${PROJECT_NAME}-${STACK}`)).sort());

    const outputs = run.report!.stackOutputs!;
    expect(result.state.phase).toBe("approved");
    expect(result.state.contractHash).toBe(outputs.contractHash);
    expect(result.state.contract).toBe(outputs.contract);
    expect(result.state.parties).toEqual(outputs.parties);
    expect(result.state.enclaveJob).toEqual(outputs.enclaveJob);
    // The kubeconfig stays a secret across the wire.
    expect(result.state.kubeconfig).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
  });

  it.each([
    ["PartyVault", VAULT_ARGS, (n: string) => new TsPartyVault(n, VAULT_ARGS)],
    ["Network", NETWORK_ARGS, (n: string) => new TsNetwork(n, NETWORK_ARGS)],
    ["SharedStorage", STORAGE_ARGS, (n: string) => new TsSharedStorage(n, STORAGE_ARGS)],
    ["ConfidentialCluster", CLUSTER_ARGS, (n: string) => new TsConfidentialCluster(n, CLUSTER_ARGS)],
    [
      "Attestation",
      { location: "westeurope", kind: "dedicated", providerName: "bankattest", resourceGroupName: "bank-rg" },
      (n: string) => new TsAttestation(n, { location: "westeurope", resourceGroupName: "bank-rg", choice: { kind: "dedicated", providerName: "bankattest" } }),
    ],
  ] as const)("%s: the same children as the TypeScript component with the same arguments", async (component, args, typescript) => {
    const name = `solo-${component.toLowerCase()}`;
    const before = engine.records.length;
    await provider.construct({ project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: `cleanroom:index:${component}`, name, parent: STACK_URN, inputs: args });
    tsMocks.reset();
    typescript(name);
    await tsMocks.settle();
    const viaPackage = normalized(engine.records.slice(before));
    // The component and at least one child.
    expect(viaPackage.length).toBeGreaterThan(1);
    expect(viaPackage).toEqual(normalized(tsMocks.records));
  });

  it("PartyVault: ids that come from other resources are accepted as outputs; a vault name that does is refused", async () => {
    const dependency = `urn:pulumi:${STACK}::${PROJECT_NAME}::azure-native:managedidentity:UserAssignedIdentity::enclave`;
    const ok = await provider.construct({
      project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: "cleanroom:index:PartyVault", name: "wired", parent: STACK_URN,
      inputs: { ...VAULT_ARGS, vaultName: "bank-kv-wired" },
      inputDependencies: { releasePrincipalId: [dependency], allowedSubnetIds: [dependency], resourceGroupName: [dependency] },
    });
    expect(ok.state.keyId).toMatch(/^https:\/\/bank-kv-wired\.vault\.azure\.net\/keys\//);
    const release = engine.records.find((r) => r.name === "wired-release")!;
    expect(release.inputs.principalId).toBe(VAULT_ARGS.releasePrincipalId);
    const error = await provider
      .construct({
        project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: "cleanroom:index:PartyVault", name: "renamed", parent: STACK_URN,
        inputs: VAULT_ARGS, inputDependencies: { vaultName: [dependency] },
      })
      .then(() => undefined, (err: Error) => err);
    expect(propertyErrors(error)).toEqual([{ propertyPath: "vaultName", reason: expect.stringMatching(/known before deployment/) }]);
  });

  it("Attestation: the flat kind + providerName stands for the TypeScript union; a dedicated provider without its name or group is refused", async () => {
    const error = await provider
      .construct({ project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: "cleanroom:index:Attestation", name: "half", parent: STACK_URN, inputs: { location: "westeurope", kind: "dedicated" } })
      .then(() => undefined, (err: Error) => err);
    expect(propertyErrors(error).map((e) => e.propertyPath).sort()).toEqual(["providerName", "resourceGroupName"]);
    const shared = await provider.construct({ project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: "cleanroom:index:Attestation", name: "shared", parent: STACK_URN, inputs: { location: "westeurope", kind: "shared" } });
    expect(shared.state.endpoint).toBe(sharedAttestationEndpoint("westeurope"));
  });

  it("refuses approvals that do not verify for the contract: the construct fails naming the party, no enclave is declared", async () => {
    const inputs = stackInputs();
    const approvals = inputs.approvals as Record<string, string>;
    const before = engine.records.length;
    const error = await provider
      .construct({
        project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: TOKEN, name: "forged", parent: STACK_URN,
        inputs: { ...inputs, approvals: { ...approvals, insurer: approvals.bank } },
      })
      .then(() => undefined, (err: Error) => err);
    expect(error?.message).toMatch(/is not approved by every dataset owner/);
    expect(error?.message).toMatch(/insurer/);
    const declared = engine.records.slice(before);
    expect(declared.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("azure-native:"))).toEqual([]);
    // Reported by the phase output alone (its value and known-ness), not once per output.
    expect(provider.log().match(/is not approved by every dataset owner/g)?.length ?? 0).toBeLessThanOrEqual(2);
  });

  it("answers invalid inputs with property errors from the program's config rules", async () => {
    const inputs = stackInputs();
    const parties = inputs.parties as { name: string }[];
    const bad = { ...inputs, parties: [parties[0], { ...parties[1], name: "Insurer!" }], recipients: ["bank", "nobody"] };
    const error = await provider
      .construct({ project: PROJECT_NAME, stack: STACK, monitorEndpoint: engine.address, type: TOKEN, name: "bad", parent: STACK_URN, inputs: bad })
      .then(() => undefined, (err: Error) => err);
    expect(error?.message).toMatch(/INVALID_ARGUMENT: CleanRoom inputs are invalid/);
    const errors = propertyErrors(error);
    expect(errors).toContainEqual({ propertyPath: "parties[1].name", reason: expect.stringMatching(/lowercase letters.*\[party-name\]$/) });
    expect(errors).toContainEqual({ propertyPath: "recipients[1]", reason: expect.stringMatching(/"nobody" is not one of the parties/) });
    // No child was declared for the rejected collaboration (the component itself registers first, as the TypeScript one does).
    expect(engine.records.filter((r) => r.name.startsWith("bad-"))).toEqual([]);
  });
});
