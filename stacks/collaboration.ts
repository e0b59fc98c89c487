// What the Pulumi program and the multi-language package (pulumi-package/clean-room.ts) both do around a
// CleanRoom: give a party with its own subscription its own provider, verify the approvals before
// anything is declared, and shape the CleanRoom's parts into the collaboration's outputs. One module,
// so a YAML or Python program using the package gets exactly the resources and outputs `pulumi up` of
// this repository's program gets.
import * as pulumi from "@pulumi/pulumi";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider.js";
import { verifyContractApprovals, type CleanRoomArgs, type CleanRoomParts, type PartyOutputs, type VerifiedApprovals } from "../components/index.ts";
import { requiredApprovers } from "../enclave-app/src/protocol/index.ts";
import type { LoadedStackConfig } from "./config.ts";

export interface PrepareOptions {
  /** Pulumi name of the provider for a party's own subscription (the program keeps "<party>-subscription"). */
  providerName(party: string): string;
  /** Parent of those providers: the package's CleanRoom; none in the program. */
  parent?: pulumi.Resource;
}

/**
 * CleanRoomArgs ready for createCleanRoom: per-party providers added, approvals verified. Rejects with
 * ApprovalsRejectedError naming every missing or invalid approval.
 */
export async function prepareCleanRoomArgs(loaded: LoadedStackConfig, options: PrepareOptions): Promise<CleanRoomArgs> {
  const { config, approvals } = loaded;
  const args: CleanRoomArgs = { ...loaded.args, parties: [...loaded.args.parties] };
  for (const [i, p] of config.parties.entries()) {
    if (p.subscriptionId) {
      args.parties[i] = {
        ...args.parties[i]!,
        provider: new AzureProvider(
          options.providerName(p.name),
          { subscriptionId: p.subscriptionId, tenantId: p.tenantId, location: config.location },
          options.parent ? { parent: options.parent } : undefined,
        ),
      };
    }
  }
  let verified: VerifiedApprovals | undefined;
  // The plan the config was checked with (providers do not change it).
  const contract = loaded.plan.contract;
  if (contract && Object.keys(approvals).length > 0) verified = await verifyContractApprovals(contract, approvals);
  return { ...args, approvals: verified };
}

export interface CollaborationPartyOutputs extends PartyOutputs {
  /** Where the party uploads its ciphertext: <blob endpoint>/<input container>/. */
  uploadPrefix: string;
}

/** The collaboration's outputs: the stack outputs of the program, the outputs of the package's CleanRoom. */
export function collaborationOutputs(room: CleanRoomParts) {
  const parties: Record<string, CollaborationPartyOutputs> = Object.fromEntries(
    Object.entries(room.parties).map(([name, p]) => [
      name,
      {
        vaultName: p.vaultName,
        vaultUri: p.vaultUri,
        keyName: p.keyName,
        keyId: p.keyId,
        keyUriWithVersion: p.keyUriWithVersion,
        inputContainer: p.inputContainer,
        uploadPrefix: `${room.blobEndpoint}/${p.inputContainer}/`,
      },
    ]),
  );
  return {
    phase: room.phase,
    resourceGroupName: room.resourceGroupName,
    clusterName: room.clusterName,
    clusterId: room.clusterId,
    oidcIssuerUrl: room.oidcIssuerUrl,
    // Undefined in confidential-container mode, which creates no cluster.
    kubeconfig: room.kubeconfig ? pulumi.secret(room.kubeconfig) : undefined,
    attestationEndpoint: room.attestationEndpoint,
    releasePolicy: room.releasePolicy,
    releasePolicyDigest: room.releasePolicyDigest,
    storageAccountName: room.storageAccountName,
    blobEndpoint: room.blobEndpoint,
    parties,
    pendingContractInputs: room.plan.pendingContractInputs,
    contract: room.contractJson,
    contractHash: room.contractHash,
    requiredApprovers: room.contract ? requiredApprovers(room.contract) : undefined,
    resultLocation: room.resultLocation,
    enclaveJob: room.workload ? { namespace: room.workload.namespace, name: room.workload.jobName, resultPrefix: room.workload.resultPrefix } : undefined,
    // Confidential-container mode: hostdata (sha256 of the decoded ccePolicy) is what every release
    // policy and the contract pin; `run` settles only when the enclave container has exited 0.
    enclaveHostdata: room.plan.attestationRequirements.hostdata,
    enclaveContainerGroup: room.enclaveGroup
      ? { name: room.enclaveGroup.groupName, id: room.enclaveGroup.groupId, resultPrefix: room.enclaveGroup.resultPrefix, run: room.enclaveGroup.run }
      : undefined,
  };
}

export type CollaborationOutputs = ReturnType<typeof collaborationOutputs>;
