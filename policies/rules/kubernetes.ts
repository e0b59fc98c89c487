// Kubernetes workloads of the enclave: they run only on the confidential pool, run exactly the image
// every party approved (by digest), and cannot become root, gain privileges, write their own root
// filesystem or reach into the node, except for the vTPM device the CVM key-release tool needs.
import type { ReportViolation } from "@pulumi/policy";
import { forTypes, stringList, type CleanRoomResourcePolicy, type PolicyConfig, type Props } from "./policy.ts";
import { parseLabelSelector } from "./props.ts";
import {
  containersOf,
  defineWorkloadConfig,
  isEnclaveWorkload,
  podTemplateOf,
  WORKLOAD_TYPES,
  type EnclaveScopeConfig,
  type PodTemplate,
} from "./pod-spec.ts";

/** A validation over the pod template of every enclave workload; other workloads are out of scope. */
function forEnclavePods<T extends EnclaveScopeConfig>(
  config: PolicyConfig<T>,
  check: (pod: PodTemplate, config: T, where: string, report: ReportViolation) => void,
) {
  return forTypes(WORKLOAD_TYPES, (props, args, report) => {
    const pod = podTemplateOf(args.type, props);
    if (!pod) return;
    const effective = config.read(args);
    if (!isEnclaveWorkload(pod, effective)) return;
    check(pod, effective, `${args.type.split(":").pop()} ${pod.namespace}/${args.name}`, report);
  });
}

const scopeOnlyConfig = defineWorkloadConfig<object>({});

/**
 * A check of every container, init container and ephemeral container of every enclave pod; `where`
 * names the workload and the container ("Job cleanroom/x container \"enclave\"").
 */
function forEnclaveContainers(check: (container: Props, pod: PodTemplate, where: string, report: ReportViolation) => void) {
  return forEnclavePods(scopeOnlyConfig, (pod, _config, where, report) => {
    for (const { kind, name, container } of containersOf(pod.spec)) check(container, pod, `${where} ${kind} "${name}"`, report);
  });
}

const pinnedConfig = defineWorkloadConfig<{ enclaveNodeLabel: string }>({
  enclaveNodeLabel: { type: "string", default: "cleanroom.io/enclave=true", description: "Node label (key=value) of the confidential enclave pool." },
});

function selectsLabel(spec: Props, key: string, value: string | undefined): boolean {
  const selector = spec.nodeSelector;
  if (selector && typeof selector === "object" && key in selector && (value === undefined || selector[key] === value)) return true;
  // A required node affinity term per alternative: every term must pin the label, or the pod may land elsewhere.
  const terms: unknown = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) return false;
  return terms.every((term: Props) => {
    const expressions: unknown = term.matchExpressions;
    return (
      Array.isArray(expressions) &&
      expressions.some(
        (e: Props) =>
          e.key === key && e.operator === "In" && Array.isArray(e.values) && e.values.length > 0 && (value === undefined || e.values.every((v: unknown) => v === value)),
      )
    );
  });
}

export const k8sEnclavePinnedToConfidentialPool: CleanRoomResourcePolicy = {
  name: "k8s-enclave-pinned-to-confidential-pool",
  description: "Enclave pods select the confidential pool's node label, so they never run on a node without a TEE.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: 'Add nodeSelector { "cleanroom.io/enclave": "true" } (and the matching toleration) to the pod template (enclavePodTemplate does).',
  configSchema: pinnedConfig.schema,
  validateResource: forEnclavePods(pinnedConfig, (pod, config, where, report) => {
    const { key, value } = parseLabelSelector(config.enclaveNodeLabel);
    if (!selectsLabel(pod.spec, key, value)) {
      report(`${where} is not pinned to the confidential pool: its pods do not require the node label ${config.enclaveNodeLabel}.`);
    }
  }),
};

const DIGEST = /@sha256:[0-9a-f]{64}$/;

export const k8sEnclaveImageDigest: CleanRoomResourcePolicy = {
  name: "k8s-enclave-image-digest",
  description: "Enclave containers reference their image by sha256 digest: a tag can be moved to code nobody approved.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Use <registry>/<repository>@sha256:<64 hex digest>, the image the contract pins.",
  configSchema: scopeOnlyConfig.schema,
  validateResource: forEnclaveContainers((container, _pod, where, report) => {
    const image = container.image;
    if (typeof image !== "string" || !DIGEST.test(image)) {
      report(`${where} uses image ${JSON.stringify(image ?? null)}, which is not pinned by digest (@sha256:<64 hex>).`);
    }
  }),
};

/** The vTPM device node and the TCG event log directory Microsoft's CVM attestation tools read. */
const VTPM_DEVICE = "/dev/tpmrm0";
const SECURITYFS = "/sys/kernel/security";

function hostPathVolume(pod: PodTemplate, volumeName: unknown): Props | undefined {
  const volumes: unknown = pod.spec.volumes;
  if (!Array.isArray(volumes)) return undefined;
  return (volumes as Props[]).find((v) => v.name === volumeName)?.hostPath;
}

/**
 * The one container allowed to run privileged and as root: the CVM attester that mounts the vTPM
 * device. A host character device in an unprivileged container is denied by the device cgroup
 * (kubernetes#79090), so Microsoft's AKS CVM attestation sample runs privileged with exactly the vTPM
 * and a read-only securityfs; the privilege is what the attestation needs, and the node is the trust
 * boundary in this mode anyway (README threat model).
 */
