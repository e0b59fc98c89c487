import { describe, expect, it } from "vitest";
import { canonicalJson, contractHash } from "../../enclave-app/src/protocol/index.ts";
import {
  BuiltInRoles,
  cleanRoomContract,
  EnclaveWorkload,
  enclaveJobName,
  validateEnclaveWorkloadArgs,
  verifyContractApprovals,
  type EnclaveWorkloadArgs,
  type VerifiedApprovals,
} from "../../components/index.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, K8sTypes, fakeGuid, roleGuid, setupPulumiMocks } from "../helpers/pulumi.ts";
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
    tpm: { mode: "hostPath", groupId: 113 },
    ...overrides,
  };
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
    expect(w.jobName).toBe(`cleanroom-${hash.slice(0, 16)}`);
    expect(w.resultPrefix).toBe(`output/${hash}/${w.jobName}/`);
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
    expect(job.metadata.name).toBe(`cleanroom-${hash.slice(0, 16)}`);
    expect(job.metadata.annotations?.["pulumi.com/skipAwait"]).toBeUndefined();
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 604800 });
    const pod = job.spec.template;
    expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
    const spec = pod.spec;
    expect(spec.serviceAccountName).toBe("cleanroom-enclave");
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.restartPolicy).toBe("Never");
    expect(spec.nodeSelector).toEqual({ "cleanroom.io/enclave": "true" });
    expect(spec.tolerations).toEqual([{ key: "cleanroom.io/enclave", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, supplementalGroups: [113], seccompProfile: { type: "RuntimeDefault" } });
    const c = spec.containers[0];
    expect(c.image).toBe(contract.enclave.image);
    expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
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
      CLEANROOM_RUN_ID: `cleanroom-${hash.slice(0, 16)}`,
      CLEANROOM_MEMORY_LIMIT: "6144MB",
      CLEANROOM_THREADS: "3",
      CLEANROOM_IMAGE: contract.enclave.image,
      IMDS_CLIENT_ID: KUBELET_CLIENT,
    });
    const volumes = Object.fromEntries(spec.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes.contract.configMap.name).toBe(`cleanroom-contract-${hash.slice(0, 16)}`);
    expect(volumes.scratch.emptyDir).toEqual({ medium: "Memory", sizeLimit: "3072Mi" });
    expect(volumes.tpm.hostPath).toEqual({ path: "/dev/tpmrm0", type: "CharDevice" });
    const mounts = Object.fromEntries(c.volumeMounts.map((m: { name: string }) => [m.name, m]));
    expect(mounts.contract).toMatchObject({ mountPath: "/etc/cleanroom", readOnly: true });
    expect(mounts.scratch.mountPath).toBe("/scratch");
    expect(mounts.tpm.mountPath).toBe("/dev/tpmrm0");
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
    for (const type of [K8sTypes.namespace, K8sTypes.serviceAccount, K8sTypes.configMap, K8sTypes.job, K8sTypes.networkPolicy]) {
      for (const r of mocks.all(type)) expect(r.provider, `${type} ${r.name}`).toMatch(/pulumi:providers:kubernetes::w-k8s::/);
    }
    const ns = mocks.one(K8sTypes.namespace, "w-namespace").inputs.metadata;
    expect(ns.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "restricted" });
  });

  it("requests a device-plugin resource instead of a hostPath in devicePlugin mode, and enforces the restricted profile", async () => {
    mocks.reset();
    new EnclaveWorkload("d", await args({ tpm: { mode: "devicePlugin", groupId: 113, resourceName: "squat.ai/tpmrm0" }, runSuffix: "rerun1" }));
    await mocks.settle();
    const job = mocks.one(K8sTypes.job, "d-job").inputs;
    expect(job.metadata.name).toBe(`cleanroom-${hash.slice(0, 16)}-rerun1`);
    expect(job.spec.template.spec.containers[0].resources.limits["squat.ai/tpmrm0"]).toBe("1");
    expect(job.spec.template.spec.volumes.map((v: { name: string }) => v.name)).not.toContain("tpm");
    expect(mocks.one(K8sTypes.namespace, "d-namespace").inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("refuses approvals that were not verified, unpinned images, other modes and impossible memory budgets", async () => {
    const good = await args();
    const forged = { ...good.approvals };
    const issues = validateEnclaveWorkloadArgs({
      ...good,
      approvals: forged,
      contract: { ...contract, enclave: { image: "ghcr.io/example/enclave:latest" } },
      mode: "confidential-container",
      tpm: { mode: "hostPath", groupId: 0 },
      resources: { memoryMiB: 2048, scratchMiB: 1024 },
      runSuffix: "Bad Suffix",
    });
    expect(issues.map((i) => `${i.path}:${i.rule}`).sort()).toEqual([
      "approvals:approvals-not-verified",
      "contract.enclave.image:image-not-pinned",
      "mode:isolation-mode-not-provisioned",
      "resources.memoryMiB:memory-budget",
      "runSuffix:k8s-name",
      "tpm.groupId:gid",
    ]);
    expect(validateEnclaveWorkloadArgs({ ...good, tpm: undefined }).map((i) => i.rule)).toEqual(["required"]);
    expect(() => new EnclaveWorkload("forged", { ...good, approvals: forged })).toThrow(/approvals-not-verified/);
    expect(enclaveJobName("f".repeat(64))).toMatch(/^cleanroom-f{16}$/);
  });
});
