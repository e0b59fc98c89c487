import { describe, expect, it } from "vitest";
import { BuiltInRoles, PARTY_TAG, SharedStorage, validateSharedStorageArgs, type SharedStorageArgs } from "../../components/index.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, fakeGuid, roleGuid, setupPulumiMocks } from "../helpers/pulumi.ts";

const mocks = setupPulumiMocks();
const SUBNET = `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes`;
const ids = { bank: fakeGuid("bank-uploader"), insurer: fakeGuid("insurer-uploader"), analyst: fakeGuid("analyst") };

function args(overrides: Partial<SharedStorageArgs> = {}): SharedStorageArgs {
  return {
    resourceGroupName: "rg-1",
    location: "westeurope",
    accountName: "collabstorage01",
    parties: [
      { name: "bank", uploaders: [ids.bank] },
      { name: "insurer", uploaders: [ids.insurer] },
    ],
    outputReaders: [ids.analyst],
    allowedSubnetIds: [SUBNET],
    allowedIpRanges: ["203.0.113.0/24", "198.51.100.7"],
    ...overrides,
  };
}

describe("SharedStorage", () => {
  it("creates a StorageV2 account with every security property set explicitly", async () => {
    const storage = new SharedStorage("st", args());
    await mocks.settle();
    const acct = mocks.one(AzureTypes.storageAccount, "st-account").inputs;
    expect(acct).toMatchObject({
      accountName: "collabstorage01",
      kind: "StorageV2",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
      minimumTlsVersion: "TLS1_2",
      enableHttpsTrafficOnly: true,
      publicNetworkAccess: "Enabled",
      isLocalUserEnabled: false,
      isSftpEnabled: false,
      encryption: { requireInfrastructureEncryption: true, keySource: "Microsoft.Storage" },
      networkRuleSet: {
        defaultAction: "Deny",
        bypass: "None",
        ipRules: [
          { iPAddressOrRange: "203.0.113.0/24", action: "Allow" },
          { iPAddressOrRange: "198.51.100.7", action: "Allow" },
        ],
        virtualNetworkRules: [{ virtualNetworkResourceId: SUBNET, action: "Allow" }],
      },
    });
    expect(storage.blobEndpoint).toBe("https://collabstorage01.blob.core.windows.net");
  });

  it("turns on blob versioning and soft delete for blobs and containers", () => {
    const svc = mocks.one(AzureTypes.blobService, "st-blob-service").inputs;
    expect(svc).toMatchObject({
      accountName: "collabstorage01",
      blobServicesName: "default",
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 30 },
      containerDeleteRetentionPolicy: { enabled: true, days: 30 },
    });
  });

  it("creates one private input container per party and one output container", () => {
    const containers = mocks.all(AzureTypes.container).map((c) => c.inputs);
    expect(containers.map((c) => c.containerName).sort()).toEqual(["input-bank", "input-insurer", "output"]);
    for (const c of containers) expect(c.publicAccess).toBe("None");
  });

  it("names each input container's party in its metadata, and leaves the output container unattributed", () => {
    const metadataOf = (containerName: string) => mocks.all(AzureTypes.container).find((c) => c.inputs.containerName === containerName)!.inputs.metadata;
    expect(metadataOf("input-bank")).toEqual({ [PARTY_TAG]: "bank" });
    expect(metadataOf("input-insurer")).toEqual({ [PARTY_TAG]: "insurer" });
    expect(metadataOf("output")).toBeUndefined();
  });

  it("lets only each party's uploaders write its container and recipients read the output, at container scope", () => {
    const container = (name: string) =>
      `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/collabstorage01/blobServices/default/containers/${name}`;
    const roles = mocks.all(AzureTypes.roleAssignment).map((r) => ({ principal: r.inputs.principalId, role: roleGuid(r.inputs.roleDefinitionId), scope: r.inputs.scope }));
    expect(roles).toEqual(
      expect.arrayContaining([
        { principal: ids.bank, role: BuiltInRoles.storageBlobDataContributor, scope: container("input-bank") },
        { principal: ids.insurer, role: BuiltInRoles.storageBlobDataContributor, scope: container("input-insurer") },
        { principal: ids.analyst, role: BuiltInRoles.storageBlobDataReader, scope: container("output") },
      ]),
    );
    expect(roles).toHaveLength(3);
  });

  it("reports every invalid argument at once", () => {
    const issues = validateSharedStorageArgs(
      args({
        accountName: "Way-Too-Long-Storage-Account-Name",
        parties: [
          { name: "bank", uploaders: ["x"] },
          { name: "bank", uploaders: [] },
        ],
        allowedSubnetIds: [],
        allowedIpRanges: ["10.1.2.3"],
        deleteRetentionDays: 0,
      }),
    );
    expect(issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual([
      "accountName:storage-account-name",
      "allowedIpRanges[0]:ip-range",
      "allowedSubnetIds:required",
      "deleteRetentionDays:range",
      "parties[0].uploaders[0]:guid",
      "parties[1].name:duplicate-party",
    ]);
    expect(validateSharedStorageArgs(args({ accountName: "ab" })).map((i) => i.rule)).toContain("storage-account-name");
    expect(validateSharedStorageArgs(args({ accountName: "a".repeat(25) })).map((i) => i.rule)).toContain("storage-account-name");
  });
});
