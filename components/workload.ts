// The enclave run: a Kubernetes Job on the confidential pool, with its own user-assigned identity
// federated to the Job's service account (reads inputs, writes outputs), the approved contract and
// approvals in an immutable ConfigMap, and a NetworkPolicy. Pulumi's Kubernetes provider awaits the
// Job's completion, so `pulumi up` ends when the computation has ended; the Job's name carries the
// contract hash, so a new contract means a new run.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import { canonicalJson, contractHash, pinnedImageProblem, sameAuthority, sha256Hex, type Contract, type IsolationMode } from "../enclave-app/src/protocol/index.ts";
import { isVerifiedFor, type VerifiedApprovals } from "./approvals.ts";
import { enclaveAdmissionBindingSpec, enclaveAdmissionPolicySpec, ENCLAVE_ADMISSION_POLICY_NAME } from "./enclave-admission.ts";
import { NAME_RULES } from "./naming.ts";
import { roleDefinitionIdForScope } from "./roles.ts";
import { DeploymentMismatchError, IssueList, isInteger, throwIfIssues, type ValidationIssue } from "./validation.ts";
import {
  DEFAULT_RESOURCES,
  enclaveNetworkPolicySpec,
  enclavePodTemplate,
  RUNTIME_OVERHEAD_MIB,
  type EnclavePodOptions,
  type EnclaveResources,
} from "./workload-spec.ts";

export const ENCLAVE_WORKLOAD_TYPE = "cleanroom:index:EnclaveWorkload";
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";

export interface WorkloadStorage {
  /** https://<account>.blob.core.windows.net */
  blobEndpoint: string;
  /** Party name -> input container resource id (the workload identity gets Storage Blob Data Reader on each). */
  inputContainerIds: Record<string, pulumi.Input<string>>;
  outputContainerName: string;
  /** The workload identity gets Storage Blob Data Contributor on it. */
  outputContainerId: pulumi.Input<string>;
}

/**
 * The enclave identity's storage roles, the same in both isolation modes: Storage Blob Data Reader on
 * each input container it reads, Storage Blob Data Contributor on the output container only.
 */
export function enclaveStorageGrants(
  name: string,
  principalId: pulumi.Input<string>,
  storage: WorkloadStorage,
  parent: pulumi.Resource,
): authorization.RoleAssignment[] {
  const reads = Object.entries(storage.inputContainerIds).map(
    ([party, containerId]) =>
      new authorization.RoleAssignment(
        `${name}-reads-${party}`,
        {
          principalId,
          principalType: "ServicePrincipal",
          roleDefinitionId: pulumi.output(containerId).apply((s) => roleDefinitionIdForScope(s, "storageBlobDataReader")),
          scope: containerId,
          description: `clean room enclave reads ${party}'s encrypted inputs`,
        },
        { parent },
      ),
  );
  const writes = new authorization.RoleAssignment(
    `${name}-writes-output`,
    {
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: pulumi.output(storage.outputContainerId).apply((s) => roleDefinitionIdForScope(s, "storageBlobDataContributor")),
      scope: storage.outputContainerId,
      description: "clean room enclave writes encrypted results and receipts",
    },
    { parent },
  );
  return [...reads, writes];
}

export interface EnclaveWorkloadArgs {
  kubeconfig: pulumi.Input<string>;
  resourceGroupName: pulumi.Input<string>;
  location: string;
  /** Name of the user-assigned workload identity. */
  identityName: string;
  /** The cluster's OIDC issuer URL (ManagedCluster oidcIssuerProfile.issuerURL). */
  oidcIssuerUrl: pulumi.Input<string>;
  contract: Contract;
  /** From verifyContractApprovals(contract, approvals): proof that every dataset owner signed this contract. */
  approvals: VerifiedApprovals;
  storage: WorkloadStorage;
  /** Only "confidential-node" is provisioned. */
  mode: IsolationMode;
  /** The live attestation endpoint: when given, the Job is created only once it equals contract.attestation.authority. */
  attestationEndpoint?: pulumi.Input<string>;
  /** Client id of the kubelet identity (IMDS_CLIENT_ID for AzureAttestSKR). */
  kubeletIdentityClientId: pulumi.Input<string>;
  /** The confidential agent pool's name (default "enclave"): the admission policy recognises its nodes by it. */
  enclavePoolName?: string;
  namespace?: string;
  resources?: Partial<EnclaveResources>;
  /** Default 3600. Counts from Job creation, so it includes waiting for a confidential node. */
  activeDeadlineSeconds?: number;
  /** Default 1. */
  backoffLimit?: number;
  /** Default 604800 (7 days). */
  ttlSecondsAfterFinished?: number;
  /** Run attempt, default 1: bump it to run the same contract and template again under a new Job name. */
  attempt?: number;
  tags?: Record<string, string>;
}

