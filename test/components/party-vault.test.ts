import { describe, expect, it } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import { decodeReleasePolicy, PARTY_TAG, releasePolicyDigest } from "../../enclave-app/src/protocol/index.ts";
import { BuiltInRoles, PartyVault, planKek, validatePartyVaultArgs, type PartyVaultArgs } from "../../components/index.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, fakeGuid, roleGuid, setupPulumiMocks, valueOf } from "../helpers/pulumi.ts";

const mocks = setupPulumiMocks();
const AUTHORITY = "https://cleanroomatt1.weu.attest.azure.net";
const SUBNET = `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes`;
const ids = { admin: fakeGuid("bank-admin"), uploader: fakeGuid("bank-uploader"), kubelet: fakeGuid("kubelet") };

function args(overrides: Partial<PartyVaultArgs> = {}): PartyVaultArgs {
  return {
    party: "bank",
    resourceGroupName: "rg-1",
    location: "westeurope",
    tenantId: fakeGuid("tenant"),
    vaultName: "bank-1a2b3c4d",
    attestation: { authority: AUTHORITY, mode: "confidential-node" },
    admins: [{ objectId: ids.admin, type: "Group" }],
    uploaders: [ids.uploader],
    releasePrincipalId: ids.kubelet,
    allowedSubnetIds: [SUBNET],
    allowedIpRanges: ["203.0.113.0/24"],
    ...overrides,
  };
}

/** Resource options as the children receive them (the mocks see inputs only), through a client-side transformation. */
const childOptions = new Map<string, pulumi.CustomResourceOptions>();
const recordOptions: pulumi.ResourceTransformation = ({ name, props, opts }) => {
  childOptions.set(name, opts as pulumi.CustomResourceOptions);
  return { props, opts };
};

