// AKS for the clean room: a small system pool for cluster add-ons, and a confidential VM pool reserved
// for enclave pods (taint + label). Entra ID is the only way in (local accounts off, Azure RBAC), OIDC
// issuer and workload identity are on, and the kubelet identity is user-assigned so that its principal
// is known before the cluster exists: Microsoft's CVM key-release tool authenticates as that identity.
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import { parseConfidentialSize, type ConfidentialTee } from "../enclave-app/src/protocol/index.ts";
import { buildKubeloginKubeconfig, KUBELOGIN_MODES, parseClusterEndpoint, type KubeloginMode } from "./kubeconfig.ts";
import { NAME_RULES } from "./naming.ts";
import { roleDefinitionIdForScope } from "./roles.ts";
import { IssueList, isGuid, isInteger, throwIfIssues, checkFirewallIpRange, type ValidationIssue } from "./validation.ts";

export const CONFIDENTIAL_CLUSTER_TYPE = "cleanroom:index:ConfidentialCluster";

/** Taint and label that reserve the confidential pool for enclave pods. */
export const ENCLAVE_NODE_LABEL = { key: "cleanroom.io/enclave", value: "true" } as const;
export const ENCLAVE_TAINT = { key: "cleanroom.io/enclave", value: "true", effect: "NoSchedule" } as const;
export const SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule";

export type ClusterNetworkPolicy = "cilium" | "azure";
export type UpgradeChannel = "patch" | "stable" | "rapid" | "node-image";
const UPGRADE_CHANNELS: readonly UpgradeChannel[] = ["patch", "stable", "rapid", "node-image"];

export interface NodePoolSizing {
  /** Agent pool name, ^[a-z][a-z0-9]{0,11}$. */
  name?: string;
  vmSize?: string;
  minCount?: number;
  maxCount?: number;
  osDiskSizeGB?: number;
}

export interface ConfidentialClusterArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  clusterName: string;
  /** Resource group AKS creates for the node VMs. */
  nodeResourceGroupName: string;
  tenantId: string;
  /** Entra groups whose members are cluster admins (the person or pipeline running pulumi up must be in one). */
  adminGroupObjectIds: string[];
  nodeSubnetId: pulumi.Input<string>;
  controlPlaneIdentityName: string;
  kubeletIdentityName: string;
  kubernetesVersion?: string;
  /** Default Standard_D4ds_v5, 1..3 nodes. */
  systemPool?: NodePoolSizing;
  /** Default Standard_DC4as_v5, 1..3 nodes. */
  enclavePool?: NodePoolSizing;
  /** Default "cilium" (Azure CNI overlay powered by Cilium). */
  networkPolicy?: ClusterNetworkPolicy;
  /** Default "patch". */
  upgradeChannel?: UpgradeChannel;
  /** Public IP ranges allowed to reach the API server; empty = any (Entra auth still required). */
  apiServerAuthorizedIpRanges?: string[];
  /** How kubelogin gets a token when pulumi up talks to the cluster. Default "azurecli". */
  kubeloginMode?: KubeloginMode;
  tags?: Record<string, string>;
}

export const DEFAULT_SYSTEM_VM_SIZE = "Standard_D4ds_v5";
/** Node image of the confidential pool: Ubuntu 24.04 (osSKU "Ubuntu" is 20.04 on CVM, which leaves AKS support on 2027-03-17). */
export const ENCLAVE_OS_SKU = "Ubuntu2404";
/** Kubernetes minor versions AKS supports Ubuntu 24.04 CVM node pools on (AKS docs, use-cvm.md). */
export const CVM_UBUNTU2404_MINORS = { min: 32, max: 38 } as const;

/**
 * Why a kubernetesVersion cannot run the confidential pool, or undefined. Only 1.<minor>[.<patch>] with
 * minor in the Ubuntu 24.04 CVM range is accepted; undefined (AKS's default) is left to AKS.
 */
