// The clean-room component library: what a platform team imports to build a collaboration.
export { CleanRoom, CLEAN_ROOM_TYPE, createCleanRoom, cleanRoomRegisteredOutputs, type CleanRoomParts, type PartyOutputs } from "./clean-room.ts";
export {
  planCleanRoom,
  planComputationCount,
  validateCleanRoomArgs,
  pendingContractInputs,
  cleanRoomContract,
  type CleanRoomArgs,
  type CleanRoomPartyArgs,
  type CleanRoomDatasetArgs,
  type CleanRoomClusterOptions,
  type CleanRoomWorkloadOptions,
  type CleanRoomPlan,
  type CleanRoomPhase,
  type PartyPlan,
} from "./plan.ts";
export {
  Network,
  createNetwork,
  type NetworkParts,
  validateNetworkArgs,
  NETWORK_TYPE,
  NODE_SUBNET_SERVICE_ENDPOINTS,
  CONTAINER_SUBNET_DELEGATION,
  DEFAULT_CONTAINER_SUBNET,
  type NetworkArgs,
} from "./network.ts";
export {
  EnclaveContainerGroup,
  validateEnclaveContainerGroupArgs,
  validateEnclaveContainerOptions,
  enclaveContainerGroupName,
  ccePolicyProblem,
  ENCLAVE_CONTAINER_GROUP_TYPE,
  SKR_SIDECAR_IMAGE,
  type EnclaveContainerGroupArgs,
  type EnclaveContainerOptions,
} from "./enclave-container-group.ts";
export {
  waitForEnclaveExit,
  armContainerGroupReader,
  defaultContainerGroupReader,
  EnclaveRunFailedError,
  CONTAINER_GROUP_READER_SYMBOL,
  type ContainerGroupReader,
  type ContainerGroupView,
  type EnclaveRunResult,
} from "./enclave-run.ts";
export {
  Attestation,
  createAttestation,
  type AttestationParts,
  validateAttestationArgs,
  expectedAttestationEndpoint,
  checkAttestUri,
  ATTESTATION_TYPE,
  type AttestationArgs,
  type AttestationChoice,
} from "./attestation.ts";
// The region table, the VM-size parser and the resource tags live in the protocol module, which the
// policy pack shares; they are re-exported so the library's API stays in one place.
export {
  ATTESTATION_REGION_CODES,
  attestationRegionCode,
  sharedAttestationEndpoint,
  dedicatedAttestationEndpoint,
  normalizeLocation,
  parseConfidentialSize,
  PARTY_TAG,
  COLLABORATION_TAG,
  type ConfidentialSize,
  type ConfidentialTee,
} from "../enclave-app/src/protocol/index.ts";
export {
  ConfidentialCluster,
  createConfidentialCluster,
  type ConfidentialClusterParts,
  validateConfidentialClusterArgs,
  enclaveTee,
  CONFIDENTIAL_CLUSTER_TYPE,
  ENCLAVE_NODE_LABEL,
  ENCLAVE_TAINT,
  SYSTEM_POOL_TAINT,
  DEFAULT_SYSTEM_VM_SIZE,
  DEFAULT_ENCLAVE_VM_SIZE,
  type ConfidentialClusterArgs,
  kubernetesVersionProblem,
  CVM_UBUNTU2404_MINORS,
  ENCLAVE_OS_SKU,
  type NodePoolSizing,
  type ClusterNetworkPolicy,
  type UpgradeChannel,
} from "./cluster.ts";
export {
  PartyVault,
  createPartyVault,
  partyVaultRegisteredOutputs,
  type PartyVaultParts,
  validatePartyVaultArgs,
  planKek,
  PARTY_VAULT_TYPE,
  KEK_SIZES,
  DEFAULT_KEK_SIZE,
  KEK_OPERATIONS,
  type PartyVaultArgs,
  type KekPlan,
  type KekSize,
} from "./party-vault.ts";
export { SharedStorage, createSharedStorage, type SharedStorageParts, validateSharedStorageArgs, SHARED_STORAGE_TYPE, type SharedStorageArgs, type SharedStorageParty, type ContainerRef } from "./storage.ts";
export {
  EnclaveWorkload,
  validateEnclaveWorkloadArgs,
  enclaveJobName,
  podTemplateHash,
  MAX_ATTEMPT,
  ENCLAVE_WORKLOAD_TYPE,
  WORKLOAD_IDENTITY_AUDIENCE,
  type EnclaveWorkloadArgs,
  type WorkloadStorage,
} from "./workload.ts";
export {
  AKS_SYSTEM_DAEMONSETS,
  ENCLAVE_ADMISSION_POLICY_NAME,
  enclaveAdmissionPolicySpec,
  enclaveAdmissionBindingSpec,
  targetsEnclavePoolExpression,
} from "./enclave-admission.ts";
export {
  enclavePodTemplate,
  enclaveEnv,
  enclaveNetworkPolicySpec,
  duckdbMemoryLimit,
  duckdbThreads,
  DEFAULT_RESOURCES,
  RUNTIME_OVERHEAD_MIB,
  CONFIG_MOUNT_PATH,
  SCRATCH_MOUNT_PATH,
  ENCLAVE_APP_LABEL,
  TPM_DEVICE_PATH,
  SECURITYFS_PATH,
  type EnclaveResources,
  type EnclavePodOptions,
} from "./workload-spec.ts";
export { verifyContractApprovals, isVerifiedFor, ApprovalsRejectedError, type VerifiedApprovals } from "./approvals.ts";
export { buildKubeloginKubeconfig, parseClusterEndpoint, AKS_AAD_SERVER_ID, KUBELOGIN_MODES, KubeconfigError, type KubeloginMode } from "./kubeconfig.ts";
export { BuiltInRoles, roleDefinitionId, roleDefinitionIdForScope, subscriptionOf, keyScope, type BuiltInRole, type PrincipalRef, type PrincipalType } from "./roles.ts";
export * as naming from "./naming.ts";
export {
  ComponentArgsError,
  DeploymentMismatchError,
  type ComponentErrorCode,
  type ValidationIssue,
} from "./validation.ts";
