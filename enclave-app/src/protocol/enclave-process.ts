// What crosses the boundary between the deployment (components: the Job or the container group) and
// the enclave process (runtime): the command, where the contract and scratch are mounted, the
// environment variable names, and the storage container names. Defined once here; the components
// write them, the runtime reads them, and tests feed one into the other.

/** The Dockerfile's CMD and WORKDIR (checked by test/runtime/dockerfile.test.ts). */
export const ENCLAVE_COMMAND: readonly string[] = ["node", "enclave-app/src/runtime/main.ts"];
export const ENCLAVE_WORKING_DIR = "/app";

/** Read-only mount holding the contract and the approvals (ConfigMap, or the group's secret volume). */
export const ENCLAVE_CONFIG_DIR = "/etc/cleanroom";
export const CONTRACT_FILE = "contract.json";
export const APPROVALS_FILE = "approvals.json";
/** Memory-backed scratch for decrypted inputs and DuckDB's temp directory. */
export const ENCLAVE_SCRATCH_DIR = "/scratch";

/** The enclave's environment, by meaning. */
export const ENCLAVE_ENV = {
  contract: "CLEANROOM_CONTRACT",
  approvals: "CLEANROOM_APPROVALS",
  storageUrl: "CLEANROOM_STORAGE_URL",
  outputContainer: "CLEANROOM_OUTPUT_CONTAINER",
  attester: "CLEANROOM_ATTESTER",
  maaEndpoint: "CLEANROOM_MAA_ENDPOINT",
  scratchDir: "CLEANROOM_SCRATCH_DIR",
  runId: "CLEANROOM_RUN_ID",
  memoryLimit: "CLEANROOM_MEMORY_LIMIT",
  threads: "CLEANROOM_THREADS",
  image: "CLEANROOM_IMAGE",
  partySigners: "CLEANROOM_PARTY_SIGNERS",
  sidecarUrl: "CLEANROOM_SIDECAR_URL",
  skrPath: "CLEANROOM_SKR_PATH",
  attestationClientPath: "CLEANROOM_ATTESTATION_CLIENT_PATH",
  authorizationRetrySeconds: "CLEANROOM_AUTHZ_RETRY_SECONDS",
  /** AzureAttestSKR authenticates as this (kubelet) identity through IMDS. */
  imdsClientId: "IMDS_CLIENT_ID",
  /** DefaultAzureCredential picks this user-assigned identity (container group). */
  azureClientId: "AZURE_CLIENT_ID",
  localCaFile: "CLEANROOM_LOCAL_CA_FILE",
  storageConnectionString: "CLEANROOM_STORAGE_CONNECTION_STRING",
  localPrincipal: "CLEANROOM_LOCAL_PRINCIPAL",
  localCcePolicyFile: "CLEANROOM_LOCAL_CCE_POLICY_FILE",
} as const;

/** The shared storage account's containers: one input container per party, one output container. */
export const OUTPUT_CONTAINER_NAME = "output";
const INPUT_PREFIX = "input-";

export function inputContainerName(party: string): string {
  return `${INPUT_PREFIX}${party}`;
}

/** The party whose input container this is, or undefined. */
export function partyOfInputContainer(container: string): string | undefined {
  return container.startsWith(INPUT_PREFIX) && container.length > INPUT_PREFIX.length ? container.slice(INPUT_PREFIX.length) : undefined;
}