export function kubernetesVersionProblem(version: string): { rule: string; message: string } | undefined {
  const m = /^1\.(\d+)(\.\d+)?$/.exec(version);
  if (!m) return { rule: "version-format", message: `"${version}" must look like 1.33 or 1.33.2` };
  const minor = Number(m[1]);
  const { min, max } = CVM_UBUNTU2404_MINORS;
  if (minor < min || minor > max) {
    return {
      rule: "cvm-version-range",
      message: `"${version}" is outside 1.${min}-1.${max}, the Kubernetes versions AKS supports ${ENCLAVE_OS_SKU} confidential VM pools on`,
    };
  }
  return undefined;
}
/** AMD SEV-SNP (the confidential-node release policy requires SEV-SNP claims), 4 vCPUs. */
export const DEFAULT_ENCLAVE_VM_SIZE = "Standard_DC4as_v5";

function checkPool(out: IssueList, path: string, pool: NodePoolSizing | undefined, confidential: boolean): void {
  if (!pool) return;
  if (pool.name !== undefined && !NAME_RULES.agentPool.test(pool.name)) {
    out.add(`${path}.name`, "agent-pool-name", `"${pool.name}" must match ^[a-z][a-z0-9]{0,11}$ (AKS Linux pool names)`);
  }
  if (pool.vmSize !== undefined) {
    if (confidential && !parseConfidentialSize(pool.vmSize)) {
      out.add(
        `${path}.vmSize`,
        "not-confidential-vm-size",
        `"${pool.vmSize}" is not a confidential VM size; use an AMD SEV-SNP size (DCasv5, DCadsv5, ECasv5, ECadsv5 or their v6) or an Intel TDX size (DCesv5, DCedsv5, ECesv5, ECedsv5), e.g. ${DEFAULT_ENCLAVE_VM_SIZE}`,
      );
    } else if (!confidential && !/^Standard_[A-Za-z0-9_]+$/.test(pool.vmSize)) {
      out.add(`${path}.vmSize`, "vm-size-format", `"${pool.vmSize}" is not an Azure VM size name (Standard_...)`);
    }
  }
  const min = pool.minCount ?? 1;
  const max = pool.maxCount ?? 3;
  if (!isInteger(min) || min < (confidential ? 0 : 1)) {
    out.add(`${path}.minCount`, "node-count", `must be an integer >= ${confidential ? 0 : 1}; got ${String(pool.minCount)}`);
  }
  if (!isInteger(max) || max < 1 || max > 100) {
    out.add(`${path}.maxCount`, "node-count", `must be an integer 1..100; got ${String(pool.maxCount)}`);
  }
  if (isInteger(min) && isInteger(max) && min > max) {
    out.add(`${path}.minCount`, "node-count-order", `minCount ${min} exceeds maxCount ${max}`);
  }
  if (pool.osDiskSizeGB !== undefined && (!isInteger(pool.osDiskSizeGB) || pool.osDiskSizeGB < 30 || pool.osDiskSizeGB > 2048)) {
    out.add(`${path}.osDiskSizeGB`, "os-disk-size", `must be an integer 30..2048; got ${String(pool.osDiskSizeGB)}`);
  }
}

