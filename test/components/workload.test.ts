import { describe, expect, it } from "vitest";
import { basename } from "node:path";
import { canonicalJson, contractHash, OUTPUT_CONTAINER_NAME } from "../../enclave-app/src/protocol/index.ts";
import { readConfig } from "../../enclave-app/src/runtime/config.ts";
import {
  AKS_SYSTEM_DAEMONSETS,
  BuiltInRoles,
  cleanRoomContract,
  EnclaveWorkload,
  enclaveJobName,
  podTemplateHash,
  validateEnclaveWorkloadArgs,
  verifyContractApprovals,
  type EnclaveWorkloadArgs,
  type VerifiedApprovals,
} from "../../components/index.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, K8sTypes, fakeGuid, roleGuid, setupPulumiMocks, valueOf } from "../helpers/pulumi.ts";
import { completeArgs, signAll } from "./fixtures.ts";

const mocks = setupPulumiMocks();
const contract = cleanRoomContract(completeArgs())!;
const hash = contractHash(contract);
const container = (name: string) =>
  `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/${name}`;
const KUBELET_CLIENT = fakeGuid("kubelet-client");
let approvals: VerifiedApprovals;

async function args(overrides: Partial<EnclaveWorkloadArgs> = {}): Promise<EnclaveWorkloadArgs> {
  approvals ??= await verifyContractApprovals(contract, await signAll(completeArgs()));
  return {
    kubeconfig: "{}",
    resourceGroupName: "rg-1",
    location: "westeurope",
    identityName: "fraud-overlap-workload",
    oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
    contract,
    approvals,
    storage: {
      blobEndpoint: "https://acct.blob.core.windows.net",
      inputContainerIds: { bank: container("input-bank"), insurer: container("input-insurer") },
      outputContainerName: "output",
      outputContainerId: container("output"),
    },
    mode: "confidential-node",
    kubeletIdentityClientId: KUBELET_CLIENT,
    ...overrides,
  };
}

const JOB_NAME = new RegExp(`^cleanroom-${hash.slice(0, 12)}-[0-9a-f]{12}-1$`);
const POLICY_TYPE = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const BINDING_TYPE = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

/** The Job name a workload gets with these overrides (fresh mocks, so names do not collide). */
async function jobNameWith(overrides: Partial<EnclaveWorkloadArgs>): Promise<string> {
  mocks.reset();
  const w = new EnclaveWorkload("n", await args(overrides));
  const name = await valueOf(w.jobName);
  await mocks.settle();
  return name;
}

function env(job: Record<string, any>): Record<string, string> {
  return Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
}

