// The whole collaboration: resource group, network, attestation, the confidential cluster, one vault
// per party (optionally in the party's own subscription), shared storage, and — once the contract is
// complete and every dataset owner approved it — the enclave workload. CleanRoom only wires; names,
// policies and the contract come from planCleanRoom().
import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import { canonicalJson, COLLABORATION_TAG, type Contract, type ReleasePolicy } from "../enclave-app/src/protocol/index.ts";
import { Attestation } from "./attestation.ts";
import { ConfidentialCluster } from "./cluster.ts";
import { EnclaveContainerGroup } from "./enclave-container-group.ts";
import { Network } from "./network.ts";
import { PartyVault } from "./party-vault.ts";
import { planCleanRoom, type CleanRoomArgs, type CleanRoomPhase, type CleanRoomPlan } from "./plan.ts";
import { normalizePrincipal, type PrincipalRef } from "./roles.ts";
import { SharedStorage } from "./storage.ts";
import { EnclaveWorkload, type WorkloadStorage } from "./workload.ts";
import { ComponentArgsError } from "./validation.ts";

export const CLEAN_ROOM_TYPE = "cleanroom:index:CleanRoom";

export interface PartyOutputs {
  vaultName: string;
  vaultUri: pulumi.Output<string>;
  keyName: string;
  /** Versionless: https://<vault>.vault.azure.net/keys/<key> */
  keyId: string;
  keyUriWithVersion: pulumi.Output<string>;
  inputContainer: string;
}

/** Everything CleanRoom exposes: built by createCleanRoom(), assigned by the component classes. */
export interface CleanRoomParts {
  readonly plan: CleanRoomPlan;
  readonly phase: CleanRoomPhase;
  readonly resourceGroupName: pulumi.Output<string>;
  // The cluster outputs are undefined in confidential-container mode, which creates no cluster.
  readonly clusterName: pulumi.Output<string> | undefined;
  readonly clusterId: pulumi.Output<string> | undefined;
  readonly oidcIssuerUrl: pulumi.Output<string> | undefined;
  /** Secret. */
  readonly kubeconfig: pulumi.Output<string> | undefined;
  readonly parties: Record<string, PartyOutputs>;
  readonly storageAccountName: string;
  readonly blobEndpoint: string;
  readonly attestationEndpoint: pulumi.Output<string>;
  readonly releasePolicy: ReleasePolicy;
  readonly releasePolicyDigest: string;
  readonly contract: Contract | undefined;
  readonly contractJson: string | undefined;
  readonly contractHash: string | undefined;
  readonly resultLocation: string | undefined;
  readonly workload: EnclaveWorkload | undefined;
  /** Confidential-container mode, once approved: the enclave's container group. */
  readonly enclaveGroup: EnclaveContainerGroup | undefined;
  /** Confidential-container mode: the user-assigned identity the enclave runs as. */
  readonly enclaveIdentityPrincipalId: pulumi.Output<string> | undefined;
}

/**
 * The CleanRoom's children, created under `self` (pulumi-eks style: the component classes delegate to
 * this function). Both the TypeScript component below and the multi-language package's CleanRoom
 * (pulumi-package/clean-room.ts) call it, so the two register exactly the same resources.
 */