export function validateConfidentialClusterArgs(args: ConfidentialClusterArgs): ValidationIssue[] {
  const out = new IssueList();
  if (!NAME_RULES.dnsLabel.test(args.clusterName)) {
    out.add("clusterName", "name-format", `"${args.clusterName}" must be 3-63 lowercase letters, digits and single hyphens`);
  }
  if (!NAME_RULES.dnsLabel.test(args.nodeResourceGroupName)) {
    out.add("nodeResourceGroupName", "name-format", `"${args.nodeResourceGroupName}" must be 3-63 lowercase letters, digits and single hyphens`);
  }
  if (!isGuid(args.tenantId)) out.add("tenantId", "guid", `"${String(args.tenantId)}" is not a tenant id (GUID)`);
  if (!Array.isArray(args.adminGroupObjectIds) || args.adminGroupObjectIds.length === 0) {
    out.add(
      "adminGroupObjectIds",
      "required",
      "at least one Entra group is needed: with local accounts disabled nobody could administer the cluster (or let pulumi up create the enclave workload)",
    );
  } else {
    args.adminGroupObjectIds.forEach((g, i) => {
      if (!isGuid(g)) out.add(`adminGroupObjectIds[${i}]`, "guid", `"${String(g)}" is not an Entra object id (GUID)`);
    });
  }
  for (const [key, value] of [
    ["controlPlaneIdentityName", args.controlPlaneIdentityName],
    ["kubeletIdentityName", args.kubeletIdentityName],
  ] as const) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/.test(value)) {
      out.add(key, "name-format", `"${value}" must be 3-128 letters, digits, hyphens and underscores, starting with a letter or digit`);
    }
  }
  const version = args.kubernetesVersion === undefined ? undefined : kubernetesVersionProblem(args.kubernetesVersion);
  if (version) out.add("kubernetesVersion", version.rule, version.message);
  checkPool(out, "systemPool", args.systemPool, false);
  checkPool(out, "enclavePool", args.enclavePool, true);
  const systemName = args.systemPool?.name ?? "system";
  const enclaveName = args.enclavePool?.name ?? "enclave";
  if (systemName === enclaveName) out.add("enclavePool.name", "duplicate-pool-name", `the system and enclave pools are both named "${systemName}"`);
  if (args.networkPolicy !== undefined && args.networkPolicy !== "cilium" && args.networkPolicy !== "azure") {
    out.add("networkPolicy", "enum", `must be "cilium" or "azure"; got "${String(args.networkPolicy)}"`);
  }
  if (args.upgradeChannel !== undefined && !UPGRADE_CHANNELS.includes(args.upgradeChannel)) {
    out.add("upgradeChannel", "enum", `must be one of ${UPGRADE_CHANNELS.join(", ")}; got "${String(args.upgradeChannel)}"`);
  }
  if (args.kubeloginMode !== undefined && !KUBELOGIN_MODES.includes(args.kubeloginMode)) {
    out.add("kubeloginMode", "enum", `must be one of ${KUBELOGIN_MODES.join(", ")}; got "${String(args.kubeloginMode)}"`);
  }
  (args.apiServerAuthorizedIpRanges ?? []).forEach((r, i) => {
    const problem = checkFirewallIpRange(r);
    if (problem) out.add(`apiServerAuthorizedIpRanges[${i}]`, "ip-range", problem);
  });
  return out.items;
}

/** The TEE the enclave pool's VM size provides (the release policy's claims must match it). */
export function enclaveTee(args: Pick<ConfidentialClusterArgs, "enclavePool">): ConfidentialTee {
  return parseConfidentialSize(args.enclavePool?.vmSize ?? DEFAULT_ENCLAVE_VM_SIZE)?.tee ?? "sev-snp";
}

/** What a ConfidentialCluster exposes: built by createConfidentialCluster(), assigned by the component classes. */
export interface ConfidentialClusterParts {
  readonly clusterName: pulumi.Output<string>;
  readonly clusterId: pulumi.Output<string>;
  readonly oidcIssuerUrl: pulumi.Output<string>;
  readonly kubeletIdentity: { id: pulumi.Output<string>; clientId: pulumi.Output<string>; principalId: pulumi.Output<string> };
  readonly controlPlaneIdentityPrincipalId: pulumi.Output<string>;
  readonly enclavePoolName: string;
  /** Kubeconfig for kubelogin (secret). */
  readonly kubeconfig: pulumi.Output<string>;
}

/**
 * The ConfidentialCluster's children under `self`: the TypeScript component below and the component
 * package's ConfidentialCluster (pulumi-package/cluster.ts) both call it.
 */
