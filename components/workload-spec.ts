// The enclave Job's pod, as plain data: what the runtime reads (env, mounts), where it may run (the
// confidential pool only), and what it may do (read-only root, memory-backed scratch, egress to DNS,
// HTTPS and IMDS only; privileged for the vTPM, see enclavePodTemplate). Kept apart from the component so it can be read and tested
// as a spec.
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { APPROVALS_FILE, CONTRACT_FILE, ENCLAVE_CONFIG_DIR, ENCLAVE_ENV as E, ENCLAVE_SCRATCH_DIR } from "../enclave-app/src/protocol/index.ts";
import { ENCLAVE_NODE_LABEL, ENCLAVE_TAINT } from "./cluster.ts";

export const CONFIG_MOUNT_PATH = ENCLAVE_CONFIG_DIR;
export const SCRATCH_MOUNT_PATH = ENCLAVE_SCRATCH_DIR;
export const ENCLAVE_APP_LABEL = { key: "app.kubernetes.io/name", value: "cleanroom-enclave" } as const;
export const IMDS_ADDRESS = "169.254.169.254";
/** Private ranges the enclave never needs: in-cluster services, pods and the VNet stay unreachable. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** The node's vTPM resource manager, which AzureAttestSKR attests and unwraps with. */
export const TPM_DEVICE_PATH = "/dev/tpmrm0";
/** securityfs: the guest attestation library reads the TCG event log under tpm0/binary_bios_measurements. */
export const SECURITYFS_PATH = "/sys/kernel/security";

export interface EnclaveResources {
  /** CPU request = limit (Guaranteed QoS), e.g. "3". */
  cpu: string;
  /** Memory request = limit, MiB. Includes the memory-backed scratch volume. */
  memoryMiB: number;
  /** Size limit of the memory-backed scratch volume (decrypted inputs), MiB. */
  scratchMiB: number;
}

export const DEFAULT_RESOURCES: EnclaveResources = { cpu: "3", memoryMiB: 10240, scratchMiB: 3072 };
/** Node.js heap, stacks and the DuckDB binary outside DuckDB's own memory_limit. */
export const RUNTIME_OVERHEAD_MIB = 1024;

/**
 * DuckDB memory_limit: what remains after the scratch volume (tmpfs pages count against the pod's
 * memory limit) and the runtime's own overhead. Written in MB although computed in MiB, so it is
 * never larger than intended whichever unit DuckDB applies.
 */
export function duckdbMemoryLimit(resources: EnclaveResources): string {
  return `${resources.memoryMiB - resources.scratchMiB - RUNTIME_OVERHEAD_MIB}MB`;
}

/** DuckDB threads: the whole CPUs the container may use (DuckDB would otherwise size for every core of the node). */
export function duckdbThreads(resources: EnclaveResources): number {
  const cpu = resources.cpu.endsWith("m") ? Number(resources.cpu.slice(0, -1)) / 1000 : Number(resources.cpu);
  return Math.max(1, Math.floor(cpu));
}

export interface EnclavePodOptions {
  image: string;
  serviceAccountName: string;
  configMapName: string;
  jobName: string;
  contractHash: string;
  storageUrl: string;
  outputContainer: string;
  attestationEndpoint: pulumi.Input<string>;
  attester: "cvm-skr" | "sidecar" | "local";
  /** Client id of the kubelet identity; AzureAttestSKR picks it through IMDS (confidential-node mode). */
  imdsClientId?: pulumi.Input<string>;
  resources: EnclaveResources;
}

/** What the enclave's environment is made of: the Job and the container group both set it. */
export type EnclaveEnvOptions = Pick<EnclavePodOptions, "image" | "storageUrl" | "outputContainer" | "attestationEndpoint" | "attester" | "imdsClientId" | "resources"> & {
  /** CLEANROOM_RUN_ID: the Job's or the group's name. */
  runId: pulumi.Input<string>;
};

export function enclaveEnv(o: EnclaveEnvOptions): k8s.types.input.core.v1.EnvVar[] {
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: E.contract, value: `${CONFIG_MOUNT_PATH}/${CONTRACT_FILE}` },
    { name: E.approvals, value: `${CONFIG_MOUNT_PATH}/${APPROVALS_FILE}` },
    { name: E.storageUrl, value: o.storageUrl },
    { name: E.outputContainer, value: o.outputContainer },
    { name: E.attester, value: o.attester },
    { name: E.maaEndpoint, value: o.attestationEndpoint },
    { name: E.scratchDir, value: SCRATCH_MOUNT_PATH },
    { name: E.runId, value: o.runId },
    { name: E.memoryLimit, value: duckdbMemoryLimit(o.resources) },
    { name: E.threads, value: String(duckdbThreads(o.resources)) },
    // The pod cannot read its own image reference; the runtime records it in the receipt and checks it against the contract.
    { name: E.image, value: o.image },
  ];
  if (o.imdsClientId !== undefined) env.push({ name: E.imdsClientId, value: o.imdsClientId });
  return env;
}

