// The package's CleanRoom arguments and output shapes, written for Pulumi's schema inference
// (provider/experimental/analyzer): interfaces of Input<...>, enums as `as const` objects, no unions
// it cannot express, no functions or classes. They mirror the stack config (stacks/config.ts) key for
// key, so a platform team's YAML, Python or Go template says what a Pulumi.<stack>.yaml says, and the
// same parser checks both. The TSDoc comments become the schema's descriptions.
import type * as pulumi from "@pulumi/pulumi";

/** Where the enclave runs. */
export const IsolationMode = {
  /** AKS with an AMD SEV-SNP confidential node pool; the enclave is a Kubernetes Job. */
  ConfidentialNode: "confidential-node",
  /** Confidential ACI: the enclave is a container group whose container policy every release policy pins (recommended). */
  ConfidentialContainer: "confidential-container",
} as const;
export type IsolationMode = (typeof IsolationMode)[keyof typeof IsolationMode];

/** Which Microsoft Azure Attestation provider every release policy names. */
export const AttestationKind = {
  /** The shared regional provider, whose attestation policy nobody can alter. */
  Shared: "shared",
  /** A dedicated provider in the collaboration's resource group; needs policyHash. */
  Dedicated: "dedicated",
} as const;
export type AttestationKind = (typeof AttestationKind)[keyof typeof AttestationKind];

/** The kind of Entra principal a role is assigned to. */
export const PrincipalType = {
  User: "User",
  Group: "Group",
  ServicePrincipal: "ServicePrincipal",
} as const;
export type PrincipalType = (typeof PrincipalType)[keyof typeof PrincipalType];

/** The format of a dataset's plaintext. */
export const DatasetFormat = {
  Csv: "csv",
  Parquet: "parquet",
} as const;
export type DatasetFormat = (typeof DatasetFormat)[keyof typeof DatasetFormat];

/** The AKS network policy engine. */
export const NetworkPolicy = {
  Cilium: "cilium",
  Azure: "azure",
} as const;
export type NetworkPolicy = (typeof NetworkPolicy)[keyof typeof NetworkPolicy];

/** The AKS auto-upgrade channel. */
export const UpgradeChannel = {
  Patch: "patch",
  Stable: "stable",
  Rapid: "rapid",
  NodeImage: "node-image",
} as const;
export type UpgradeChannel = (typeof UpgradeChannel)[keyof typeof UpgradeChannel];

/** How kubelogin gets a token when `pulumi up` talks to the cluster. */
export const KubeloginMode = {
  AzureCli: "azurecli",
  WorkloadIdentity: "workloadidentity",
  Spn: "spn",
  Msi: "msi",
  Azd: "azd",
} as const;
export type KubeloginMode = (typeof KubeloginMode)[keyof typeof KubeloginMode];

/** Redundancy of the shared storage account. */
export const StorageSku = {
  StandardLRS: "Standard_LRS",
  StandardZRS: "Standard_ZRS",
  StandardGRS: "Standard_GRS",
  StandardGZRS: "Standard_GZRS",
} as const;
export type StorageSku = (typeof StorageSku)[keyof typeof StorageSku];

/** An Entra principal that gets a role. */
export interface Principal {
  /** Entra object id (GUID). */
  objectId: pulumi.Input<string>;
  /** Lets ARM skip the directory lookup; omit when unsure. */
  type?: pulumi.Input<PrincipalType>;
}