export function createCleanRoom(self: pulumi.ComponentResource, name: string, args: CleanRoomArgs): CleanRoomParts {
  let plan: CleanRoomPlan;
  try {
    plan = planCleanRoom(args);
  } catch (err) {
    throw err instanceof ComponentArgsError ? err.forResource(self) : err;
  }
  const tags = { ...args.tags, [COLLABORATION_TAG]: args.collaboration };

  for (const p of args.parties) {
    if (p.tenantId !== undefined && p.tenantId !== args.tenantId) {
      pulumi.log.warn(
        `party "${p.name}": its vault is in tenant ${p.tenantId}, not the collaboration tenant ${args.tenantId}. ` +
          `Azure RBAC cannot grant a role to a managed identity of another tenant, so the release role assignment ` +
          `for the enclave's release identity (kubelet identity, or the container group's identity) will be rejected; see docs/infrastructure.md "Parties in other tenants".`,
        self,
      );
    }
  }

  const group = new resources.ResourceGroup(
    `${name}-rg`,
    { resourceGroupName: plan.resourceGroupName, location: args.location, tags },
    { parent: self },
  );

  const containerMode = plan.attestationRequirements.mode === "confidential-container";
  const network = new Network(
    `${name}-network`,
    {
      resourceGroupName: group.name,
      location: args.location,
      vnetName: plan.vnetName,
      ...args.network,
      ...(containerMode ? { containerSubnet: {} } : {}),
      tags,
    },
    { parent: self },
  );

  const attestation = new Attestation(
    `${name}-attestation`,
    { location: args.location, resourceGroupName: group.name, choice: plan.attestation.choice, tags },
    { parent: self },
  );

  // Confidential-container mode needs no cluster: the enclave is a Confidential ACI group.
  const cluster = containerMode ? undefined : new ConfidentialCluster(
    `${name}-cluster`,
    {
      resourceGroupName: group.name,
      location: args.location,
      clusterName: plan.clusterName,
      nodeResourceGroupName: plan.nodeResourceGroupName,
      tenantId: args.tenantId,
      // Validated non-empty in this mode (validateCleanRoomArgs).
      adminGroupObjectIds: args.clusterAdminGroupObjectIds!,
      nodeSubnetId: network.nodeSubnetId,
      controlPlaneIdentityName: plan.identities.controlPlane,
      kubeletIdentityName: plan.identities.kubelet,
      ...args.cluster,
      tags,
    },
    { parent: self },
  );

  // In confidential-node mode Microsoft's release tool authenticates through IMDS, i.e. as the
  // kubelet identity: that identity, and only on each party's key, gets the release role. In
  // confidential-container mode the enclave calls Key Vault itself, as the group's user-assigned
  // identity, which exists from phase 1 so the vaults can grant it the role.
  const enclaveIdentity = containerMode
    ? new managedidentity.UserAssignedIdentity(
        `${name}-enclave-identity`,
        { resourceGroupName: group.name, location: args.location, resourceName: plan.identities.workload, tags },
        { parent: self },
      )
    : undefined;
  const releasePrincipalId = enclaveIdentity ? enclaveIdentity.principalId : cluster!.kubeletIdentity.principalId;
  // The subnet the enclave runs in is the only one vault and storage firewalls admit.
  const enclaveSubnetId = containerMode ? network.containerSubnetId! : network.nodeSubnetId;
  const partyIpRanges = args.parties.flatMap((p) => p.ipRanges ?? []);

  const parties: Record<string, PartyOutputs> = {};
  const vaults: PartyVault[] = [];
  for (const [i, party] of args.parties.entries()) {
    const partyPlan = plan.parties[i]!;
    let vaultGroupName: pulumi.Input<string> = group.name;
    const partyOpts: pulumi.ComponentResourceOptions = { parent: self };
    if (party.provider) {
      // The party's own subscription: its vault needs a resource group there.
      const partyGroup = new resources.ResourceGroup(
        `${name}-${party.name}-rg`,
        { resourceGroupName: `${args.collaboration}-${party.name}-rg`, location: args.location, tags },
        { parent: self, provider: party.provider },
      );
      vaultGroupName = partyGroup.name;
      partyOpts.providers = [party.provider];
    }
    const vault = new PartyVault(
      `${name}-${party.name}`,
      {
        party: party.name,
        resourceGroupName: vaultGroupName,
        location: args.location,
        tenantId: partyPlan.tenantId,
        vaultName: partyPlan.vaultName,
        keySize: party.keySize,
        attestation: plan.attestationRequirements,
        attestationEndpoint: attestation.endpoint,
        admins: party.admins,
        uploaders: party.uploaders,
        releasePrincipalId,
        allowedSubnetIds: [enclaveSubnetId],
        allowedIpRanges: party.ipRanges,
        tags,
      },
      partyOpts,
    );
    vaults.push(vault);
    parties[party.name] = {
      vaultName: partyPlan.vaultName,
      vaultUri: vault.vaultUri,
      keyName: vault.keyName,
      keyId: vault.keyId,
      keyUriWithVersion: vault.keyUriWithVersion,
      inputContainer: partyPlan.inputContainer,
    };
  }

  const recipients = new Set(args.recipients);
  const outputReaders: PrincipalRef[] = args.parties
    .filter((p) => recipients.has(p.name))
    .flatMap((p) => p.resultReaders ?? p.uploaders);
  const storage = new SharedStorage(
    `${name}-storage`,
    {
      resourceGroupName: group.name,
      location: args.location,
      accountName: plan.storageAccountName,
      parties: args.parties.map((p) => ({ name: p.name, uploaders: p.uploaders })),
      outputReaders: dedupePrincipals(outputReaders),
      allowedSubnetIds: [enclaveSubnetId],
      allowedIpRanges: [...new Set(partyIpRanges)],
      skuName: args.storage?.skuName,
      deleteRetentionDays: args.storage?.deleteRetentionDays,
      tags,
    },
    { parent: self },
  );

  let enclaveGroup: EnclaveContainerGroup | undefined;
  let workload: EnclaveWorkload | undefined;
  if (plan.contract && args.approvals && containerMode) {
    enclaveGroup = new EnclaveContainerGroup(
      `${name}-enclave`,
      {
        ...args.enclave!,
        resourceGroupName: group.name,
        location: args.location,
        groupName: plan.enclaveContainerGroupName!,
        contract: plan.contract,
        approvals: args.approvals,
        storage: enclaveStorage(plan.contract, storage),
        subnetId: enclaveSubnetId,
        identity: { id: enclaveIdentity!.id, clientId: enclaveIdentity!.clientId, principalId: enclaveIdentity!.principalId },
        attestationEndpoint: attestation.endpoint,
        tags,
      },
      // The run needs every party's key and its release role assignment in place.
      { parent: self, dependsOn: vaults },
    );
  } else if (plan.contract && args.approvals && cluster) {
    workload = new EnclaveWorkload(
      `${name}-workload`,
      {
        kubeconfig: cluster.kubeconfig,
        resourceGroupName: group.name,
        location: args.location,
        identityName: plan.identities.workload,
        oidcIssuerUrl: cluster.oidcIssuerUrl,
        contract: plan.contract,
        approvals: args.approvals,
        storage: enclaveStorage(plan.contract, storage),
        mode: plan.attestationRequirements.mode,
        attestationEndpoint: attestation.endpoint,
        kubeletIdentityClientId: cluster.kubeletIdentity.clientId,
        enclavePoolName: cluster.enclavePoolName,
        ...args.workload,
        tags,
      },
      // The run needs the node pool, every party's key and its release role assignment in place.
      { parent: self, dependsOn: [cluster, ...vaults] },
    );
  }

  return {
    plan,
    phase: plan.phase,
    resourceGroupName: group.name,
    clusterName: cluster?.clusterName,
    clusterId: cluster?.clusterId,
    oidcIssuerUrl: cluster?.oidcIssuerUrl,
    kubeconfig: cluster?.kubeconfig,
    parties,
    storageAccountName: storage.accountName,
    blobEndpoint: storage.blobEndpoint,
    attestationEndpoint: attestation.endpoint,
    releasePolicy: plan.parties[0]!.kek.releasePolicy,
    releasePolicyDigest: plan.parties[0]!.kek.releasePolicyDigest,
    contract: plan.contract,
    contractJson: plan.contract ? canonicalJson(plan.contract) : undefined,
    contractHash: plan.contractHash,
    resultLocation: plan.resultLocation,
    workload,
    enclaveGroup,
    enclaveIdentityPrincipalId: enclaveIdentity?.principalId,
  };
}