export const MAX_ATTEMPT = 9999;

/**
 * cleanroom-<contract hash, 12 hex>-<pod template hash, 12 hex>-<attempt>. The template hash covers the
 * whole pod template as it will be sent (with the name itself left out, since the run id inside the pod
 * is this name), so a changed template never reuses a name, and with it never re-runs into the output
 * prefix of an earlier run. At most 40 characters, within the 63 of the job-name label.
 */
export function enclaveJobName(contractHashHex: string, templateHashHex: string, attempt = 1): string {
  return `cleanroom-${contractHashHex.slice(0, 12)}-${templateHashHex.slice(0, 12)}-${attempt}`;
}

/** sha256 of the canonical JSON of a resolved pod template. */
export function podTemplateHash(template: unknown): string {
  return sha256Hex(canonicalJson(template));
}

export function validateEnclaveWorkloadArgs(args: EnclaveWorkloadArgs): ValidationIssue[] {
  const out = new IssueList();
  const image = pinnedImageProblem(args.contract.enclave.image);
  if (image) out.add("contract.enclave.image", "image-not-pinned", image);
  if (!isVerifiedFor(args.approvals, args.contract)) {
    out.add(
      "approvals",
      "approvals-not-verified",
      "must come from verifyContractApprovals() for this exact contract; the workload never runs on unverified approvals",
    );
  }
  if (args.mode !== "confidential-node") {
    out.add("mode", "isolation-mode-not-provisioned", `"${String(args.mode)}" is not provisioned; only confidential-node runs on this cluster`);
  }
  const namespace = args.namespace ?? "cleanroom";
  if (!NAME_RULES.k8sLabel.test(namespace)) out.add("namespace", "k8s-name", `"${namespace}" is not a Kubernetes namespace name`);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/.test(args.identityName)) {
    out.add("identityName", "name-format", `"${args.identityName}" must be 3-128 letters, digits, hyphens and underscores`);
  }
  if (args.enclavePoolName !== undefined && !NAME_RULES.agentPool.test(args.enclavePoolName)) {
    out.add("enclavePoolName", "agent-pool-name", `"${args.enclavePoolName}" must match ^[a-z][a-z0-9]{0,11}$ (AKS Linux pool names)`);
  }
  const r = { ...DEFAULT_RESOURCES, ...args.resources };
  if (!/^\d+(\.\d+)?$|^\d+m$/.test(r.cpu)) out.add("resources.cpu", "quantity", `"${r.cpu}" is not a CPU quantity (e.g. "3" or "3500m")`);
  if (!isInteger(r.memoryMiB) || r.memoryMiB < 1024) out.add("resources.memoryMiB", "range", `must be an integer >= 1024; got ${String(r.memoryMiB)}`);
  if (!isInteger(r.scratchMiB) || r.scratchMiB < 64) out.add("resources.scratchMiB", "range", `must be an integer >= 64; got ${String(r.scratchMiB)}`);
  if (isInteger(r.memoryMiB) && isInteger(r.scratchMiB) && r.memoryMiB - r.scratchMiB - RUNTIME_OVERHEAD_MIB < 512) {
    out.add(
      "resources.memoryMiB",
      "memory-budget",
      `memoryMiB ${r.memoryMiB} leaves less than 512 MiB for DuckDB after ${r.scratchMiB} MiB of in-memory scratch and ${RUNTIME_OVERHEAD_MIB} MiB runtime overhead`,
    );
  }
  const positive = (path: string, v: number | undefined, min: number, max: number) => {
    if (v !== undefined && (!isInteger(v) || v < min || v > max)) out.add(path, "range", `must be an integer ${min}..${max}; got ${String(v)}`);
  };
  positive("activeDeadlineSeconds", args.activeDeadlineSeconds, 60, 7 * 24 * 3600);
  positive("backoffLimit", args.backoffLimit, 0, 6);
  positive("ttlSecondsAfterFinished", args.ttlSecondsAfterFinished, 0, 90 * 24 * 3600);
  positive("attempt", args.attempt, 1, MAX_ATTEMPT);
  for (const [party] of Object.entries(args.storage.inputContainerIds)) {
    if (!args.contract.datasets.some((d) => d.owner === party) && !args.contract.parties.some((p) => p.name === party)) {
      out.add(`storage.inputContainerIds.${party}`, "unknown-party", `"${party}" is not a party of the contract`);
    }
  }
  return out.items;
}

