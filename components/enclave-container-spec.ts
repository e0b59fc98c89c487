// The enclave container group's containers as plain data: what the ARM resource runs
// (enclave-container-group.ts) and what the container security policy measures
// (tools/cce-policy writes confcom's input from it). One spec for both, so the policy fixes exactly
// what the group runs, and leaves open (regex) only the values that differ per contract, run or
// identity: the contract and approvals travel in a secret volume whose content no policy measures,
// the run id carries the contract hash, and the client id is only known once the identity exists.
import type * as pulumi from "@pulumi/pulumi";
import { ENCLAVE_COMMAND, ENCLAVE_ENV as E } from "../enclave-app/src/protocol/index.ts";
import { CONFIG_MOUNT_PATH, enclaveEnv, SCRATCH_MOUNT_PATH } from "./workload-spec.ts";

/**
 * The `az confcom` release this project generates container policies with (tools/cce-policy,
 * docs/infrastructure.md); the contract records the one a stack's policy came from.
 */
export const PINNED_CONFCOM_VERSION = "2.0.1";

export const ENCLAVE_CONTAINER_NAME = "enclave";
export const SKR_CONTAINER_NAME = "skr";
/** The SKR sidecar's default port (microsoft/confidential-sidecar-containers cmd/skr); the runtime's default too. */
export const SKR_SIDECAR_PORT = 8080;
export const SKR_SIDECAR_RESOURCES = { cpu: 0.5, memoryInGB: 1 } as const;

/** The group's volumes and what ACI backs them with (confcom needs the kind to model the mount). */
export const GROUP_VOLUMES = { contract: "secret", scratch: "emptyDir", tmp: "emptyDir" } as const;
export type GroupVolumeName = keyof typeof GROUP_VOLUMES;

/** Environment variables the policy leaves open (`.*`), and why each cannot be fixed. */
export const OPEN_ENV_VARS: Readonly<Record<string, string>> = {
  [E.runId]: "the group name, which carries the contract hash and the run attempt",
  [E.azureClientId]: "the client id of the group's user-assigned identity, known only once it exists",
};

export interface GroupEnvVar {
  name: string;
  value: pulumi.Input<string>;
  /** True for OPEN_ENV_VARS: the policy accepts any value. */
  open: boolean;
}

export interface GroupMount {
  volume: GroupVolumeName;
  mountPath: string;
  readOnly: boolean;
}

export interface GroupContainer {
  name: string;
  image: string;
  /** Undefined: the image's own entrypoint (Microsoft's sidecar). */
  command?: readonly string[];
  env: GroupEnvVar[];
  mounts: GroupMount[];
  cpu: number;
  memoryInGB: number;
}

export interface GroupContainersInput {
  enclaveImage: string;
  skrSidecarImage: string;
  storageUrl: string;
  outputContainer: string;
  attestationEndpoint: pulumi.Input<string>;
  /** The enclave container's share of the group. */
  resources: { cpu: number; memoryInGB: number; scratchMiB: number };
  /** CLEANROOM_PARTY_SIGNERS (formatPartySigners): fixed by the policy, so the contract cannot bring its own parties. */
  partySigners: string;
  /** Open in the policy. */
  runId: pulumi.Input<string>;
  /** Open in the policy. */
  clientId: pulumi.Input<string>;
}

/** The enclave and the SKR sidecar, in the order the group lists them. */
export function enclaveGroupContainers(i: GroupContainersInput): GroupContainer[] {
  const env = enclaveEnv({
    image: i.enclaveImage,
    runId: i.runId,
    storageUrl: i.storageUrl,
    outputContainer: i.outputContainer,
    attestationEndpoint: i.attestationEndpoint,
    attester: "sidecar",
    resources: { cpu: String(i.resources.cpu), memoryMiB: i.resources.memoryInGB * 1024, scratchMiB: i.resources.scratchMiB },
  }).map((e): { name: string; value: pulumi.Input<string> } => ({ name: e.name as string, value: e.value as pulumi.Input<string> }));
  env.push(
    { name: E.sidecarUrl, value: `http://localhost:${SKR_SIDECAR_PORT}` },
    { name: E.partySigners, value: i.partySigners },
    // DefaultAzureCredential picks this user-assigned identity from the group's managed identity endpoint.
    { name: E.azureClientId, value: i.clientId },
  );
  return [
    {
      name: ENCLAVE_CONTAINER_NAME,
      image: i.enclaveImage,
      command: ENCLAVE_COMMAND,
      env: env.map((e) => ({ ...e, open: Object.hasOwn(OPEN_ENV_VARS, e.name) })),
      mounts: [
        { volume: "contract", mountPath: CONFIG_MOUNT_PATH, readOnly: true },
        { volume: "scratch", mountPath: SCRATCH_MOUNT_PATH, readOnly: false },
        { volume: "tmp", mountPath: "/tmp", readOnly: false },
      ],
      cpu: i.resources.cpu,
      memoryInGB: i.resources.memoryInGB,
    },
    {
      name: SKR_CONTAINER_NAME,
      image: i.skrSidecarImage,
      env: [{ name: "Port", value: String(SKR_SIDECAR_PORT), open: false }],
      mounts: [],
      cpu: SKR_SIDECAR_RESOURCES.cpu,
      memoryInGB: SKR_SIDECAR_RESOURCES.memoryInGB,
    },
  ];
}
