// Type tokens the policies look at. Strings rather than the SDKs' resource classes, so the pack does
// not load @pulumi/azure-native or @pulumi/kubernetes just to compare a type name.
export const AzureTypes = {
  vault: "azure-native:keyvault:Vault",
  key: "azure-native:keyvault:Key",
  storageAccount: "azure-native:storage:StorageAccount",
  blobContainer: "azure-native:storage:BlobContainer",
  managedCluster: "azure-native:containerservice:ManagedCluster",
  agentPool: "azure-native:containerservice:AgentPool",
  roleAssignment: "azure-native:authorization:RoleAssignment",
  attestationProvider: "azure-native:attestation:AttestationProvider",
  userAssignedIdentity: "azure-native:managedidentity:UserAssignedIdentity",
  containerGroup: "azure-native:containerinstance:ContainerGroup",
  federatedIdentityCredential: "azure-native:managedidentity:FederatedIdentityCredential",
} as const;

export const KubernetesTypes = {
  pod: "kubernetes:core/v1:Pod",
  job: "kubernetes:batch/v1:Job",
  cronJob: "kubernetes:batch/v1:CronJob",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  replicaSet: "kubernetes:apps/v1:ReplicaSet",
  replicationController: "kubernetes:core/v1:ReplicationController",
  configMap: "kubernetes:core/v1:ConfigMap",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
} as const;

/** Component type tokens of the clean-room library (components/), matched by name only. */
export const ComponentTypes = {
  partyVault: "cleanroom:index:PartyVault",
} as const;

export const STACK_TYPE = "pulumi:pulumi:Stack";
