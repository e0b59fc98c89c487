import { describe, expect, it } from "vitest";
import { Attestation, ComponentArgsError, Network, validateAttestationArgs, validateNetworkArgs } from "../../components/index.ts";
import { AzureTypes, setupPulumiMocks, valueOf } from "../helpers/pulumi.ts";

const mocks = setupPulumiMocks();

describe("Network", () => {
  it("creates a VNet and a node subnet with Key Vault and Storage service endpoints", async () => {
    const net = new Network("net", { resourceGroupName: "rg-1", location: "westeurope", vnetName: "collab-vnet" });
    await mocks.settle();
    const vnet = mocks.one(AzureTypes.vnet, "net-vnet");
    expect(vnet.inputs.virtualNetworkName).toBe("collab-vnet");
    expect(vnet.inputs.addressSpace).toEqual({ addressPrefixes: ["10.40.0.0/16"] });
    const subnet = mocks.one(AzureTypes.subnet, "net-nodes");
    expect(subnet.inputs.addressPrefix).toBe("10.40.0.0/20");
    expect(subnet.inputs.serviceEndpoints.map((e: { service: string }) => e.service).sort()).toEqual(["Microsoft.KeyVault", "Microsoft.Storage"]);
    expect(subnet.inputs.virtualNetworkName).toBe("collab-vnet");
    expect(await valueOf(net.nodeSubnetId)).toMatch(/\/virtualNetworks\/collab-vnet\/subnets\/nodes$/);
    expect(mocks.urnOf(AzureTypes.subnet, "net-nodes")).toContain("cleanroom:index:Network$azure-native:network:Subnet");
  });

  it("reports every address problem at once", () => {
    const issues = validateNetworkArgs({ resourceGroupName: "rg", location: "westeurope", vnetName: "Bad_Name", addressSpace: "10.1.0.0/16", nodeSubnetPrefix: "10.2.0.0/28" });
    expect(issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual(["nodeSubnetPrefix:subnet-outside-vnet", "nodeSubnetPrefix:subnet-too-small", "vnetName:name-format"]);
    expect(() => new Network("bad", { resourceGroupName: "rg", location: "westeurope", vnetName: "x", addressSpace: "nope" })).toThrow(ComponentArgsError);
  });
});

describe("Attestation", () => {
  it("creates a dedicated provider and outputs its endpoint once the attestUri matches the derived one", async () => {
    const att = new Attestation("att", { location: "westeurope", resourceGroupName: "rg-1", choice: { kind: "dedicated", providerName: "cleanroomatt1" } });
    expect(att.expectedEndpoint).toBe("https://cleanroomatt1.weu.attest.azure.net");
    expect(await valueOf(att.endpoint)).toBe("https://cleanroomatt1.weu.attest.azure.net");
    await mocks.settle();
    const provider = mocks.one(AzureTypes.attestationProvider, "att-provider");
    expect(provider.inputs.providerName).toBe("cleanroomatt1");
    expect(provider.inputs.location).toBe("westeurope");
    expect(provider.inputs.properties).toEqual({ publicNetworkAccess: "Enabled", tpmAttestationAuthentication: "Disabled" });
  });

  it("uses the shared regional endpoint without creating anything", async () => {
    mocks.reset();
    const att = new Attestation("shared", { location: "northeurope", choice: { kind: "shared" } });
    expect(await valueOf(att.endpoint)).toBe("https://sharedneu.neu.attest.azure.net");
    await mocks.settle();
    expect(mocks.all(AzureTypes.attestationProvider)).toHaveLength(0);
  });

  it("rejects regions without a known attestation code and bad provider names", () => {
    const issues = validateAttestationArgs({ location: "antarctica", resourceGroupName: "rg", choice: { kind: "dedicated", providerName: "has-hyphen" } });
    expect(issues.map((i) => i.rule).sort()).toEqual(["name-format", "unsupported-region"]);
    expect(() => new Attestation("x", { location: "antarctica", choice: { kind: "shared" } })).toThrow(/unsupported-region/);
  });
});