/** The outputs the CleanRoom component registers with the engine. */
export function cleanRoomRegisteredOutputs(room: CleanRoomParts): pulumi.Inputs {
  return {
    phase: room.phase,
    clusterName: room.clusterName,
    clusterId: room.clusterId,
    oidcIssuerUrl: room.oidcIssuerUrl,
    kubeconfig: room.kubeconfig,
    storageAccountName: room.storageAccountName,
    blobEndpoint: room.blobEndpoint,
    attestationEndpoint: room.attestationEndpoint,
    releasePolicy: room.releasePolicy,
    contractHash: room.contractHash,
    resultLocation: room.resultLocation,
  };
}

// CleanRoom's fields are exactly CleanRoomParts (declaration merging), assigned from createCleanRoom().
export interface CleanRoom extends CleanRoomParts {}
export class CleanRoom extends pulumi.ComponentResource {
  constructor(name: string, args: CleanRoomArgs, opts?: pulumi.ComponentResourceOptions) {
    super(CLEAN_ROOM_TYPE, name, {}, opts);
    const room = createCleanRoom(this, name, args);
    Object.assign(this, room);
    this.registerOutputs(cleanRoomRegisteredOutputs(room));
  }
}

function dedupePrincipals(list: PrincipalRef[]): PrincipalRef[] {
  const seen = new Set<string>();
  return list.filter((p) => {
    const id = normalizePrincipal(p).objectId;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** What the enclave (Job or container group) needs of the shared storage: endpoint, owners' input containers, output. */
function enclaveStorage(contract: Contract, storage: SharedStorage): WorkloadStorage {
  return {
    blobEndpoint: storage.blobEndpoint,
    inputContainerIds: Object.fromEntries(
      [...new Set(contract.datasets.map((d) => d.owner))].map((owner) => [owner, storage.inputContainers[owner]!.id]),
    ),
    outputContainerName: storage.outputContainer.name,
    outputContainerId: storage.outputContainer.id,
  };
}