/**
 * The vTPM the way Microsoft's AKS CVM attestation sample reaches it (Azure/confidential-computing-cvm-guest-attestation
 * aks-linux-sample/cvm-attestation.yaml): hostPath /dev/tpmrm0 and /sys/kernel/security (read-only) in a
 * privileged container. An unprivileged container cannot open a hostPath character device: the device
 * cgroup denies it whatever the capabilities (kubernetes/kubernetes#79090, never fixed).
 */
function tpmVolumes(): { volumes: k8s.types.input.core.v1.Volume[]; mounts: k8s.types.input.core.v1.VolumeMount[] } {
  return {
    volumes: [
      { name: "tpm", hostPath: { path: TPM_DEVICE_PATH, type: "CharDevice" } },
      { name: "securityfs", hostPath: { path: SECURITYFS_PATH, type: "Directory" } },
    ],
    mounts: [
      { name: "tpm", mountPath: TPM_DEVICE_PATH },
      { name: "securityfs", mountPath: SECURITYFS_PATH, readOnly: true },
    ],
  };
}

export function enclavePodTemplate(o: EnclavePodOptions): k8s.types.input.core.v1.PodTemplateSpec {
  const memory = `${o.resources.memoryMiB}Mi`;
  const tpm = tpmVolumes();
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "contract", configMap: { name: o.configMapName, defaultMode: 0o444 } },
    // medium Memory = tmpfs: decrypted inputs never reach the node's disk.
    { name: "scratch", emptyDir: { medium: "Memory", sizeLimit: `${o.resources.scratchMiB}Mi` } },
    { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
    ...tpm.volumes,
  ];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [
    { name: "contract", mountPath: CONFIG_MOUNT_PATH, readOnly: true },
    { name: "scratch", mountPath: SCRATCH_MOUNT_PATH },
    { name: "tmp", mountPath: "/tmp" },
    ...tpm.mounts,
  ];

  return {
    metadata: {
      labels: { [ENCLAVE_APP_LABEL.key]: ENCLAVE_APP_LABEL.value, "azure.workload.identity/use": "true" },
      annotations: { "cleanroom.io/contract-hash": o.contractHash },
    },
    spec: {
      serviceAccountName: o.serviceAccountName,
      // The workload identity webhook projects its own token; the enclave never calls the Kubernetes API.
      automountServiceAccountToken: false,
      restartPolicy: "Never",
      enableServiceLinks: false,
      nodeSelector: { [ENCLAVE_NODE_LABEL.key]: ENCLAVE_NODE_LABEL.value },
      tolerations: [{ key: ENCLAVE_TAINT.key, operator: "Equal", value: ENCLAVE_TAINT.value, effect: ENCLAVE_TAINT.effect }],
      // Root, as in Microsoft's sample: AzureAttestSKR is documented to run as root, and the TCG event log
      // in securityfs is readable by root only (without it the library attests with an empty log).
      securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "enclave",
          image: o.image,
          imagePullPolicy: "IfNotPresent",
          env: enclaveEnv({ ...o, runId: o.jobName }),
          resources: { requests: { cpu: o.resources.cpu, memory }, limits: { cpu: o.resources.cpu, memory } },
          securityContext: {
            // See tpmVolumes. Privileged grants every capability, so no capability list is set (it would
            // read as a restriction that does not hold); the API rejects allowPrivilegeEscalation: false here.
            privileged: true,
            allowPrivilegeEscalation: true,
            readOnlyRootFilesystem: true,
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumeMounts: mounts,
        },
      ],
      volumes,
    },
  };
}

/** No ingress; egress to cluster DNS, HTTPS on public addresses, and (confidential nodes) IMDS on port 80. */
export function enclaveNetworkPolicySpec(opts: { imds: boolean }): k8s.types.input.networking.v1.NetworkPolicySpec {
  const egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[] = [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
          podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
        },
      ],
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    },
    {
      // Storage, Key Vault, MAA and Entra ID are public endpoints (storage and vault reached through the subnet's service endpoints).
      to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES, `${IMDS_ADDRESS}/32`] } }],
      ports: [{ protocol: "TCP", port: 443 }],
    },
  ];
  if (opts.imds) {
    // AzureAttestSKR gets the kubelet identity's token and the VM's certificates from IMDS (plain HTTP, link-local).
    egress.push({ to: [{ ipBlock: { cidr: `${IMDS_ADDRESS}/32` } }], ports: [{ protocol: "TCP", port: 80 }] });
  }
  return {
    podSelector: { matchLabels: { [ENCLAVE_APP_LABEL.key]: ENCLAVE_APP_LABEL.value } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [],
    egress,
  };
}