describe("EnclaveWorkload", () => {
  it("federates a user-assigned identity to the Job's service account", async () => {
    const w = new EnclaveWorkload("w", await args());
    await mocks.settle();
    expect(mocks.one(AzureTypes.identity, "w-identity").inputs.resourceName).toBe("fraud-overlap-workload");
    expect(mocks.one(AzureTypes.federatedCredential, "w-federation").inputs).toMatchObject({
      resourceName: "fraud-overlap-workload",
      issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
      subject: "system:serviceaccount:cleanroom:cleanroom-enclave",
      audiences: ["api://AzureADTokenExchange"],
    });
    const sa = mocks.one(K8sTypes.serviceAccount, "w-service-account").inputs;
    expect(sa.metadata).toMatchObject({ name: "cleanroom-enclave", namespace: "cleanroom" });
    expect(sa.metadata.annotations["azure.workload.identity/client-id"]).toBe(fakeGuid("client", DEFAULT_SUBSCRIPTION, "fraud-overlap-workload"));
    const jobName = await valueOf(w.jobName);
    expect(jobName).toMatch(JOB_NAME);
    expect(await valueOf(w.resultPrefix)).toBe(`output/${hash}/${jobName}/`);
  });

  it("lets the workload identity read each input container and write the output container, at container scope only", () => {
    const principal = fakeGuid("principal", DEFAULT_SUBSCRIPTION, "fraud-overlap-workload");
    const roles = mocks.all(AzureTypes.roleAssignment).map((r) => ({ principal: r.inputs.principalId, role: roleGuid(r.inputs.roleDefinitionId), scope: r.inputs.scope }));
    expect(roles).toEqual([
      { principal, role: BuiltInRoles.storageBlobDataReader, scope: container("input-bank") },
      { principal, role: BuiltInRoles.storageBlobDataReader, scope: container("input-insurer") },
      { principal, role: BuiltInRoles.storageBlobDataContributor, scope: container("output") },
    ]);
  });

  it("puts the canonical contract and the approvals in an immutable ConfigMap", async () => {
    const cm = mocks.one(K8sTypes.configMap, "w-contract").inputs;
    expect(cm.immutable).toBe(true);
    expect(cm.metadata.name).toBe(`cleanroom-contract-${hash.slice(0, 16)}`);
    expect(cm.data["contract.json"]).toBe(canonicalJson(contract));
    expect(JSON.parse(cm.data["approvals.json"])).toEqual({ ...(await args()).approvals.approvals });
  });

  it("runs a hardened Job on the confidential pool only, with the env and mounts the enclave reads", () => {
    const job = mocks.one(K8sTypes.job, "w-job").inputs;
    expect(job.metadata.name).toMatch(JOB_NAME);
    expect(job.metadata.annotations?.["pulumi.com/skipAwait"]).toBeUndefined();
    expect(job.metadata.annotations["pulumi.com/replaceUnready"]).toBe("true");
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 604800 });
    const pod = job.spec.template;
    expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
    const spec = pod.spec;
    expect(spec.serviceAccountName).toBe("cleanroom-enclave");
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.restartPolicy).toBe("Never");
    expect(spec.nodeSelector).toEqual({ "cleanroom.io/enclave": "true" });
    expect(spec.tolerations).toEqual([{ key: "cleanroom.io/enclave", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    // Root, as Microsoft's AKS CVM sample runs AzureAttestSKR (the securityfs event log is root-only).
    expect(spec.securityContext).toEqual({ runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: { type: "RuntimeDefault" } });
    const c = spec.containers[0];
    expect(c.image).toBe(contract.enclave.image);
    expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(c.securityContext).toEqual({
      privileged: true,
      allowPrivilegeEscalation: true,
      readOnlyRootFilesystem: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.resources).toEqual({ requests: { cpu: "3", memory: "10240Mi" }, limits: { cpu: "3", memory: "10240Mi" } });
    expect(env(job)).toEqual({
      CLEANROOM_CONTRACT: "/etc/cleanroom/contract.json",
      CLEANROOM_APPROVALS: "/etc/cleanroom/approvals.json",
      CLEANROOM_STORAGE_URL: "https://acct.blob.core.windows.net",
      CLEANROOM_OUTPUT_CONTAINER: "output",
      CLEANROOM_ATTESTER: "cvm-skr",
      CLEANROOM_MAA_ENDPOINT: contract.attestation.authority,
      CLEANROOM_SCRATCH_DIR: "/scratch",
      CLEANROOM_RUN_ID: job.metadata.name,
      CLEANROOM_MEMORY_LIMIT: "6144MB",
      CLEANROOM_THREADS: "3",
      CLEANROOM_IMAGE: contract.enclave.image,
      IMDS_CLIENT_ID: KUBELET_CLIENT,
    });
    const volumes = Object.fromEntries(spec.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes.contract.configMap.name).toBe(`cleanroom-contract-${hash.slice(0, 16)}`);
    expect(volumes.scratch.emptyDir).toEqual({ medium: "Memory", sizeLimit: "3072Mi" });
    expect(volumes.tmp.emptyDir).toEqual({ medium: "Memory", sizeLimit: "64Mi" });
    expect(volumes.tpm.hostPath).toEqual({ path: "/dev/tpmrm0", type: "CharDevice" });
    expect(volumes.securityfs.hostPath).toEqual({ path: "/sys/kernel/security", type: "Directory" });
    const mounts = Object.fromEntries(c.volumeMounts.map((m: { name: string }) => [m.name, m]));
    expect(mounts.contract).toMatchObject({ mountPath: "/etc/cleanroom", readOnly: true });
    expect(mounts.scratch.mountPath).toBe("/scratch");
    expect(mounts.tpm).toEqual({ name: "tpm", mountPath: "/dev/tpmrm0" });
    expect(mounts.securityfs).toEqual({ name: "securityfs", mountPath: "/sys/kernel/security", readOnly: true });
  });

  it("hands the runtime exactly what it reads: its config parses the Job's env, and the paths it names are the Job's mounts", () => {
    const job = mocks.one(K8sTypes.job, "w-job").inputs;
    const cm = mocks.one(K8sTypes.configMap, "w-contract").inputs;
    const c = job.spec.template.spec.containers[0];
    const config = readConfig(env(job));
    expect(config).toMatchObject({ attester: "cvm-skr", runId: job.metadata.name, enclaveImage: contract.enclave.image, imdsClientId: KUBELET_CLIENT });
    const mountOf = (path: string) => c.volumeMounts.find((m: { mountPath: string }) => path === m.mountPath || path.startsWith(`${m.mountPath}/`));
    for (const file of [config.contractPath, config.approvalsPath]) {
      expect(mountOf(file)).toMatchObject({ name: "contract", readOnly: true });
      expect(Object.keys(cm.data)).toContain(basename(file));
    }
    expect(mountOf(config.scratchDir)).toMatchObject({ name: "scratch" });
    expect(config.outputContainer).toBe(OUTPUT_CONTAINER_NAME);
  });

  it("allows no ingress and only DNS, public HTTPS and IMDS egress", () => {
    const np = mocks.one(K8sTypes.networkPolicy, "w-network-policy").inputs;
    expect(np.spec.podSelector).toEqual({ matchLabels: { "app.kubernetes.io/name": "cleanroom-enclave" } });
    expect(np.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(np.spec.ingress).toEqual([]);
    const ports = np.spec.egress.map((e: { ports: { protocol: string; port: number }[] }) => e.ports.map((p) => `${p.protocol}/${p.port}`).join(","));
    expect(ports).toEqual(["UDP/53,TCP/53", "TCP/443", "TCP/80"]);
    expect(np.spec.egress[1].to[0].ipBlock.except).toEqual(expect.arrayContaining(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"]));
    expect(np.spec.egress[2].to).toEqual([{ ipBlock: { cidr: "169.254.169.254/32" } }]);
  });

  it("talks to the cluster through a provider built from the kubeconfig, with Pod Security labels on the namespace", () => {
    const provider = mocks.one(K8sTypes.provider, "w-k8s");
    expect(provider.inputs.kubeconfig).toBe("{}");
    for (const type of [K8sTypes.namespace, K8sTypes.serviceAccount, K8sTypes.configMap, K8sTypes.job, K8sTypes.networkPolicy, POLICY_TYPE, BINDING_TYPE]) {
      for (const r of mocks.all(type)) expect(r.provider, `${type} ${r.name}`).toMatch(/pulumi:providers:kubernetes::w-k8s::/);
    }
    const ns = mocks.one(K8sTypes.namespace, "w-namespace").inputs.metadata;
    expect(ns.labels).toEqual({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
  });

  it("admits on the enclave pool only pods whose every image is the pinned enclave image, plus AKS's system DaemonSets", () => {
    const policy = mocks.one(POLICY_TYPE, "w-enclave-admission").inputs;
    expect(policy.metadata.name).toBe("cleanroom-enclave-pool-images");
    expect(policy.spec.failurePolicy).toBe("Fail");
    expect(policy.spec.matchConstraints.resourceRules).toEqual([
      { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods", "pods/ephemeralcontainers"] },
    ]);
    const [match] = policy.spec.matchConditions;
    expect(match.name).toBe("targets-enclave-pool");
    expect(match.expression).toContain('t.key == "cleanroom.io/enclave"');
    expect(match.expression).toContain('t.operator == "Exists"');
    expect(match.expression).toContain('object.spec.nodeName.startsWith("aks-enclave-")');
    const variables = Object.fromEntries(policy.spec.variables.map((v: { name: string; expression: string }) => [v.name, v.expression]));
    for (const field of ["containers", "initContainers", "ephemeralContainers"]) expect(variables.images).toContain(`object.spec.${field}`);
    expect(variables.systemDaemonSet).toContain('request.namespace == "kube-system"');
    expect(variables.systemDaemonSet).toContain('r.kind == "DaemonSet"');
    for (const ds of AKS_SYSTEM_DAEMONSETS) expect(variables.systemDaemonSet).toContain(`"${ds}"`);
    const [validation] = policy.spec.validations;
    expect(validation.expression).toContain(`variables.images.all(i, i == "${contract.enclave.image}")`);
    expect(validation.expression).toContain('i.startsWith("mcr.microsoft.com/")');
    expect(validation.message).toContain(contract.enclave.image);
    const binding = mocks.one(BINDING_TYPE, "w-enclave-admission-binding").inputs;
    expect(binding.spec).toEqual({ policyName: "cleanroom-enclave-pool-images", validationActions: ["Deny"] });
  });

  it("names the Job after its whole pod template and the run attempt", async () => {
    const base = await jobNameWith({});
    expect(base).toMatch(JOB_NAME);
    expect(await jobNameWith({})).toBe(base);
    const changed = [
      await jobNameWith({ attempt: 2 }),
      await jobNameWith({ resources: { cpu: "2" } }),
      await jobNameWith({ resources: { scratchMiB: 2048 } }),
      await jobNameWith({ kubeletIdentityClientId: fakeGuid("other-kubelet") }),
      await jobNameWith({ storage: { ...(await args()).storage, blobEndpoint: "https://other.blob.core.windows.net" } }),
    ];
    expect(changed[0]).toBe(base.replace(/-1$/, "-2"));
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
    // The pool name shapes the admission policy, not the pod: same template, same name.
    expect(await jobNameWith({ enclavePoolName: "tee" })).toBe(base);
    expect(mocks.one(POLICY_TYPE, "n-enclave-admission").inputs.spec.matchConditions[0].expression).toContain('startsWith("aks-tee-")');
  });

  it("hashes any change of the pod template", () => {
    const template = { spec: { containers: [{ name: "enclave", image: "a" }] } };
    expect(podTemplateHash(template)).toBe(podTemplateHash(structuredClone(template)));
    expect(podTemplateHash(template)).not.toBe(podTemplateHash({ spec: { containers: [{ name: "enclave", image: "b" }] } }));
    expect(enclaveJobName("a".repeat(64), "b".repeat(64))).toBe(`cleanroom-${"a".repeat(12)}-${"b".repeat(12)}-1`);
    expect(enclaveJobName("a".repeat(64), "b".repeat(64), 9999).length).toBeLessThanOrEqual(63);
  });

  it("refuses approvals that were not verified, unpinned images, other modes and impossible memory budgets", async () => {
    const good = await args();
    const forged = { ...good.approvals };
    const issues = validateEnclaveWorkloadArgs({
      ...good,
      approvals: forged,
      contract: { ...contract, enclave: { image: "ghcr.io/example/enclave:latest" } },
      mode: "confidential-container",
      resources: { memoryMiB: 2048, scratchMiB: 1024 },
      attempt: 0,
      enclavePoolName: "Enclave",
    });
    expect(issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual([
      "approvals:approvals-not-verified",
      "attempt:range",
      "contract.enclave.image:image-not-pinned",
      "enclavePoolName:agent-pool-name",
      "mode:isolation-mode-not-provisioned",
      "resources.memoryMiB:memory-budget",
    ]);
    expect(validateEnclaveWorkloadArgs({ ...good, attempt: 1.5 }).map((i) => `${i.path}:${i.rule}`)).toEqual(["attempt:range"]);
    expect(() => new EnclaveWorkload("forged", { ...good, approvals: forged })).toThrow(/approvals-not-verified/);
  });
});
