import { describe, expect, it } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import {
  AKS_AAD_SERVER_ID,
  BuiltInRoles,
  ConfidentialCluster,
  kubernetesVersionProblem,
  validateConfidentialClusterArgs,
  type ConfidentialClusterArgs,
} from "../../components/index.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, fakeGuid, isSecret, roleGuid, setupPulumiMocks, valueOf } from "../helpers/pulumi.ts";

const mocks = setupPulumiMocks();
const TENANT = fakeGuid("tenant");
const ADMINS = fakeGuid("admins");
const SUBNET = `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes`;

function args(overrides: Partial<ConfidentialClusterArgs> = {}): ConfidentialClusterArgs {
  return {
    resourceGroupName: "rg-1",
    location: "westeurope",
    clusterName: "collab-aks",
    nodeResourceGroupName: "collab-aks-nodes",
    tenantId: TENANT,
    adminGroupObjectIds: [ADMINS],
    nodeSubnetId: SUBNET,
    controlPlaneIdentityName: "collab-controlplane",
    kubeletIdentityName: "collab-kubelet",
    ...overrides,
  };
}

/** Resource options as the children receive them (the mocks see inputs only), through a client-side transformation. */
const childOptions = new Map<string, pulumi.CustomResourceOptions>();
const recordOptions: pulumi.ResourceTransformation = ({ name, props, opts }) => {
  childOptions.set(name, opts as pulumi.CustomResourceOptions);
  return { props, opts };
};