export function createConfidentialCluster(self: pulumi.ComponentResource, name: string, args: ConfidentialClusterArgs): ConfidentialClusterParts {
  throwIfIssues(`ConfidentialCluster "${name}"`, validateConfidentialClusterArgs(args), self);

  const controlPlane = new managedidentity.UserAssignedIdentity(
    `${name}-controlplane-identity`,
    { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.controlPlaneIdentityName, tags: args.tags },
    { parent: self },
  );
  const kubelet = new managedidentity.UserAssignedIdentity(
    `${name}-kubelet-identity`,
    { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.kubeletIdentityName, tags: args.tags },
    { parent: self },
  );

  // AKS refuses a user-assigned kubelet identity unless the control-plane identity can assign it.
  const operatorOnKubelet = new authorization.RoleAssignment(
    `${name}-controlplane-operates-kubelet`,
    {
      principalId: controlPlane.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: kubelet.id.apply((id) => roleDefinitionIdForScope(id, "managedIdentityOperator")),
      scope: kubelet.id,
      description: "AKS control plane assigns the kubelet identity to the node pools",
    },
    { parent: self },
  );
  // With a bring-your-own subnet the control plane must be able to join nodes and load balancers to it.
  const joinSubnet = new authorization.RoleAssignment(
    `${name}-controlplane-joins-subnet`,
    {
      principalId: controlPlane.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: pulumi.output(args.nodeSubnetId).apply((id) => roleDefinitionIdForScope(id, "networkContributor")),
      scope: args.nodeSubnetId,
      description: "AKS control plane joins nodes to the clean room subnet",
    },
    { parent: self },
  );

  const system = args.systemPool ?? {};
  const enclave = args.enclavePool ?? {};
  const networkPolicy = args.networkPolicy ?? "cilium";

  const cluster = new containerservice.ManagedCluster(
    `${name}-aks`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      resourceName: args.clusterName,
      dnsPrefix: args.clusterName,
      nodeResourceGroup: args.nodeResourceGroupName,
      kubernetesVersion: args.kubernetesVersion,
      sku: { name: "Base", tier: "Standard" },
      identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
      identityProfile: {
        kubeletidentity: { resourceId: kubelet.id, clientId: kubelet.clientId, objectId: kubelet.principalId },
      },
      enableRBAC: true,
      disableLocalAccounts: true,
      aadProfile: {
        managed: true,
        enableAzureRBAC: true,
        adminGroupObjectIDs: args.adminGroupObjectIds,
        tenantID: args.tenantId,
      },
      oidcIssuerProfile: { enabled: true },
      securityProfile: {
        workloadIdentity: { enabled: true },
        imageCleaner: { enabled: true, intervalHours: 48 },
      },
      publicNetworkAccess: "Enabled",
      apiServerAccessProfile: {
        authorizedIPRanges: args.apiServerAuthorizedIpRanges ?? [],
        // Run command would let any cluster-admin-level caller execute pods outside the pipeline's review.
        disableRunCommand: true,
        enablePrivateCluster: false,
      },
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataplane: networkPolicy === "cilium" ? "cilium" : "azure",
        networkPolicy,
        podCidr: "192.168.0.0/16",
        serviceCidr: "172.16.0.0/16",
        dnsServiceIP: "172.16.0.10",
        outboundType: "loadBalancer",
        loadBalancerSku: "standard",
      },
      autoUpgradeProfile: { upgradeChannel: args.upgradeChannel ?? "patch", nodeOSUpgradeChannel: "NodeImage" },
      agentPoolProfiles: [
        {
          name: system.name ?? "system",
          mode: "System",
          vmSize: system.vmSize ?? DEFAULT_SYSTEM_VM_SIZE,
          osType: "Linux",
          osSKU: "AzureLinux",
          osDiskSizeGB: system.osDiskSizeGB ?? 128,
          enableAutoScaling: true,
          minCount: system.minCount ?? 1,
          maxCount: system.maxCount ?? 3,
          count: system.minCount ?? 1,
          nodeTaints: [SYSTEM_POOL_TAINT],
          vnetSubnetID: args.nodeSubnetId,
          enableNodePublicIP: false,
          enableFIPS: false,
          type: "VirtualMachineScaleSets",
        },
      ],
      tags: args.tags,
    },
    // The autoscaler owns the node count after creation; a PUT with the stale initial count would fight it
    // (or be rejected) on every later update.
    { parent: self, dependsOn: [operatorOnKubelet, joinSubnet], ignoreChanges: ["agentPoolProfiles[0].count"] },
  );

  const enclavePoolName = enclave.name ?? "enclave";
  new containerservice.AgentPool(
    `${name}-enclave-pool`,
    {
      resourceGroupName: args.resourceGroupName,
      resourceName: cluster.name,
      agentPoolName: enclavePoolName,
      mode: "User",
      vmSize: enclave.vmSize ?? DEFAULT_ENCLAVE_VM_SIZE,
      osType: "Linux",
      // CVM pools run Ubuntu; "Ubuntu" alone would mean 20.04 on CVM. kubernetesVersion is checked against its range.
      osSKU: ENCLAVE_OS_SKU,
      osDiskType: "Managed",
      osDiskSizeGB: enclave.osDiskSizeGB ?? 128,
      enableAutoScaling: true,
      minCount: enclave.minCount ?? 1,
      maxCount: enclave.maxCount ?? 3,
      count: Math.max(enclave.minCount ?? 1, 0),
      nodeTaints: [`${ENCLAVE_TAINT.key}=${ENCLAVE_TAINT.value}:${ENCLAVE_TAINT.effect}`],
      nodeLabels: { [ENCLAVE_NODE_LABEL.key]: ENCLAVE_NODE_LABEL.value },
      vnetSubnetID: args.nodeSubnetId,
      enableNodePublicIP: false,
      enableFIPS: false,
      // The VM's memory is encrypted by the TEE; host-based disk encryption is not offered for confidential sizes.
      enableEncryptionAtHost: false,
      // No SSH into the TEE: a shell on the node is a shell inside the trust boundary (AgentPool API 2025-09-01).
      securityProfile: { sshAccess: "Disabled" },
      type: "VirtualMachineScaleSets",
      tags: args.tags,
    },
    // See the system pool: the autoscaler owns count.
    { parent: self, ignoreChanges: ["count"] },
  );

  const credentials = containerservice.listManagedClusterUserCredentialsOutput(
    { resourceGroupName: args.resourceGroupName, resourceName: cluster.name, format: "exec" },
    { parent: self },
  );
  const loginMode = args.kubeloginMode ?? "azurecli";
  const kubeconfig = pulumi.secret(
    pulumi.all([credentials, cluster.name]).apply(([creds, clusterName]) => {
      const first = creds.kubeconfigs[0]?.value;
      if (!first) throw new Error(`AKS returned no user kubeconfig for cluster ${clusterName}`);
      const endpoint = parseClusterEndpoint(Buffer.from(first, "base64").toString("utf8"));
      return buildKubeloginKubeconfig({ clusterName, endpoint, tenantId: args.tenantId, loginMode });
    }),
  );

  return {
    clusterName: cluster.name,
    clusterId: cluster.id,
    oidcIssuerUrl: cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? ""),
    kubeletIdentity: { id: kubelet.id, clientId: kubelet.clientId, principalId: kubelet.principalId },
    controlPlaneIdentityPrincipalId: controlPlane.principalId,
    enclavePoolName,
    kubeconfig,
  };
}

// ConfidentialCluster's fields are exactly its ConfidentialClusterParts (declaration merging), assigned from its create function.
export interface ConfidentialCluster extends ConfidentialClusterParts {}
export class ConfidentialCluster extends pulumi.ComponentResource {
  constructor(name: string, args: ConfidentialClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CONFIDENTIAL_CLUSTER_TYPE, name, {}, opts);
    const parts = createConfidentialCluster(this, name, args);
    Object.assign(this, parts);
    this.registerOutputs({
      clusterName: this.clusterName,
      clusterId: this.clusterId,
      oidcIssuerUrl: this.oidcIssuerUrl,
      kubeletIdentityPrincipalId: this.kubeletIdentity.principalId,
      kubeconfig: this.kubeconfig,
    });
  }
}
