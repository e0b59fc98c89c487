// Where the pod template sits in each Kubernetes workload kind, and which workloads count as the
// enclave's: those in the enclave namespaces, or whose pods carry the enclave app label (so a
// renamed namespace does not silently take the Job out of scope).
import { defineConfig, stringList, type ConfigProperty, type Props } from "./policy.ts";
import { parseLabelSelector } from "./props.ts";
import { KubernetesTypes } from "./resource-types.ts";

export const WORKLOAD_TYPES: readonly string[] = [
  KubernetesTypes.pod,
  KubernetesTypes.job,
  KubernetesTypes.cronJob,
  KubernetesTypes.deployment,
  KubernetesTypes.statefulSet,
  KubernetesTypes.daemonSet,
  KubernetesTypes.replicaSet,
  KubernetesTypes.replicationController,
];

export interface PodTemplate {
  namespace: string;
  labels: Props;
  spec: Props;
}

/** The pod template of a workload's props, or undefined when there is none (yet). */
export function podTemplateOf(type: string, props: Props): PodTemplate | undefined {
  const namespace = typeof props.metadata?.namespace === "string" && props.metadata.namespace !== "" ? props.metadata.namespace : "default";
  let template: Props | undefined;
  if (type === KubernetesTypes.pod) template = { metadata: props.metadata, spec: props.spec };
  else if (type === KubernetesTypes.cronJob) template = props.spec?.jobTemplate?.spec?.template;
  else template = props.spec?.template;
  if (!template?.spec) return undefined;
  return { namespace, labels: template.metadata?.labels ?? {}, spec: template.spec };
}

export interface ContainerRef {
  kind: "container" | "initContainer" | "ephemeralContainer";
  name: string;
  container: Props;
}

export function containersOf(spec: Props): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const [kind, key] of [
    ["container", "containers"],
    ["initContainer", "initContainers"],
    ["ephemeralContainer", "ephemeralContainers"],
  ] as const) {
    const list: unknown = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list as Props[]) out.push({ kind, name: String(c.name ?? "?"), container: c });
  }
  return out;
}

export interface EnclaveScopeConfig {
  enclaveNamespaces: string[];
  enclavePodLabel: string;
}

export const enclaveScopeProperties: { [K in keyof EnclaveScopeConfig]: ConfigProperty<EnclaveScopeConfig[K]> } = {
  enclaveNamespaces: stringList("Namespaces whose workloads are the enclave's.", ["cleanroom"]),
  enclavePodLabel: {
    type: "string",
    default: "app.kubernetes.io/name=cleanroom-enclave",
    description: "Pod label (key=value) that marks an enclave pod in any namespace.",
  },
};

export function isEnclaveWorkload(pod: PodTemplate, config: EnclaveScopeConfig): boolean {
  if (config.enclaveNamespaces.includes(pod.namespace)) return true;
  const label = parseLabelSelector(config.enclavePodLabel);
  return typeof pod.labels === "object" && pod.labels !== null && label.key in pod.labels && (label.value === undefined || pod.labels[label.key] === label.value);
}

/** Config of a Kubernetes policy: the enclave scope plus its own properties. */
export function defineWorkloadConfig<T extends object>(own: { [K in keyof T]: ConfigProperty<T[K]> }) {
  return defineConfig<EnclaveScopeConfig & T>({ ...enclaveScopeProperties, ...own } as {
    [K in keyof (EnclaveScopeConfig & T)]: ConfigProperty<(EnclaveScopeConfig & T)[K]>;
  });
}