export class EnclaveWorkload extends pulumi.ComponentResource {
  /** Known once the pod template's inputs are (see enclaveJobName). */
  readonly jobName: pulumi.Output<string>;
  readonly namespace: string;
  readonly contractHash: string;
  readonly identityClientId: pulumi.Output<string>;
  readonly identityPrincipalId: pulumi.Output<string>;
  /** <output container>/<contract hash>/<job name>/ */
  readonly resultPrefix: pulumi.Output<string>;

  constructor(name: string, args: EnclaveWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ENCLAVE_WORKLOAD_TYPE, name, {}, opts);
    throwIfIssues(`EnclaveWorkload "${name}"`, validateEnclaveWorkloadArgs(args), this);

    const hash = contractHash(args.contract);
    this.contractHash = hash;
    this.namespace = args.namespace ?? "cleanroom";
    const resources: EnclaveResources = { ...DEFAULT_RESOURCES, ...args.resources };
    const activeDeadlineSeconds = args.activeDeadlineSeconds ?? 3600;
    const serviceAccountName = "cleanroom-enclave";

    // Azure side: the identity the enclave reads and writes storage as.
    const identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.identityName, tags: args.tags },
      { parent: this },
    );
    const federation = new managedidentity.FederatedIdentityCredential(
      `${name}-federation`,
      {
        resourceGroupName: args.resourceGroupName,
        resourceName: identity.name,
        federatedIdentityCredentialResourceName: `${args.identityName}-${this.namespace}`,
        issuer: args.oidcIssuerUrl,
        subject: `system:serviceaccount:${this.namespace}:${serviceAccountName}`,
        audiences: [WORKLOAD_IDENTITY_AUDIENCE],
      },
      { parent: this },
    );
    const storageGrants = enclaveStorageGrants(name, identity.principalId, args.storage, this);

    // Kubernetes side.
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: args.kubeconfig }, { parent: this });
    const k8sOpts = { parent: this, provider };
    // Pod Security must enforce "privileged": the enclave container is privileged and mounts the vTPM and
    // securityfs by hostPath (the only way a container can use /dev/tpmrm0, see workload-spec.ts), which
    // both "baseline" and "restricted" forbid. warn/audit stay "restricted" so the deviation stays visible;
    // the admission policy below limits what may run on the enclave pool instead.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: this.namespace,
          labels: {
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
          },
        },
      },
      k8sOpts,
    );
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-service-account`,
      {
        metadata: {
          name: serviceAccountName,
          namespace: namespace.metadata.name,
          annotations: { "azure.workload.identity/client-id": identity.clientId },
        },
        automountServiceAccountToken: false,
      },
      k8sOpts,
    );
    const configMapName = `cleanroom-contract-${hash.slice(0, 16)}`;
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-contract`,
      {
        metadata: { name: configMapName, namespace: namespace.metadata.name },
        immutable: true,
        data: {
          "contract.json": canonicalJson(args.contract),
          "approvals.json": canonicalJson(args.approvals.approvals),
        },
      },
      k8sOpts,
    );
    const networkPolicy = new k8s.networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      {
        metadata: { name: "cleanroom-enclave", namespace: namespace.metadata.name },
        spec: enclaveNetworkPolicySpec({ imds: args.mode === "confidential-node" }),
      },
      k8sOpts,
    );

    const pinned = args.contract.attestation.authority;
    const attestationEndpoint = pulumi.output(args.attestationEndpoint ?? pinned).apply((live) => {
      if (!sameAuthority(live, pinned)) {
        throw new DeploymentMismatchError(`the attestation endpoint is "${live}" but the approved contract pins "${pinned}"; the enclave job was not created`);
      }
      return pinned;
    });
    const admission = this.admissionPolicy(name, args, k8sOpts);

    const podOptions = (jobName: string): EnclavePodOptions => ({
      image: args.contract.enclave.image,
      serviceAccountName,
      configMapName,
      jobName,
      contractHash: hash,
      storageUrl: args.storage.blobEndpoint,
      outputContainer: args.storage.outputContainerName,
      attestationEndpoint,
      attester: "cvm-skr",
      imdsClientId: args.mode === "confidential-node" ? args.kubeletIdentityClientId : undefined,
      resources,
    });
    // The name is derived from the template with an empty name; the template sent then carries that name.
    this.jobName = pulumi
      .output(enclavePodTemplate(podOptions("")))
      .apply((resolved) => enclaveJobName(hash, podTemplateHash(resolved), args.attempt ?? 1));
    this.resultPrefix = pulumi.interpolate`${args.storage.outputContainerName}/${hash}/${this.jobName}/`;

    new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: this.jobName,
          namespace: namespace.metadata.name,
          labels: { "app.kubernetes.io/name": "cleanroom-enclave", "app.kubernetes.io/part-of": "confidential-clean-room" },
          annotations: {
            "cleanroom.io/contract-hash": hash,
            "cleanroom.io/collaboration": args.contract.collaboration,
            // A Job that failed (or timed out) is replaced on the next pulumi up instead of being awaited
            // forever. The replacement keeps the name unless template or attempt changed, which is safe:
            // a failed run writes nothing to its output prefix (results only on success, receipt last).
            "pulumi.com/replaceUnready": "true",
          },
        },
        spec: {
          backoffLimit: args.backoffLimit ?? 1,
          activeDeadlineSeconds,
          ttlSecondsAfterFinished: args.ttlSecondsAfterFinished ?? 7 * 24 * 3600,
          completions: 1,
          parallelism: 1,
          template: this.jobName.apply((jobName) => enclavePodTemplate(podOptions(jobName))),
        },
      },
      {
        ...k8sOpts,
        dependsOn: [serviceAccount, configMap, networkPolicy, federation, ...storageGrants, ...admission],
        // The provider waits for the Job to complete; allow the whole deadline plus node scale-up.
        customTimeouts: { create: `${activeDeadlineSeconds + 900}s`, update: `${activeDeadlineSeconds + 900}s` },
      },
    );

    this.identityClientId = identity.clientId;
    this.identityPrincipalId = identity.principalId;
    this.registerOutputs({
      jobName: this.jobName,
      namespace: this.namespace,
      contractHash: this.contractHash,
      identityClientId: this.identityClientId,
      resultPrefix: this.resultPrefix,
    });
  }

  /** Only the approved enclave image (and AKS's node DaemonSets) may run on the enclave pool; see enclave-admission.ts. */
  private admissionPolicy(name: string, args: EnclaveWorkloadArgs, k8sOpts: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-enclave-admission`,
      {
        metadata: { name: ENCLAVE_ADMISSION_POLICY_NAME },
        spec: enclaveAdmissionPolicySpec({ enclaveImage: args.contract.enclave.image, enclavePoolName: args.enclavePoolName ?? "enclave" }),
      },
      k8sOpts,
    );
    const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-enclave-admission-binding`,
      { metadata: { name: ENCLAVE_ADMISSION_POLICY_NAME }, spec: enclaveAdmissionBindingSpec() },
      { ...k8sOpts, dependsOn: [policy] },
    );
    return [policy, binding];
  }
}
