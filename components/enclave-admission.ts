// Admission on the confidential pool. On confidential nodes the TEE is the node VM: anything scheduled
// there can use the kubelet identity and the vTPM, so a released key is released to every pod on the
// node (AKS docs, use-cvm.md). The taint keeps ordinary pods off; this ValidatingAdmissionPolicy also
// refuses any pod that could land there (tolerates the enclave taint, or is bound to an enclave node by
// name) unless every image it runs is the enclave image every party approved. AKS's own node DaemonSets
// are the one exception. Plain data, built here so it can be read and tested as a spec.
import type * as k8s from "@pulumi/kubernetes";
import { ENCLAVE_TAINT } from "./cluster.ts";

export const ENCLAVE_ADMISSION_POLICY_NAME = "cleanroom-enclave-pool-images";

/**
 * DaemonSets in kube-system that AKS itself runs on every Linux node, user pools included, for this
 * cluster's configuration (Azure CNI overlay with Cilium or Azure NPM, the default CSI drivers, no
 * monitoring add-on). Their pods tolerate every taint, so without this list an enclave node would never
 * become Ready for networking or storage. Their images must still come from mcr.microsoft.com. Enabling
 * another add-on that runs a DaemonSet (e.g. Container Insights' ama-logs) means adding it here; until
 * then its pods are refused on the enclave pool only.
 */
export const AKS_SYSTEM_DAEMONSETS = [
  "azure-cns",
  "azure-ip-masq-agent",
  "azure-npm",
  "cilium",
  "cloud-node-manager",
  "csi-azuredisk-node",
  "csi-azurefile-node",
  "kube-proxy",
] as const;

const SYSTEM_IMAGE_REGISTRY = "mcr.microsoft.com/";

/** CEL string literal (JSON string syntax is valid CEL for the characters an image or a name can hold). */
const cel = (s: string): string => JSON.stringify(s);

/**
 * Pods that can reach the enclave pool: they tolerate the enclave taint (by key, or with a keyless
 * Exists that tolerates every taint), or name an enclave node directly (spec.nodeName skips the scheduler
 * and with it the NoSchedule taint). AKS names nodes aks-<pool>-<n>-vmss<suffix>.
 */
export function targetsEnclavePoolExpression(enclavePoolName: string): string {
  const tolerates =
    `has(object.spec.tolerations) && object.spec.tolerations.exists(t, ` +
    `(has(t.key) && t.key == ${cel(ENCLAVE_TAINT.key)}) || ` +
    `((!has(t.key) || t.key == "") && has(t.operator) && t.operator == "Exists"))`;
  const bound = `has(object.spec.nodeName) && object.spec.nodeName.startsWith(${cel(`aks-${enclavePoolName}-`)})`;
  return `(${tolerates}) || (${bound})`;
}

const IMAGES_EXPRESSION =
  "object.spec.containers.map(c, c.image)" +
  " + (has(object.spec.initContainers) ? object.spec.initContainers.map(c, c.image) : [])" +
  " + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers.map(c, c.image) : [])";

const SYSTEM_DAEMONSET_EXPRESSION =
  `request.namespace == "kube-system" && has(object.metadata.ownerReferences) && ` +
  `object.metadata.ownerReferences.exists(r, r.apiVersion == "apps/v1" && r.kind == "DaemonSet" && ` +
  `r.name in [${AKS_SYSTEM_DAEMONSETS.map(cel).join(", ")}])`;

export function enclaveAdmissionPolicySpec(opts: {
  enclaveImage: string;
  enclavePoolName: string;
}): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec {
  return {
    failurePolicy: "Fail",
    matchConstraints: {
      resourceRules: [
        // pods/ephemeralcontainers: `kubectl debug` adds containers to a running pod through it.
        { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods", "pods/ephemeralcontainers"] },
      ],
    },
    matchConditions: [{ name: "targets-enclave-pool", expression: targetsEnclavePoolExpression(opts.enclavePoolName) }],
    variables: [
      { name: "images", expression: IMAGES_EXPRESSION },
      { name: "systemDaemonSet", expression: SYSTEM_DAEMONSET_EXPRESSION },
    ],
    validations: [
      {
        expression:
          `variables.systemDaemonSet ? variables.images.all(i, i.startsWith(${cel(SYSTEM_IMAGE_REGISTRY)})) ` +
          `: variables.images.all(i, i == ${cel(opts.enclaveImage)})`,
        message: `on the enclave pool every container image must be the approved enclave image ${opts.enclaveImage} (AKS system DaemonSets in kube-system excepted)`,
        reason: "Forbidden",
      },
    ],
  };
}

export function enclaveAdmissionBindingSpec(): k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec {
  return { policyName: ENCLAVE_ADMISSION_POLICY_NAME, validationActions: ["Deny"] };
}