describe("PartyVault", () => {
  it("creates a Premium, RBAC-only, purge-protected vault that denies every network but the node subnet and the party's ranges", async () => {
    const vault = new PartyVault("bank", args(), { transformations: [recordOptions] });
    await mocks.settle();
    const v = mocks.one(AzureTypes.vault, "bank-vault").inputs;
    expect(v.vaultName).toBe("bank-1a2b3c4d");
    expect(v.properties).toMatchObject({
      sku: { family: "A", name: "premium" },
      enableRbacAuthorization: true,
      accessPolicies: [],
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: true,
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      publicNetworkAccess: "Enabled",
      networkAcls: {
        defaultAction: "Deny",
        bypass: "None",
        ipRules: [{ value: "203.0.113.0/24" }],
        virtualNetworkRules: [{ id: SUBNET, ignoreMissingVnetServiceEndpoint: false }],
      },
    });
    expect(await valueOf(vault.vaultUri)).toBe("https://bank-1a2b3c4d.vault.azure.net/");
  });

  it("keeps the key on delete: ARM cannot delete it and the data plane is behind the vault firewall", () => {
    expect(childOptions.get("bank-kek")?.retainOnDelete).toBe(true);
    // The vault itself is deleted through ARM as usual (purge protection keeps it recoverable).
    expect(childOptions.get("bank-vault")?.retainOnDelete).toBeUndefined();
  });

  it("creates an exportable RSA-HSM key with the protocol's release policy and a policy-digest key name", async () => {
    const plan = planKek(args());
    const key = mocks.one(AzureTypes.key, "bank-kek").inputs;
    expect(key.keyName).toBe(plan.keyName);
    expect(key.keyName).toMatch(new RegExp(`^bank-kek-rsa3072-${plan.releasePolicyDigest.slice(0, 12)}$`));
    expect(key.vaultName).toBe("bank-1a2b3c4d");
    expect(key.properties).toMatchObject({ kty: "RSA-HSM", keySize: 3072, attributes: { enabled: true, exportable: true } });
    expect(key.properties.releasePolicy.contentType).toBe("application/json; charset=utf-8");
    const policy = decodeReleasePolicy(key.properties.releasePolicy);
    // One alternative per spelling of "not debuggable", both under the collaboration's authority.
    expect(policy.anyOf.map((a) => a.authority)).toEqual([AUTHORITY, AUTHORITY]);
    expect(releasePolicyDigest(policy)).toBe(plan.releasePolicyDigest);
    expect(JSON.stringify(policy)).toContain("x-ms-isolation-tee.x-ms-attestation-type");
    expect(plan.keyId).toBe(`https://bank-1a2b3c4d.vault.azure.net/keys/${plan.keyName}`);
  });

  it("gives a new key name when the policy's authority changes, and a 4096-bit key when asked", () => {
    const a = planKek(args());
    const b = planKek(args({ attestation: { authority: "https://sharedweu.weu.attest.azure.net", mode: "confidential-node" } }));
    expect(a.keyName).not.toBe(b.keyName);
    expect(planKek(args({ keySize: 4096 })).keyName).toMatch(/^bank-kek-rsa4096-/);
  });

  it("assigns Crypto Officer at vault scope, Crypto User and the release role at key scope, and nothing else", () => {
    const vaultId = `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.KeyVault/vaults/bank-1a2b3c4d`;
    const keyScope = `${vaultId}/keys/${planKek(args()).keyName}`;
    const roles = mocks.all(AzureTypes.roleAssignment).map((r) => ({ principal: r.inputs.principalId, role: roleGuid(r.inputs.roleDefinitionId), scope: r.inputs.scope, def: r.inputs.roleDefinitionId }));
    expect(roles).toHaveLength(3);
    expect(roles).toContainEqual(expect.objectContaining({ principal: ids.admin, role: BuiltInRoles.keyVaultCryptoOfficer, scope: vaultId }));
    expect(roles).toContainEqual(expect.objectContaining({ principal: ids.uploader, role: BuiltInRoles.keyVaultCryptoUser, scope: keyScope }));
    expect(roles).toContainEqual(expect.objectContaining({ principal: ids.kubelet, role: BuiltInRoles.keyVaultCryptoServiceReleaseUser, scope: keyScope }));
    for (const r of roles) expect(r.def).toBe(`/subscriptions/${DEFAULT_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${r.role}`);
    const release = roles.filter((r) => r.principal === ids.kubelet);
    expect(release).toHaveLength(1);
    expect(mocks.one(AzureTypes.roleAssignment, "bank-release").inputs.principalType).toBe("ServicePrincipal");
    expect(mocks.one(AzureTypes.roleAssignment, "bank-admin-0").inputs.principalType).toBe("Group");
  });

  it("reports every invalid argument at once", () => {
    const issues = validatePartyVaultArgs(
      args({
        party: "Bank!",
        vaultName: "this-vault-name-is-way-too-long",
        tenantId: "nope",
        keySize: 2048,
        admins: [],
        uploaders: ["not-a-guid"],
        allowedSubnetIds: [],
        allowedIpRanges: ["192.168.1.0/24", "2001:db8::/32"],
      }),
    );
    expect(issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual([
      "admins:required",
      "allowedIpRanges[0]:ip-range",
      "allowedIpRanges[1]:ip-range",
      "allowedSubnetIds:required",
      "keySize:kek-size",
      "party:party-name",
      "tenantId:guid",
      "uploaders[0]:guid",
      "vaultName:vault-name",
    ]);
    for (const bad of ["1vault", "ab", "vault--name", "vault-", "vault_name"]) {
      expect(validatePartyVaultArgs(args({ vaultName: bad })).map((i) => i.rule), bad).toContain("vault-name");
    }
    expect(() => new PartyVault("x", args({ keySize: 2048 }))).toThrow(/keySize: RSA-HSM key size must be 3072 or 4096/);
  });

  it("tags the vault and the key with their party, over a caller's tag of the same name, keeping the caller's other tags", async () => {
    expect(mocks.one(AzureTypes.vault, "bank-vault").inputs.tags).toEqual({ [PARTY_TAG]: "bank" });
    expect(mocks.one(AzureTypes.key, "bank-kek").inputs.tags).toEqual({ [PARTY_TAG]: "bank" });
    new PartyVault("auditor", args({ party: "auditor", vaultName: "auditor-1a2b3c4d", tags: { costCenter: "42", [PARTY_TAG]: "bank" } }));
    await mocks.settle();
    for (const r of [mocks.one(AzureTypes.vault, "auditor-vault"), mocks.one(AzureTypes.key, "auditor-kek")]) {
      expect(r.inputs.tags, r.name).toEqual({ costCenter: "42", [PARTY_TAG]: "auditor" });
    }
  });
});
