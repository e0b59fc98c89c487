// Realistic resource props for the policy tests: what the components register for the
// fraud-bank-insurer example (trimmed to the security-relevant fields), plus helpers to change one
// field and to run a policy the way the engine does (through the review's engine emulation).
import { unknownValue } from "@pulumi/pulumi/runtime/rpc.js";
import { buildReleasePolicy, encodeReleasePolicy } from "../../enclave-app/src/protocol/index.ts";
import type { CleanRoomPolicy } from "../../policies/rules/index.ts";
import { evaluatePolicies, type Evaluation } from "../../policies/review/evaluate.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";

/** The string the engine puts where a value is unknown during preview (deserialised by @pulumi/policy). */
export const UNKNOWN = unknownValue;

export const SUB = "11111111-2222-3333-4444-555555555555";
export const RG = `/subscriptions/${SUB}/resourceGroups/demo-rg`;
export const ENDPOINT = "https://demoat1234567.weu.attest.azure.net";
export const KUBELET = "7afd5e6f-e24a-4a90-a1b8-8f22a5b389d5";
export const WORKLOAD = "05ccb3f6-dd2d-41f1-a641-813f343cc03c";
export const WORKLOAD_CLIENT = "5ae70953-00cc-42b4-a7c1-e8a45c5e65c6";
export const ROLE = {
  release: "08bbd89e-9f13-488c-ac41-acfcb10c90ab",
  cryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
  cryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
  kvAdmin: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  blobContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  blobReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a3-ab88-20f7382dd24c",
} as const;
export const roleId = (guid: string) => `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
export const vaultScope = (vault: string) => `${RG}/providers/Microsoft.KeyVault/vaults/${vault}`;
export const keyScope = (vault: string, key: string) => `${vaultScope(vault)}/keys/${key}`;
export const accountScope = (account: string) => `${RG}/providers/Microsoft.Storage/storageAccounts/${account}`;
export const containerScope = (account: string, container: string) => `${accountScope(account)}/blobServices/default/containers/${container}`;

export const confidentialNodePolicy = (authority = ENDPOINT) => encodeReleasePolicy(buildReleasePolicy({ authority, mode: "confidential-node" }));
/** A release policy written by hand (base64url of the JSON, as Key Vault stores it). */
export const rawPolicy = (policy: unknown) => ({ contentType: "application/json; charset=utf-8", data: Buffer.from(JSON.stringify(policy)).toString("base64url") });

export const vaultProps = (name = "bank-286e95a4") => ({
  resourceGroupName: "demo-rg",
  vaultName: name,
  location: "westeurope",
  properties: {
    tenantId: "45533932-df55-4be7-845e-097da063d0a6",
    sku: { family: "A", name: "premium" },
    enableRbacAuthorization: true,
    accessPolicies: [],
    enableSoftDelete: true,
    softDeleteRetentionInDays: 90,
    enablePurgeProtection: true,
    publicNetworkAccess: "Enabled",
    networkAcls: { bypass: "None", defaultAction: "Deny", ipRules: [{ value: "203.0.113.0/24" }], virtualNetworkRules: [] },
  },
});

export const keyProps = (vault = "bank-286e95a4", name = "bank-kek-rsa3072-1bd5d6f07e91") => ({
  resourceGroupName: "demo-rg",
  vaultName: vault,
  keyName: name,
  properties: {
    kty: "RSA-HSM",
    keySize: 3072,
    keyOps: ["wrapKey", "unwrapKey", "encrypt", "decrypt"],
    attributes: { enabled: true, exportable: true },
    releasePolicy: confidentialNodePolicy(),
  },
});

export const storageProps = () => ({
  resourceGroupName: "demo-rg",
  accountName: "demostore7f5e11d7",
  kind: "StorageV2",
  sku: { name: "Standard_LRS" },
  allowBlobPublicAccess: false,
  allowSharedKeyAccess: false,
  defaultToOAuthAuthentication: true,
  minimumTlsVersion: "TLS1_2",
  enableHttpsTrafficOnly: true,
  encryption: { keySource: "Microsoft.Storage", requireInfrastructureEncryption: true },
  publicNetworkAccess: "Enabled",
  networkRuleSet: { bypass: "None", defaultAction: "Deny", ipRules: [], virtualNetworkRules: [] },
});

export const containerProps = (name: string, account = "demostore7f5e11d7") => ({ resourceGroupName: "demo-rg", accountName: account, containerName: name, publicAccess: "None" });

export const clusterProps = () => ({
  resourceGroupName: "demo-rg",
  resourceName: "demo-aks",
  aadProfile: { adminGroupObjectIDs: ["37ed9b44-4fdd-4505-8c9c-c536d9a24444"], enableAzureRBAC: true, managed: true, tenantID: "45533932-df55-4be7-845e-097da063d0a6" },
  agentPoolProfiles: [{ name: "system", mode: "System", vmSize: "Standard_D4ds_v5", nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"] }],
  disableLocalAccounts: true,
  enableRBAC: true,
  identityProfile: { kubeletidentity: { clientId: "1781b4bb-5422-4425-a11f-448669966d3d", objectId: KUBELET, resourceId: `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kubelet` } },
  oidcIssuerProfile: { enabled: true },
  securityProfile: { workloadIdentity: { enabled: true } },
});

export const agentPoolProps = () => ({
  resourceGroupName: "demo-rg",
  resourceName: "demo-aks",
  agentPoolName: "enclave",
  mode: "User",
  vmSize: "Standard_DC4as_v5",
  nodeLabels: { "cleanroom.io/enclave": "true" },
  nodeTaints: ["cleanroom.io/enclave=true:NoSchedule"],
});

export const grantProps = (principalId: string, role: string, scope: string) => ({
  principalId,
  principalType: "ServicePrincipal",
  roleDefinitionId: roleId(role),
  scope,
});

export const jobProps = () => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "cleanroom-63badccbcbddeac0", namespace: "cleanroom", labels: { "app.kubernetes.io/name": "cleanroom-enclave" } },
  spec: {
    backoffLimit: 1,
    template: {
      metadata: { labels: { "app.kubernetes.io/name": "cleanroom-enclave", "azure.workload.identity/use": "true" } },
      spec: {
        automountServiceAccountToken: false,
        restartPolicy: "Never",
        nodeSelector: { "cleanroom.io/enclave": "true" },
        tolerations: [{ effect: "NoSchedule", key: "cleanroom.io/enclave", operator: "Equal", value: "true" }],
        securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, supplementalGroups: [113], seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "enclave",
            image: "ghcr.io/confidential-clean-room/enclave@sha256:57c4cc573ef5737af759a181f4bdf5081f1e78ead35c12d21c90726f1ec35d64",
            env: [{ name: "CLEANROOM_MAA_ENDPOINT", value: ENDPOINT }],
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { drop: ["ALL"] },
              privileged: false,
              readOnlyRootFilesystem: true,
              runAsNonRoot: true,
              runAsUser: 65532,
            },
            // No vTPM mount: the non-root and privilege rules apply in full (vtpmAttesterJobProps is the exception).
            volumeMounts: [{ mountPath: "/scratch", name: "scratch" }],
          },
        ],
        volumes: [
          { name: "scratch", emptyDir: { medium: "Memory", sizeLimit: "3072Mi" } },
          { name: "tpm", hostPath: { path: "/dev/tpmrm0", type: "CharDevice" } },
        ],
      },
    },
  },
});

/** The confidential-node Job as EnclaveWorkload writes it: privileged root with the vTPM and a read-only securityfs. */
export function vtpmAttesterJobProps(securityfsReadOnly = true) {
  const props = jobProps();
  const spec = props.spec.template.spec as Record<string, any>;
  spec.securityContext = { seccompProfile: { type: "RuntimeDefault" } };
  spec.containers[0].securityContext = { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true };
  spec.containers[0].volumeMounts = [
    { mountPath: "/scratch", name: "scratch" },
    { mountPath: "/dev/tpmrm0", name: "tpm" },
    { mountPath: "/sys/kernel/security", name: "securityfs", readOnly: securityfsReadOnly },
  ];
  spec.volumes.push({ name: "securityfs", hostPath: { path: "/sys/kernel/security", type: "Directory" } });
  return props;
}

/** A deep copy of `value` with the dotted `path` set (undefined deletes it). Numeric segments index arrays. */
export function withValue<T>(value: T, path: string, newValue: unknown): T {
  const copy = structuredClone(value) as Record<string, unknown>;
  const segments = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const segment of segments.slice(0, -1)) {
    if (typeof node[segment] !== "object" || node[segment] === null) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = segments[segments.length - 1]!;
  if (newValue === undefined) delete node[last];
  else node[last] = newValue;
  return copy as T;
}

/** A graph resource as the capture records it; inputs and outputs both default to `props`. */
export function resource(type: string, name: string, props: Record<string, unknown>, extra: Partial<GraphResource> = {}): GraphResource {
  const parentType = extra.parent ? `${extra.parent.split("::")[2]!.split("$").pop()}$` : "";
  return {
    urn: `urn:pulumi:test::confidential-clean-room::${parentType}${type}::${name}`,
    type,
    name,
    custom: !type.startsWith("cleanroom:"),
    dependencies: [],
    propertyDependencies: {},
    options: { protect: false, ignoreChanges: [], additionalSecretOutputs: [], customTimeouts: { create: "", update: "", delete: "" } },
    inputs: props,
    outputs: props,
    ...extra,
  };
}

export interface PolicyOutcome {
  violations: string[];
  /** Resource names the violations were reported against. */
  subjects: (string | undefined)[];
  notEvaluated: string[];
  notApplicable: string[];
  evaluation: Evaluation;
}

/**
 * Runs one policy over resources as the engine would: props behind unknownCheckingProxy, getConfig()
 * returning exactly `properties` (the empty object by default, as in the engine without config).
 */
export async function runPolicy(policy: CleanRoomPolicy, resources: GraphResource[], properties: Record<string, unknown> = {}): Promise<PolicyOutcome> {
  const evaluation = await evaluatePolicies([policy], resources, {
    config: new Map([[policy.name, { enforcementLevel: policy.enforcementLevel, properties }]]),
  });
  const violations = evaluation.diagnostics.filter((d) => d.kind === "violation");
  return {
    violations: violations.map((d) => d.message),
    subjects: violations.map((d) => d.resourceName),
    notEvaluated: evaluation.diagnostics.filter((d) => d.kind === "not-evaluated").map((d) => d.message),
    notApplicable: evaluation.notApplicable.map((n) => n.reason),
    evaluation,
  };
}
