// The ConfidentialCluster as the component package serves it (cleanroom:index:ConfidentialCluster),
// delegated to the same createConfidentialCluster().
import * as pulumi from "@pulumi/pulumi";
import { CONFIDENTIAL_CLUSTER_TYPE, createConfidentialCluster, type ConfidentialClusterArgs as TsConfidentialClusterArgs } from "../components/index.ts";
import type { KubeloginMode, NetworkPolicy, PoolSizing, UpgradeChannel } from "./clean-room-args.ts";
import { requirePlain, withPropertyErrors } from "./plain.ts";

export interface ConfidentialClusterArgs {
  /** Resource group of the cluster (may be another resource's output). */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region with confidential VM (DCasv5/ECasv5) capacity. */
  location: pulumi.Input<string>;
  /** AKS cluster name. */
  clusterName: pulumi.Input<string>;
  /** Resource group AKS creates for the node VMs. */
  nodeResourceGroupName: pulumi.Input<string>;
  /** Entra tenant (Entra ID RBAC for the API server). */
  tenantId: pulumi.Input<string>;
  /** Entra groups whose members are cluster admins (whoever runs pulumi up must be in one). */
  adminGroupObjectIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnet of both node pools (may be another resource's output). */
  nodeSubnetId: pulumi.Input<string>;
  /** Name of the control plane's user-assigned identity. */
  controlPlaneIdentityName: pulumi.Input<string>;
  /** Name of the kubelet's user-assigned identity (the release identity in confidential-node mode). */
  kubeletIdentityName: pulumi.Input<string>;
  /** Kubernetes version the confidential Ubuntu 24.04 pool supports (1.32-1.38); default AKS's. */
  kubernetesVersion?: pulumi.Input<string>;
  /** Default Standard_D4ds_v5, 1..3 nodes. */
  systemPool?: pulumi.Input<PoolSizing>;
  /** Default Standard_DC4as_v5, 1..3 nodes; an SEV-SNP or TDX confidential size. */
  enclavePool?: pulumi.Input<PoolSizing>;
  /** Default cilium. */
  networkPolicy?: pulumi.Input<NetworkPolicy>;
  /** Default patch. */
  upgradeChannel?: pulumi.Input<UpgradeChannel>;
  /** Public IP ranges allowed to reach the API server; empty = any (Entra auth still required). */
  apiServerAuthorizedIpRanges?: pulumi.Input<pulumi.Input<string>[]>;
  /** How kubelogin gets a token in the kubeconfig output. Default azurecli. */
  kubeloginMode?: pulumi.Input<KubeloginMode>;
  /** Tags on the cluster, pools and identities. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** A user-assigned managed identity. */
export interface IdentityInfo {
  /** ARM id. */
  id: string;
  /** Client (application) id. */
  clientId: string;
  /** Principal (object) id. */
  principalId: string;
}

/**
 * AKS with a system pool and a tainted, labelled AMD SEV-SNP confidential node pool (Ubuntu 24.04 CVM,
 * no SSH) for the enclave alone; OIDC issuer and workload identity on, local accounts off, Entra ID
 * RBAC, network policy.
 */
export class ConfidentialCluster extends pulumi.ComponentResource {
  /** The AKS cluster's name. */
  public readonly clusterName: pulumi.Output<string>;
  /** ARM id of the cluster. */
  public readonly clusterId: pulumi.Output<string>;
  /** The cluster's OIDC issuer (workload identity federation). */
  public readonly oidcIssuerUrl: pulumi.Output<string>;
  /** The kubelet identity: in confidential-node mode the identity Secure Key Release authenticates as. */
  public readonly kubeletIdentity: pulumi.Output<IdentityInfo>;
  /** Principal id of the control plane's identity. */
  public readonly controlPlaneIdentityPrincipalId: pulumi.Output<string>;
  /** The confidential pool's name. */
  public readonly enclavePoolName: pulumi.Output<string>;
  /** A kubelogin (Entra ID) kubeconfig, secret. */
  public readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ConfidentialClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CONFIDENTIAL_CLUSTER_TYPE, name, {}, opts);
    requirePlain("ConfidentialCluster", args, ["resourceGroupName", "nodeSubnetId"]);
    // Plain now (checked above), except the properties that may be outputs, which the TypeScript args accept as inputs.
    const parts = withPropertyErrors("ConfidentialCluster", () => createConfidentialCluster(this, name, args as unknown as TsConfidentialClusterArgs));
    this.clusterName = parts.clusterName;
    this.clusterId = parts.clusterId;
    this.oidcIssuerUrl = parts.oidcIssuerUrl;
    this.kubeletIdentity = pulumi.output(parts.kubeletIdentity);
    this.controlPlaneIdentityPrincipalId = parts.controlPlaneIdentityPrincipalId;
    this.enclavePoolName = pulumi.output(parts.enclavePoolName);
    this.kubeconfig = parts.kubeconfig;
    this.registerOutputs({
      clusterName: this.clusterName,
      clusterId: this.clusterId,
      oidcIssuerUrl: this.oidcIssuerUrl,
      kubeletIdentity: this.kubeletIdentity,
      controlPlaneIdentityPrincipalId: this.controlPlaneIdentityPrincipalId,
      enclavePoolName: this.enclavePoolName,
      kubeconfig: this.kubeconfig,
    });
  }
}