describe("ConfidentialCluster", () => {
  it("locks down the managed cluster: Entra-only access, Azure RBAC, OIDC + workload identity, network policy, auto-upgrade", async () => {
    const cluster = new ConfidentialCluster("c", args(), { transformations: [recordOptions] });
    await mocks.settle();
    const aks = mocks.one(AzureTypes.cluster, "c-aks").inputs;
    expect(aks.resourceName).toBe("collab-aks");
    expect(aks.disableLocalAccounts).toBe(true);
    expect(aks.enableRBAC).toBe(true);
    expect(aks.aadProfile).toEqual({ managed: true, enableAzureRBAC: true, adminGroupObjectIDs: [ADMINS], tenantID: TENANT });
    expect(aks.oidcIssuerProfile).toEqual({ enabled: true });
    expect(aks.securityProfile.workloadIdentity).toEqual({ enabled: true });
    expect(aks.networkProfile).toMatchObject({ networkPlugin: "azure", networkPluginMode: "overlay", networkPolicy: "cilium", networkDataplane: "cilium" });
    expect(aks.autoUpgradeProfile).toEqual({ upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
    expect(aks.apiServerAccessProfile).toMatchObject({ disableRunCommand: true, enablePrivateCluster: false });
    expect(aks.nodeResourceGroup).toBe("collab-aks-nodes");
    expect(await valueOf(cluster.oidcIssuerUrl)).toMatch(/^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\//);
  });

  it("uses a user-assigned control-plane identity and an explicit user-assigned kubelet identity", async () => {
    const aks = mocks.one(AzureTypes.cluster, "c-aks").inputs;
    const controlPlane = mocks.one(AzureTypes.identity, "c-controlplane-identity");
    const kubelet = mocks.one(AzureTypes.identity, "c-kubelet-identity");
    expect(controlPlane.inputs.resourceName).toBe("collab-controlplane");
    expect(kubelet.inputs.resourceName).toBe("collab-kubelet");
    const kubeletId = `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/collab-kubelet`;
    expect(aks.identity).toEqual({
      type: "UserAssigned",
      userAssignedIdentities: [`/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/collab-controlplane`],
    });
    expect(aks.identityProfile.kubeletidentity).toEqual({
      resourceId: kubeletId,
      clientId: fakeGuid("client", DEFAULT_SUBSCRIPTION, "collab-kubelet"),
      objectId: fakeGuid("principal", DEFAULT_SUBSCRIPTION, "collab-kubelet"),
    });
  });

  it("grants the control plane Managed Identity Operator on the kubelet identity and Network Contributor on the subnet, nothing else", () => {
    const roles = mocks.all(AzureTypes.roleAssignment);
    expect(roles).toHaveLength(2);
    const cp = fakeGuid("principal", DEFAULT_SUBSCRIPTION, "collab-controlplane");
    const operator = mocks.one(AzureTypes.roleAssignment, "c-controlplane-operates-kubelet").inputs;
    expect(operator.principalId).toBe(cp);
    expect(roleGuid(operator.roleDefinitionId)).toBe(BuiltInRoles.managedIdentityOperator);
    expect(operator.roleDefinitionId).toBe(`/subscriptions/${DEFAULT_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.managedIdentityOperator}`);
    expect(operator.scope).toMatch(/\/userAssignedIdentities\/collab-kubelet$/);
    const join = mocks.one(AzureTypes.roleAssignment, "c-controlplane-joins-subnet").inputs;
    expect(join.principalId).toBe(cp);
    expect(roleGuid(join.roleDefinitionId)).toBe(BuiltInRoles.networkContributor);
    expect(join.scope).toBe(SUBNET);
  });

  it("has a tainted system pool and a separate confidential pool reserved for enclave pods", () => {
    const aks = mocks.one(AzureTypes.cluster, "c-aks").inputs;
    expect(aks.agentPoolProfiles).toHaveLength(1);
    const system = aks.agentPoolProfiles[0];
    expect(system).toMatchObject({ name: "system", mode: "System", nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"], vnetSubnetID: SUBNET, enableNodePublicIP: false });
    const pool = mocks.one(AzureTypes.agentPool, "c-enclave-pool").inputs;
    expect(pool).toMatchObject({
      resourceName: "collab-aks",
      agentPoolName: "enclave",
      mode: "User",
      vmSize: "Standard_DC4as_v5",
      osSKU: "Ubuntu2404",
      securityProfile: { sshAccess: "Disabled" },
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 3,
      nodeTaints: ["cleanroom.io/enclave=true:NoSchedule"],
      nodeLabels: { "cleanroom.io/enclave": "true" },
      vnetSubnetID: SUBNET,
      enableNodePublicIP: false,
    });
  });

  it("leaves the autoscaled node counts to the autoscaler on update", () => {
    expect(childOptions.get("c-enclave-pool")?.ignoreChanges).toEqual(["count"]);
    expect(childOptions.get("c-aks")?.ignoreChanges).toEqual(["agentPoolProfiles[0].count"]);
    const aks = mocks.one(AzureTypes.cluster, "c-aks").inputs;
    expect(aks.agentPoolProfiles[0]).toMatchObject({ enableAutoScaling: true, count: 1 });
  });

  it("accepts only Kubernetes 1.32-1.38, the range AKS runs Ubuntu 24.04 CVM pools on", () => {
    for (const ok of ["1.32", "1.33.2", "1.38", "1.38.0"]) expect(kubernetesVersionProblem(ok), ok).toBeUndefined();
    for (const bad of ["1.31", "1.31.9", "1.39", "1.40.1"]) expect(kubernetesVersionProblem(bad)?.rule, bad).toBe("cvm-version-range");
    for (const bad of ["latest", "2.33", "1.33.x", "v1.33"]) expect(kubernetesVersionProblem(bad)?.rule, bad).toBe("version-format");
    expect(validateConfidentialClusterArgs(args({ kubernetesVersion: "1.33" }))).toEqual([]);
    expect(validateConfidentialClusterArgs(args({ kubernetesVersion: "1.31.2" }))).toEqual([
      {
        path: "kubernetesVersion",
        rule: "cvm-version-range",
        message: '"1.31.2" is outside 1.32-1.38, the Kubernetes versions AKS supports Ubuntu2404 confidential VM pools on',
      },
    ]);
  });

  it("produces a secret kubeconfig that logs in through kubelogin with the chosen mode", async () => {
    mocks.reset();
    const cluster = new ConfidentialCluster("k", args({ kubeloginMode: "workloadidentity" }));
    expect(await isSecret(cluster.kubeconfig)).toBe(true);
    const kc = JSON.parse(await valueOf(cluster.kubeconfig));
    expect(kc.clusters[0].cluster.server).toBe("https://collab-aks-abc123.hcp.westeurope.azmk8s.io:443");
    expect(kc.users[0].user.exec.args).toEqual(expect.arrayContaining(["--login", "workloadidentity", "--server-id", AKS_AAD_SERVER_ID, "--tenant-id", TENANT]));
  });

  it("accepts SEV-SNP and TDX confidential sizes and custom bounds", async () => {
    mocks.reset();
    new ConfidentialCluster("t", args({ enclavePool: { name: "tdx", vmSize: "Standard_DC8es_v5", minCount: 0, maxCount: 5 }, networkPolicy: "azure", upgradeChannel: "stable" }));
    await mocks.settle();
    expect(mocks.one(AzureTypes.agentPool, "t-enclave-pool").inputs).toMatchObject({ agentPoolName: "tdx", vmSize: "Standard_DC8es_v5", minCount: 0, maxCount: 5, count: 0 });
    const aks = mocks.one(AzureTypes.cluster, "t-aks").inputs;
    expect(aks.networkProfile).toMatchObject({ networkPolicy: "azure", networkDataplane: "azure" });
    expect(aks.autoUpgradeProfile.upgradeChannel).toBe("stable");
  });

  it("reports every invalid argument at once", () => {
    const issues = validateConfidentialClusterArgs(
      args({
        clusterName: "Bad_Cluster",
        tenantId: "not-a-guid",
        adminGroupObjectIds: [],
        enclavePool: { name: "Enclave-Pool", vmSize: "Standard_D4s_v5", minCount: 4, maxCount: 2 },
        systemPool: { vmSize: "huge" },
        apiServerAuthorizedIpRanges: ["10.0.0.0/8"],
        kubernetesVersion: "latest",
      }),
    );
    expect(issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual([
      "adminGroupObjectIds:required",
      "apiServerAuthorizedIpRanges[0]:ip-range",
      "clusterName:name-format",
      "enclavePool.minCount:node-count-order",
      "enclavePool.name:agent-pool-name",
      "enclavePool.vmSize:not-confidential-vm-size",
      "kubernetesVersion:version-format",
      "systemPool.vmSize:vm-size-format",
      "tenantId:guid",
    ]);
    expect(() => new ConfidentialCluster("bad", args({ enclavePool: { vmSize: "Standard_D8s_v5" } }))).toThrow(
      /enclavePool\.vmSize: "Standard_D8s_v5" is not a confidential VM size/,
    );
  });
});