/** One organisation taking part: its vault, key, principals and network ranges. */
export interface Party {
  /** 2-23 lowercase letters, digits and single hyphens, starting with a letter. */
  name: pulumi.Input<string>;
  /** Tenant of the party's vault subscription; defaults to the collaboration tenant. Required with subscriptionId. */
  tenantId?: pulumi.Input<string>;
  /** The party's own subscription: its vault and key are deployed there through a dedicated azure-native provider. */
  subscriptionId?: pulumi.Input<string>;
  /** Key Vault Crypto Officer on the party's vault. */
  admins: pulumi.Input<pulumi.Input<Principal>[]>;
  /** Storage Blob Data Contributor on the party's input container, Key Vault Crypto User on its key. */
  uploaders: pulumi.Input<pulumi.Input<Principal>[]>;
  /** Storage Blob Data Reader on the output container when the party is a recipient; defaults to uploaders. */
  resultReaders?: pulumi.Input<pulumi.Input<Principal>[]>;
  /** The party's public IPv4 ranges, allowed through the vault and storage firewalls. */
  ipRanges?: pulumi.Input<pulumi.Input<string>[]>;
  /** Override of the derived vault name (3-24 characters). */
  vaultName?: pulumi.Input<string>;
  /** RSA key size of the party's key-encryption key: 3072 (default) or 4096. */
  keySize?: pulumi.Input<number>;
  /** Phase 2: the public JWK (EC P-256 or RSA >= 2048) that verifies this party's approval. */
  signingKey?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Phase 2: the public JWK of the party's Key Vault key (downloaded after phase 1). */
  kekPublicKey?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** One column of a dataset. */
export interface Column {
  /** Column name as the SQL uses it. */
  name: pulumi.Input<string>;
  /** DuckDB type, e.g. VARCHAR, BIGINT, DOUBLE, DATE. */
  type: pulumi.Input<string>;
}

/** A party's encrypted dataset in its input container. */
export interface Dataset {
  /** SQL table name, ^[a-z_][a-z0-9_]{0,62}$. */
  name: pulumi.Input<string>;
  /** The party that owns (and must approve any SQL reading) the dataset. */
  owner: pulumi.Input<string>;
  /** Blob name inside the owner's input container. */
  blobName: pulumi.Input<string>;
  /** Plaintext format. */
  format: pulumi.Input<DatasetFormat>;
  /** The columns, in order. */
  schema: pulumi.Input<pulumi.Input<Column>[]>;
  /** Phase 2: sha256 (hex) of the uploaded ciphertext, from `cleanroom encrypt`. */
  ciphertextSha256?: pulumi.Input<string>;
  /** Phase 2: plaintext byte length, from `cleanroom encrypt`. */
  plaintextLength?: pulumi.Input<number>;
}

/** Output privacy rules the enclave enforces on the result. */
export interface Privacy {
  /** Minimum group size k (>= 2): rows whose count column is below it are suppressed and only counted. */
  minGroupSize: pulumi.Input<number>;
  /** The result column holding each row's group size. */
  countColumn: pulumi.Input<string>;
  /** The only result columns released; must include countColumn. */
  allowedColumns: pulumi.Input<pulumi.Input<string>[]>;
}

/** The attestation provider choice. */
export interface AttestationOptions {
  /** "shared" (default) or "dedicated". */
  kind: pulumi.Input<AttestationKind>;
  /** Dedicated only: provider name (3-24 letters and digits); derived from the collaboration by default. */
  providerName?: pulumi.Input<string>;
  /** Dedicated only, required: the x-ms-policy-hash its tokens carry (43 base64url characters), pinned in every release policy. */
  policyHash?: pulumi.Input<string>;
}

/** Size of an AKS node pool. */
export interface PoolSizing {
  /** Agent pool name, ^[a-z][a-z0-9]{0,11}$. */
  name?: pulumi.Input<string>;
  /** VM size; the enclave pool needs an SEV-SNP confidential size (DCasv5/ECasv5 family). */
  vmSize?: pulumi.Input<string>;
  /** Minimum node count (autoscaler). */
  minCount?: pulumi.Input<number>;
  /** Maximum node count (autoscaler). */
  maxCount?: pulumi.Input<number>;
  /** OS disk size, GB. */
  osDiskSizeGB?: pulumi.Input<number>;
}

/** Confidential-node mode: AKS cluster options. */
export interface ClusterOptions {
  /** Kubernetes minor or patch version the confidential Ubuntu 24.04 pool supports. */
  kubernetesVersion?: pulumi.Input<string>;
  /** System pool sizing. */
  systemPool?: pulumi.Input<PoolSizing>;
  /** Enclave (confidential) pool sizing. Default Standard_DC4as_v5, 1..3 nodes. */
  enclavePool?: pulumi.Input<PoolSizing>;
  /** Default "cilium". */
  networkPolicy?: pulumi.Input<NetworkPolicy>;
  /** Default "patch". */
  upgradeChannel?: pulumi.Input<UpgradeChannel>;
  /** Public IP ranges allowed to reach the API server; empty = any (Entra auth still required). */
  apiServerAuthorizedIpRanges?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default "azurecli". */
  kubeloginMode?: pulumi.Input<KubeloginMode>;
}

/** The collaboration's virtual network. */
export interface NetworkOptions {
  /** Default 10.40.0.0/16. */
  addressSpace?: pulumi.Input<string>;
  /** Node subnet inside addressSpace. Default 10.40.0.0/20. */
  nodeSubnetPrefix?: pulumi.Input<string>;
}

/** The shared storage account. */
export interface StorageOptions {
  /** Override of the derived account name (3-24 lowercase letters and digits). */
  accountName?: pulumi.Input<string>;
  /** Default Standard_ZRS. */
  skuName?: pulumi.Input<StorageSku>;
  /** Blob and container soft-delete retention, days. */
  deleteRetentionDays?: pulumi.Input<number>;
}

/** Resources of the enclave Job's container. */
export interface WorkloadResources {
  /** CPU request = limit, e.g. "3". */
  cpu?: pulumi.Input<string>;
  /** Memory request = limit, MiB (includes the scratch volume). */
  memoryMiB?: pulumi.Input<number>;
  /** Memory-backed scratch volume for decrypted inputs, MiB. */
  scratchMiB?: pulumi.Input<number>;
}

/** Confidential-node mode: the enclave Job. */
export interface WorkloadOptions {
  /** Container resources. */
  resources?: pulumi.Input<WorkloadResources>;
  /** Job deadline, seconds. Default 3600. */
  activeDeadlineSeconds?: pulumi.Input<number>;
  /** Job retries (0-6). */
  backoffLimit?: pulumi.Input<number>;
  /** How long the finished Job is kept, seconds. */
  ttlSecondsAfterFinished?: pulumi.Input<number>;
  /** Run attempt in the Job name: bump it to run the same contract again. */
  attempt?: pulumi.Input<number>;
  /** Kubernetes namespace of the enclave. */
  namespace?: pulumi.Input<string>;
}

/** Resources of the enclave container in its group. */
export interface EnclaveResources {
  /** vCPUs. Default 3. */
  cpu?: pulumi.Input<number>;
  /** Memory, GB. Default 12. */
  memoryInGB?: pulumi.Input<number>;
  /** Memory-backed scratch, MiB. Default 3072. */
  scratchMiB?: pulumi.Input<number>;
}

/** Confidential-container mode: the enclave's container group. */
export interface EnclaveOptions {
  /** Base64 Rego container security policy from `az confcom acipolicygen`; its sha256 is pinned by the contract and every release policy. */
  ccePolicy: pulumi.Input<string>;
  /** The SKR sidecar image pinned by digest, mcr.microsoft.com/aci/skr@sha256:<digest>. */
  skrSidecarImage: pulumi.Input<string>;
  /** The `az confcom` release that generated ccePolicy, recorded in the contract. Default: the release this project pins. */
  confcomVersion?: pulumi.Input<string>;
  /** In the group name: a new attempt is a new group, so a run can be repeated. Default 1. */
  runAttempt?: pulumi.Input<number>;
  /** The enclave container's share of the group. */
  resources?: pulumi.Input<EnclaveResources>;
  /** How long `pulumi up` waits for the enclave to terminate, seconds. Default 7200. */
  timeoutSeconds?: pulumi.Input<number>;
}

/** A whole collaboration, as the stack config of this repository's program describes it. */
export interface CleanRoomArgs {
  /** 3-40 lowercase letters, digits and single hyphens: prefixes every resource name. */
  collaboration: pulumi.Input<string>;
  /** Azure region with confidential VM capacity, e.g. westeurope. */
  location: pulumi.Input<string>;
  /** Entra tenant of the collaboration's subscription. */
  tenantId: pulumi.Input<string>;
  /** Changes the globally unique names (vaults, storage, attestation); default: the collaboration name. */
  namingSeed?: pulumi.Input<string>;
  /** Default confidential-node; confidential-container (recommended) needs `enclave`. */
  isolationMode?: pulumi.Input<IsolationMode>;
  /** The enclave image pinned by digest, <registry>/<repository>@sha256:<64 hex>. */
  enclaveImage: pulumi.Input<string>;
  /** The SQL every data owner approves; dataset names are its table names. */
  sql: pulumi.Input<string>;
  /** Entra groups administering the cluster: required in confidential-node mode, refused in confidential-container mode (no cluster). */
  clusterAdminGroupObjectIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default: the shared regional provider. */
  attestation?: pulumi.Input<AttestationOptions>;
  /** At least two parties. */
  parties: pulumi.Input<pulumi.Input<Party>[]>;
  /** At least one dataset. */
  datasets: pulumi.Input<pulumi.Input<Dataset>[]>;
  /** Output privacy rules. */
  privacy: pulumi.Input<Privacy>;
  /** Parties that receive the result, encrypted to each. */
  recipients: pulumi.Input<pulumi.Input<string>[]>;
  /** Phase 2: party name -> compact JWS over the contract hash (`cleanroom contract sign`). Verified before anything is declared; with every owner's approval the enclave runs. */
  approvals?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Confidential-node mode: cluster options. */
  cluster?: pulumi.Input<ClusterOptions>;
  /** Network address ranges. */
  network?: pulumi.Input<NetworkOptions>;
  /** Shared storage options. */
  storage?: pulumi.Input<StorageOptions>;
  /** Confidential-node mode: enclave Job options. */
  workload?: pulumi.Input<WorkloadOptions>;
  /** Confidential-container mode: container policy, SKR sidecar, run attempt. */
  enclave?: pulumi.Input<EnclaveOptions>;
  /** Tags on every Azure resource (the collaboration and party tags are set by the clean room). */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** What a party needs after phase 1 to encrypt and upload. */
export interface PartyEndpoints {
  /** The party's Key Vault. */
  vaultName: string;
  /** https://<vault>.vault.azure.net/ */
  vaultUri: string;
  /** The key-encryption key's name (it changes when the release policy changes). */
  keyName: string;
  /** Versionless key id, pinned in the contract. */
  keyId: string;
  /** The key id with its current version. */
  keyUriWithVersion: string;
  /** The party's input container. */
  inputContainer: string;
  /** https://<account>.blob.core.windows.net/<container>/ to upload the ciphertext to. */
  uploadPrefix: string;
}

/** Confidential-node mode: the enclave Job. */
export interface EnclaveJob {
  /** Kubernetes namespace. */
  namespace: string;
  /** Job name: carries the contract hash and the run attempt. */
  name: string;
  /** Where the run writes the result and the receipt. */
  resultPrefix: string;
}

/** How the enclave container exited. */
export interface EnclaveRun {
  /** 0 on success (`pulumi up` fails otherwise). */
  exitCode: number;
  /** When the container terminated. */
  finishTime?: string;
  /** ACI's detail status. */
  detailStatus?: string;
}

/** Confidential-container mode: the enclave's container group. */
export interface EnclaveContainerGroupInfo {
  /** Group name: carries the contract hash and the run attempt. */
  name: string;
  /** ARM id of the group. */
  id: string;
  /** Where the run writes the result and the receipt. */
  resultPrefix: string;
  /** Settles when the enclave container has terminated. */
  run?: EnclaveRun;
}