function isVtpmAttester(container: Props, pod: PodTemplate): boolean {
  const mounts: unknown = container.volumeMounts;
  if (!Array.isArray(mounts)) return false;
  return (mounts as Props[]).some((m) => {
    const hostPath = hostPathVolume(pod, m.name);
    return hostPath?.path === VTPM_DEVICE && hostPath.type === "CharDevice";
  });
}

export const k8sEnclaveNonRoot: CleanRoomResourcePolicy = {
  name: "k8s-enclave-non-root",
  description:
    "Enclave containers run as a non-root user (runAsNonRoot true, runAsUser not 0), at pod or container level; only the vTPM attester container (it mounts /dev/tpmrm0) may run as root.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set securityContext.runAsNonRoot: true and a non-zero runAsUser on the pod (enclavePodTemplate uses 65532).",
  configSchema: scopeOnlyConfig.schema,
  validateResource: forEnclaveContainers((container, pod, where, report) => {
    if (isVtpmAttester(container, pod)) return;
    const podContext = pod.spec.securityContext ?? {};
    const context = container.securityContext ?? {};
    const nonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
    const user = context.runAsUser ?? podContext.runAsUser;
    if (nonRoot !== true) report(`${where} does not set runAsNonRoot: true.`);
    else if (user === 0) report(`${where} sets runAsUser: 0 (root).`);
  }),
};

export const k8sEnclaveNoPrivilegeEscalation: CleanRoomResourcePolicy = {
  name: "k8s-enclave-no-privilege-escalation",
  description:
    "Enclave containers are not privileged and cannot gain privileges (allowPrivilegeEscalation: false); only the vTPM attester container (it mounts /dev/tpmrm0) may be privileged.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set securityContext.allowPrivilegeEscalation: false and privileged: false on every container, and drop all capabilities.",
  configSchema: scopeOnlyConfig.schema,
  validateResource: forEnclaveContainers((container, pod, where, report) => {
    if (isVtpmAttester(container, pod)) return;
    const context = container.securityContext ?? {};
    if (context.privileged === true) report(`${where} is privileged.`);
    if (context.allowPrivilegeEscalation !== false) report(`${where} does not set allowPrivilegeEscalation: false.`);
  }),
};

const hostAccessConfig = defineWorkloadConfig<{ allowedHostPathDevices: string[] }>({
  allowedHostPathDevices: stringList(
    "Character devices an enclave pod may mount with hostPath (type CharDevice). /dev/tpmrm0 is the vTPM that AzureAttestSKR attests and unwraps with on a confidential node.",
    ["/dev/tpmrm0"],
  ),
});

export const k8sEnclaveNoHostAccess: CleanRoomResourcePolicy = {
  name: "k8s-enclave-no-host-access",
  description:
    "Enclave pods mount nothing from the node except the allow-listed character devices (default: the vTPM /dev/tpmrm0) and /sys/kernel/security read-only (the TCG event log), and share no host namespace (network, PID, IPC).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    'Remove hostPath volumes and hostNetwork/hostPID/hostIPC; for the vTPM use hostPath { path: "/dev/tpmrm0", type: "CharDevice" } and hostPath { path: "/sys/kernel/security", type: "Directory" } mounted readOnly (EnclaveWorkload does).',
  configSchema: hostAccessConfig.schema,
  validateResource: forEnclavePods(hostAccessConfig, (pod, config, where, report) => {
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"] as const) {
      if (pod.spec[flag] === true) report(`${where} sets ${flag}: true.`);
    }
    const volumes: unknown = pod.spec.volumes;
    if (!Array.isArray(volumes)) return;
    for (const volume of volumes as Props[]) {
      const hostPath = volume.hostPath;
      if (!hostPath) continue;
      const path = hostPath.path;
      if (path === SECURITYFS) {
        // The TCG event log the guest attestation library sends: read-only, and only as a directory.
        const writable = containersOf(pod.spec).filter(({ container }) =>
          Array.isArray(container.volumeMounts) && (container.volumeMounts as Props[]).some((m) => m.name === volume.name && m.readOnly !== true),
        );
        if (hostPath.type !== "Directory") report(`${where} mounts ${SECURITYFS} (volume "${String(volume.name)}") without type "Directory".`);
        for (const { name } of writable) report(`${where} container "${name}" mounts ${SECURITYFS} writable; it must be readOnly: true.`);
        continue;
      }
      if (typeof path !== "string" || !config.allowedHostPathDevices.includes(path)) {
        report(`${where} mounts hostPath ${JSON.stringify(path ?? null)} (volume "${String(volume.name)}"); only ${config.allowedHostPathDevices.join(", ") || "no host path"} may be mounted.`);
      } else if (hostPath.type !== "CharDevice") {
        report(`${where} mounts ${path} (volume "${String(volume.name)}") without type "CharDevice"; anything but the device node at that path must be refused.`);
      }
    }
  }),
};

export const k8sEnclaveReadOnlyRootFilesystem: CleanRoomResourcePolicy = {
  name: "k8s-enclave-read-only-root-filesystem",
  description: "Enclave containers have a read-only root filesystem; decrypted data goes only to the memory-backed scratch volume.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir { medium: Memory } for scratch space.",
  configSchema: scopeOnlyConfig.schema,
  validateResource: forEnclaveContainers((container, _pod, where, report) => {
    if (container.securityContext?.readOnlyRootFilesystem !== true) report(`${where} does not set readOnlyRootFilesystem: true.`);
  }),
};

export const kubernetesPolicies = [
  k8sEnclavePinnedToConfidentialPool,
  k8sEnclaveImageDigest,
  k8sEnclaveNonRoot,
  k8sEnclaveNoPrivilegeEscalation,
  k8sEnclaveNoHostAccess,
  k8sEnclaveReadOnlyRootFilesystem,
];
