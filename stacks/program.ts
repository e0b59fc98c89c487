// The Pulumi program: stack config -> CleanRoom -> stack outputs. Phase 1 (no party keys or digests
// yet) deploys everything but the enclave workload and exports what parties need to encrypt and
// upload; phase 2 builds the contract, verifies the approvals and runs the enclave.
import * as pulumi from "@pulumi/pulumi";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider.js";
import { CleanRoom, cleanRoomContract, verifyContractApprovals, type VerifiedApprovals } from "../components/index.ts";
import { requiredApprovers } from "../enclave-app/src/protocol/index.ts";
import { loadStackConfig } from "./config.ts";

export async function runProgram(): Promise<Record<string, unknown>> {
  const { config, args, approvals } = loadStackConfig(pulumi.runtime.allConfig(), pulumi.getProject());

  // A party with its own subscription gets its own provider; everything of that party's vault uses it.
  for (const [i, p] of config.parties.entries()) {
    if (p.subscriptionId) {
      args.parties[i] = {
        ...args.parties[i]!,
        provider: new AzureProvider(`${p.name}-subscription`, { subscriptionId: p.subscriptionId, tenantId: p.tenantId, location: config.location }),
      };
    }
  }

  // Approvals are verified before anything is declared: missing or invalid ones fail the run with one error naming them.
  let verified: VerifiedApprovals | undefined;
  const contract = cleanRoomContract(args);
  if (contract && Object.keys(approvals).length > 0) verified = await verifyContractApprovals(contract, approvals);

  const room = new CleanRoom("cleanroom", { ...args, approvals: verified });
  const parties = Object.fromEntries(
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
