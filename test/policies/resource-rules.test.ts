// Every resource policy on realistic props, run the way the engine runs it (props behind
// unknownCheckingProxy, getConfig() = {} unless the case sets config): a passing case, each failing
// case, and a preview where the decisive value is unknown, which must not produce a violation.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { aksConfidentialEnclavePool, aksEntraRbac, aksLocalAccountsDisabled, aksWorkloadIdentity } from "../../policies/rules/aks.ts";
import { keyExportableHasReleasePolicy, keyHsmTypeAndSize, keyReleasePolicyAttested } from "../../policies/rules/keys.ts";
import {
  keyVaultNetworkDefaultDeny,
  keyVaultPremiumSku,
  keyVaultPurgeProtection,
  keyVaultRbacAuthorization,
  keyVaultSoftDelete,
} from "../../policies/rules/keyvault.ts";
import {
  k8sEnclaveImageDigest,
  k8sEnclaveNoHostAccess,
  k8sEnclaveNonRoot,
  k8sEnclaveNoPrivilegeEscalation,
  k8sEnclavePinnedToConfidentialPool,
  k8sEnclaveReadOnlyRootFilesystem,
} from "../../policies/rules/kubernetes.ts";
import type { CleanRoomResourcePolicy } from "../../policies/rules/policy.ts";
import { aciCcePolicyLockedDown, aciCcePolicyPropertiesAccess } from "../../policies/rules/container-group.ts";
import { isStackPolicy, policies } from "../../policies/rules/index.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { releaseRoleKeyScopeOnly } from "../../policies/rules/rbac.ts";
import {
  storageHttpsOnly,
  storageInfrastructureEncryption,
  storageNetworkDefaultDeny,
  storageNoPublicBlobAccess,
  storageNoSharedKeyAccess,
  storageTls12,
} from "../../policies/rules/storage.ts";
import {
  agentPoolProps,
  clusterProps,
  confidentialNodePolicy,
  containerProps,
  grantProps,
  jobProps,
  vtpmAttesterJobProps,
  keyProps,
  keyScope,
  KUBELET,
  rawPolicy,
  resource,
  ROLE,
  RG,
  runPolicy,
  storageProps,
  UNKNOWN,
  vaultProps,
  vaultScope,
  withValue,
} from "./fixtures.ts";
import { base64, containerGroupProps, policyParts, regoOf } from "./cce-fixtures.ts";

const T = {
  vault: "azure-native:keyvault:Vault",
  key: "azure-native:keyvault:Key",
  account: "azure-native:storage:StorageAccount",
  container: "azure-native:storage:BlobContainer",
  cluster: "azure-native:containerservice:ManagedCluster",
  pool: "azure-native:containerservice:AgentPool",
  grant: "azure-native:authorization:RoleAssignment",
  job: "kubernetes:batch/v1:Job",
  pod: "kubernetes:core/v1:Pod",
  cronJob: "kubernetes:batch/v1:CronJob",
  containerGroup: "azure-native:containerinstance:ContainerGroup",
} as const;

type Props = Record<string, unknown>;
interface Variant {
  why: string;
  props: Props;
  type?: string;
  config?: Record<string, unknown>;
}
interface RuleCase {
  policy: CleanRoomResourcePolicy;
  type: string;
  /** Props that pass, each with a reason. */
  pass: Variant[];
  /** Props that fail, with the message expected. */
  fail: (Variant & { message: RegExp })[];
  /** A failing variant whose decisive value is unknown (preview): no violation, reported as not evaluated. */
  unknown: Variant;
}

const pod = (path: string) => `spec.template.spec.${path}`;
const container = (path: string) => pod(`containers.0.${path}`);
const jobWith = (path: string, value: unknown) => withValue(jobProps(), path, value);

const cases: RuleCase[] = [
  {
    policy: keyVaultPremiumSku,
    type: T.vault,
    pass: [{ why: "premium", props: vaultProps() }, { why: "SKU name in another case", props: withValue(vaultProps(), "properties.sku.name", "Premium") }],
    fail: [{ why: "standard SKU", props: withValue(vaultProps(), "properties.sku.name", "standard"), message: /Key Vault "bank-286e95a4" uses SKU "standard"/ }],
    unknown: { why: "SKU unknown", props: withValue(vaultProps(), "properties.sku.name", UNKNOWN) },
  },
  {
    policy: keyVaultRbacAuthorization,
    type: T.vault,
    pass: [{ why: "RBAC on", props: vaultProps() }],
    fail: [
      { why: "access policies", props: withValue(vaultProps(), "properties.enableRbacAuthorization", false), message: /does not set enableRbacAuthorization: true/ },
      { why: "left to the insecure default", props: withValue(vaultProps(), "properties.enableRbacAuthorization", undefined), message: /enableRbacAuthorization/ },
    ],
    unknown: { why: "unknown", props: withValue(vaultProps(), "properties.enableRbacAuthorization", UNKNOWN) },
  },
  {
    policy: keyVaultPurgeProtection,
    type: T.vault,
    pass: [{ why: "purge protection", props: vaultProps() }],
    fail: [{ why: "absent", props: withValue(vaultProps(), "properties.enablePurgeProtection", undefined), message: /enablePurgeProtection: true/ }],
    unknown: { why: "unknown", props: withValue(vaultProps(), "properties.enablePurgeProtection", UNKNOWN) },
  },
  {
    policy: keyVaultSoftDelete,
    type: T.vault,
    pass: [
      { why: "90 days", props: vaultProps() },
      { why: "absent retention (Azure applies 90)", props: withValue(vaultProps(), "properties.softDeleteRetentionInDays", undefined) },
      { why: "7 days, the in-code minimum", props: withValue(vaultProps(), "properties.softDeleteRetentionInDays", 7) },
    ],
    fail: [
      { why: "too short", props: withValue(vaultProps(), "properties.softDeleteRetentionInDays", 5), message: /keeps deleted keys for 5 days; the minimum is 7/ },
      { why: "disabled", props: withValue(vaultProps(), "properties.enableSoftDelete", false), message: /disables soft delete/ },
      {
        why: "below a configured minimum",
        props: withValue(vaultProps(), "properties.softDeleteRetentionInDays", 14),
        config: { minimumRetentionDays: 30 },
        message: /14 days; the minimum is 30/,
      },
    ],
    unknown: { why: "unknown", props: withValue(vaultProps(), "properties.softDeleteRetentionInDays", UNKNOWN) },
  },
  {
    policy: keyVaultNetworkDefaultDeny,
    type: T.vault,
    pass: [
      { why: "deny by default", props: vaultProps() },
      { why: "public network disabled", props: withValue(withValue(vaultProps(), "properties.networkAcls.defaultAction", "Allow"), "properties.publicNetworkAccess", "Disabled") },
    ],
    fail: [{ why: "allow", props: withValue(vaultProps(), "properties.networkAcls.defaultAction", "Allow"), message: /network default action is "Allow"/ }],
    unknown: { why: "unknown", props: withValue(vaultProps(), "properties.networkAcls.defaultAction", UNKNOWN) },
  },
  {
    policy: keyExportableHasReleasePolicy,
    type: T.key,
    pass: [
      { why: "exportable with a policy", props: keyProps() },
      { why: "not exportable", props: withValue(withValue(keyProps(), "properties.attributes.exportable", false), "properties.releasePolicy", undefined) },
    ],
    fail: [{ why: "no policy", props: withValue(keyProps(), "properties.releasePolicy", undefined), message: /is exportable but has no release policy/ }],
    unknown: { why: "policy data unknown (it waits for the attestation endpoint)", props: withValue(keyProps(), "properties.releasePolicy.data", UNKNOWN) },
  },
  {
    policy: keyReleasePolicyAttested,
    type: T.key,
    pass: [
      { why: "built by the protocol for a confidential node", props: keyProps() },
      { why: "shared endpoint", props: withValue(keyProps(), "properties.releasePolicy", confidentialNodePolicy("https://sharedweu.weu.attest.azure.net")) },
    ],
    fail: [
      {
        why: "no debug condition",
        props: withValue(
          keyProps(),
          "properties.releasePolicy",
          rawPolicy({
            version: "1.0.0",
            anyOf: [{ authority: "https://sharedweu.weu.attest.azure.net", allOf: [{ claim: "x-ms-isolation-tee.x-ms-attestation-type", equals: "sevsnpvm" }] }],
          }),
        ),
        message: /releases the key to a debuggable TEE/,
      },
      {
        why: "a local attestation authority",
        props: withValue(keyProps(), "properties.releasePolicy", confidentialNodePolicy("https://127.0.0.1:8443")),
        message: /is not an allowed attestation authority/,
      },
      {
        why: "an authority outside a configured allow-list",
        props: keyProps(),
        config: { allowedAuthorities: ["https://sharedweu.weu.attest.azure.net"] },
        message: /demoat1234567\.weu\.attest\.azure\.net\) is not an allowed attestation authority; allowed: https:\/\/sharedweu/,
      },
      { why: "not decodable", props: withValue(keyProps(), "properties.releasePolicy.data", "!!!"), message: /release policy is unusable \(POLICY_ENCODING_INVALID\)/ },
    ],
    unknown: { why: "policy data unknown", props: withValue(keyProps(), "properties.releasePolicy.data", UNKNOWN) },
  },
  {
    policy: keyHsmTypeAndSize,
    type: T.key,
    pass: [
      { why: "RSA-HSM 3072", props: keyProps() },
      { why: "RSA-HSM 4096", props: withValue(keyProps(), "properties.keySize", 4096) },
      { why: "EC-HSM", props: withValue(withValue(keyProps(), "properties.kty", "EC-HSM"), "properties.keySize", undefined) },
    ],
    fail: [
      { why: "software key", props: withValue(keyProps(), "properties.kty", "RSA"), message: /has key type "RSA"; allowed: RSA-HSM, EC-HSM/ },
      { why: "2048-bit RSA", props: withValue(keyProps(), "properties.keySize", 2048), message: /keySize 2048; RSA keys need at least 3072 bits/ },
      { why: "configured 4096 minimum", props: keyProps(), config: { minimumRsaKeySize: 4096 }, message: /at least 4096 bits/ },
    ],
    unknown: { why: "unknown key type", props: withValue(keyProps(), "properties.kty", UNKNOWN) },
  },
  {
    policy: storageNoPublicBlobAccess,
    type: T.account,
    pass: [
      { why: "account", props: storageProps() },
      { why: "private container", type: T.container, props: containerProps("input-bank") },
    ],
    fail: [
      { why: "account allows public access", props: withValue(storageProps(), "allowBlobPublicAccess", true), message: /does not set allowBlobPublicAccess: false/ },
      { why: "public container", type: T.container, props: withValue(containerProps("results"), "publicAccess", "Blob"), message: /container "results" allows anonymous access/ },
    ],
    unknown: { why: "unknown", props: withValue(storageProps(), "allowBlobPublicAccess", UNKNOWN) },
  },
  {
    policy: storageNoSharedKeyAccess,
    type: T.account,
    pass: [{ why: "Entra ID only", props: storageProps() }],
    fail: [{ why: "left at the default", props: withValue(storageProps(), "allowSharedKeyAccess", undefined), message: /allowSharedKeyAccess: false/ }],
    unknown: { why: "unknown", props: withValue(storageProps(), "allowSharedKeyAccess", UNKNOWN) },
  },
  {
    policy: storageTls12,
    type: T.account,
    pass: [{ why: "TLS 1.2", props: storageProps() }, { why: "TLS 1.3", props: withValue(storageProps(), "minimumTlsVersion", "TLS1_3") }],
    fail: [
      { why: "TLS 1.0", props: withValue(storageProps(), "minimumTlsVersion", "TLS1_0"), message: /minimumTlsVersion "TLS1_0"/ },
      { why: "1.2 excluded by config", props: storageProps(), config: { allowedTlsVersions: ["TLS1_3"] }, message: /allowed: TLS1_3/ },
    ],
    unknown: { why: "unknown", props: withValue(storageProps(), "minimumTlsVersion", UNKNOWN) },
  },
  {
    policy: storageHttpsOnly,
    type: T.account,
    pass: [{ why: "HTTPS only", props: storageProps() }],
    fail: [{ why: "HTTP allowed", props: withValue(storageProps(), "enableHttpsTrafficOnly", false), message: /enableHttpsTrafficOnly: true/ }],
    unknown: { why: "unknown", props: withValue(storageProps(), "enableHttpsTrafficOnly", UNKNOWN) },
  },
  {
    policy: storageInfrastructureEncryption,
    type: T.account,
    pass: [{ why: "double encryption", props: storageProps() }],
    fail: [{ why: "single", props: withValue(storageProps(), "encryption", { keySource: "Microsoft.Storage" }), message: /requireInfrastructureEncryption: true/ }],
    unknown: { why: "unknown", props: withValue(storageProps(), "encryption.requireInfrastructureEncryption", UNKNOWN) },
  },
  {
    policy: storageNetworkDefaultDeny,
    type: T.account,
    pass: [{ why: "deny", props: storageProps() }, { why: "public network disabled", props: withValue(withValue(storageProps(), "networkRuleSet", undefined), "publicNetworkAccess", "Disabled") }],
    fail: [{ why: "no rule set", props: withValue(storageProps(), "networkRuleSet", undefined), message: /network default action is "Allow \(default\)"/ }],
    unknown: { why: "unknown", props: withValue(storageProps(), "networkRuleSet.defaultAction", UNKNOWN) },
  },
  {
    policy: aksConfidentialEnclavePool,
    type: T.pool,
    pass: [
      { why: "SEV-SNP pool", props: agentPoolProps() },
      { why: "TDX pool", props: withValue(agentPoolProps(), "vmSize", "Standard_DC8es_v5") },
      { why: "a confidential size in another letter case (ARM ignores case)", props: withValue(agentPoolProps(), "vmSize", "standard_dc4as_v5") },
      { why: "a non-enclave pool of any size", props: withValue(withValue(withValue(agentPoolProps(), "nodeLabels", {}), "nodeTaints", []), "vmSize", "Standard_D4s_v5") },
      { why: "a cluster whose inline pools are not for enclaves", type: T.cluster, props: clusterProps() },
    ],
    fail: [
      { why: "general-purpose size", props: withValue(agentPoolProps(), "vmSize", "Standard_D4s_v5"), message: /node pool "enclave" is reserved for enclave pods .* "Standard_D4s_v5" is not a confidential/ },
      { why: "marked by its taint only", props: withValue(withValue(agentPoolProps(), "nodeLabels", {}), "vmSize", "Standard_E4s_v5"), message: /not a confidential/ },
      { why: "TDX when only SEV-SNP is allowed", props: withValue(agentPoolProps(), "vmSize", "Standard_DC8es_v5"), config: { allowedTees: ["sev-snp"] }, message: /not a confidential sev-snp size/ },
      { why: "TDX in another letter case when only SEV-SNP is allowed", props: withValue(agentPoolProps(), "vmSize", "standard_dc8es_v5"), config: { allowedTees: ["sev-snp"] }, message: /not a confidential sev-snp size/ },
      {
        why: "an inline enclave pool of the cluster",
        type: T.cluster,
        props: withValue(clusterProps(), "agentPoolProfiles", [{ name: "enclave", vmSize: "Standard_D4s_v5", nodeLabels: { "cleanroom.io/enclave": "true" } }]),
        message: /node pool "enclave"/,
      },
    ],
    unknown: { why: "unknown size", props: withValue(agentPoolProps(), "vmSize", UNKNOWN) },
  },
  {
    policy: aksLocalAccountsDisabled,
    type: T.cluster,
    pass: [{ why: "disabled", props: clusterProps() }],
    fail: [{ why: "enabled", props: withValue(clusterProps(), "disableLocalAccounts", false), message: /does not set disableLocalAccounts: true/ }],
    unknown: { why: "unknown", props: withValue(clusterProps(), "disableLocalAccounts", UNKNOWN) },
  },
  {
    policy: aksWorkloadIdentity,
    type: T.cluster,
    pass: [{ why: "both on", props: clusterProps() }],
    fail: [
      { why: "no OIDC issuer", props: withValue(clusterProps(), "oidcIssuerProfile.enabled", false), message: /OIDC issuer/ },
      { why: "no workload identity", props: withValue(clusterProps(), "securityProfile", undefined), message: /workload identity/ },
    ],
    unknown: { why: "unknown", props: withValue(clusterProps(), "oidcIssuerProfile.enabled", UNKNOWN) },
  },
  {
    policy: aksEntraRbac,
    type: T.cluster,
    pass: [{ why: "managed AAD with Azure RBAC", props: clusterProps() }],
    fail: [
      { why: "no AAD profile", props: withValue(clusterProps(), "aadProfile", undefined), message: /Entra ID with Azure RBAC/ },
      { why: "Kubernetes RBAC off", props: withValue(clusterProps(), "enableRBAC", false), message: /disables Kubernetes RBAC/ },
    ],
    unknown: { why: "unknown", props: withValue(clusterProps(), "aadProfile.enableAzureRBAC", UNKNOWN) },
  },
  {
    policy: releaseRoleKeyScopeOnly,
    type: T.grant,
    pass: [
      { why: "at key scope", props: grantProps(KUBELET, ROLE.release, keyScope("bank-1", "bank-kek")) },
      { why: "another role at vault scope", props: grantProps(KUBELET, ROLE.cryptoOfficer, vaultScope("bank-1")) },
    ],
    fail: [
      { why: "vault scope", props: grantProps(KUBELET, ROLE.release, vaultScope("bank-1")), message: /grants the release role at scope .*vaults\/bank-1"/ },
      { why: "resource group scope", props: grantProps(KUBELET, ROLE.release, RG), message: /release role may only be granted on one Key Vault key/ },
    ],
    unknown: { why: "scope unknown (built from the vault id)", props: grantProps(KUBELET, ROLE.release, UNKNOWN) },
  },
  {
    policy: k8sEnclavePinnedToConfidentialPool,
    type: T.job,
    pass: [
      { why: "node selector", props: jobProps() },
      {
        why: "required node affinity instead",
        props: withValue(jobWith(pod("nodeSelector"), undefined), pod("affinity"), {
          nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "cleanroom.io/enclave", operator: "In", values: ["true"] }] }] } },
        }),
      },
      { why: "a workload outside the enclave scope", props: withValue(withValue(jobWith(pod("nodeSelector"), undefined), "metadata.namespace", "tools"), "spec.template.metadata.labels", {}) },
    ],
    fail: [
      { why: "no selector", props: jobWith(pod("nodeSelector"), undefined), message: /Job cleanroom\/.* is not pinned to the confidential pool/ },
      { why: "another pool", props: jobWith(pod("nodeSelector"), { agentpool: "system" }), message: /not pinned/ },
      { why: "enclave label in another namespace", props: withValue(jobWith(pod("nodeSelector"), undefined), "metadata.namespace", "cr-prod"), message: /Job cr-prod\// },
      { why: "a bare Pod", type: T.pod, props: { metadata: { name: "p", namespace: "cleanroom" }, spec: { containers: [] } }, message: /Pod cleanroom\/.* is not pinned/ },
    ],
    unknown: { why: "selector value unknown", props: jobWith(pod("nodeSelector"), { "cleanroom.io/enclave": UNKNOWN }) },
  },
  {
    policy: k8sEnclaveImageDigest,
    type: T.job,
    pass: [{ why: "by digest", props: jobProps() }],
    fail: [
      { why: "by tag", props: jobWith(container("image"), "ghcr.io/x/enclave:1.0"), message: /container "enclave" uses image "ghcr.io\/x\/enclave:1.0", which is not pinned by digest/ },
      {
        why: "an init container by tag",
        props: jobWith(pod("initContainers"), [{ name: "init", image: "busybox" }]),
        message: /initContainer "init" uses image "busybox"/,
      },
      {
        why: "a CronJob by tag",
        type: T.cronJob,
        props: { metadata: { namespace: "cleanroom" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image: "x:latest" }] } } } } } },
        message: /CronJob cleanroom\/.*"x:latest"/,
      },
    ],
    unknown: { why: "image unknown", props: jobWith(container("image"), UNKNOWN) },
  },
  {
    policy: k8sEnclaveNonRoot,
    type: T.job,
    pass: [
      { why: "non-root at both levels", props: jobProps() },
      { why: "non-root at pod level only", props: jobWith(container("securityContext"), { readOnlyRootFilesystem: true }) },
      { why: "root only in the vTPM attester container (it mounts /dev/tpmrm0)", props: vtpmAttesterJobProps() },
    ],
    fail: [
      { why: "required at neither level", props: withValue(jobWith(container("securityContext"), {}), pod("securityContext.runAsNonRoot"), undefined), message: /does not set runAsNonRoot: true/ },
      { why: "switched off in the container", props: jobWith(container("securityContext.runAsNonRoot"), false), message: /does not set runAsNonRoot: true/ },
      { why: "root uid", props: jobWith(container("securityContext.runAsUser"), 0), message: /sets runAsUser: 0/ },
    ],
    unknown: { why: "unknown", props: jobWith(container("securityContext.runAsNonRoot"), UNKNOWN) },
  },
  {
    policy: k8sEnclaveNoPrivilegeEscalation,
    type: T.job,
    pass: [
      { why: "locked down", props: jobProps() },
      { why: "privileged only in the vTPM attester container (it mounts /dev/tpmrm0)", props: vtpmAttesterJobProps() },
    ],
    fail: [
      { why: "privileged without the vTPM", props: withValue(jobWith(container("securityContext.privileged"), true), pod("volumes"), [{ name: "scratch", emptyDir: { medium: "Memory" } }]), message: /container "enclave" is privileged/ },
      { why: "escalation allowed", props: jobWith(container("securityContext.allowPrivilegeEscalation"), true), message: /does not set allowPrivilegeEscalation: false/ },
      { why: "privileged", props: jobWith(container("securityContext.privileged"), true), message: /container "enclave" is privileged/ },
    ],
    unknown: { why: "unknown", props: jobWith(container("securityContext.allowPrivilegeEscalation"), UNKNOWN) },
  },
  {
    policy: k8sEnclaveNoHostAccess,
    type: T.job,
    pass: [
      { why: "the vTPM device only", props: jobProps() },
      { why: "the vTPM device and a read-only securityfs", props: vtpmAttesterJobProps() },
      { why: "no host path at all (device plugin mode)", props: jobWith(pod("volumes"), [{ name: "scratch", emptyDir: { medium: "Memory" } }]) },
    ],
    fail: [
      { why: "docker socket", props: jobWith(pod("volumes.1.hostPath"), { path: "/var/run/docker.sock" }), message: /mounts hostPath "\/var\/run\/docker.sock" \(volume "tpm"\); only \/dev\/tpmrm0 may be mounted/ },
      { why: "vTPM path without CharDevice", props: jobWith(pod("volumes.1.hostPath.type"), ""), message: /without type "CharDevice"/ },
      { why: "host network", props: jobWith(pod("hostNetwork"), true), message: /sets hostNetwork: true/ },
      { why: "securityfs writable", props: vtpmAttesterJobProps(false), message: /mounts \/sys\/kernel\/security writable/ },
      { why: "vTPM not allow-listed", props: jobProps(), config: { allowedHostPathDevices: [] }, message: /only no host path may be mounted/ },
    ],
    unknown: { why: "host path unknown", props: jobWith(pod("volumes.1.hostPath.path"), UNKNOWN) },
  },
  {
    policy: k8sEnclaveReadOnlyRootFilesystem,
    type: T.job,
    pass: [{ why: "read-only", props: jobProps() }],
    fail: [{ why: "writable", props: jobWith(container("securityContext.readOnlyRootFilesystem"), false), message: /does not set readOnlyRootFilesystem: true/ }],
    unknown: { why: "unknown", props: jobWith(container("securityContext.readOnlyRootFilesystem"), UNKNOWN) },
  },
  {
    // One case per refusal is in cce-policy.test.ts; these keep the pack-wide table complete.
    policy: aciCcePolicyLockedDown,
    type: T.containerGroup,
    pass: [
      { why: "a confcom policy for the group's own pinned images", props: containerGroupProps(base64(regoOf(policyParts()))) },
      { why: "a group that is not Confidential", props: { ...containerGroupProps("not a policy"), sku: "Standard" } },
    ],
    fail: [
      { why: "an allow-all policy", props: containerGroupProps(base64(regoOf({ ...policyParts(), points: { ...policyParts().points, create_container: '{"allowed": true}' } }))), message: /ccePolicy refused \(allow-all\): enforcement point create_container/ },
      { why: "no policy", props: containerGroupProps(undefined), message: /ccePolicy refused \(unreadable\): there is no ccePolicy/ },
    ],
    unknown: { why: "policy unknown", props: containerGroupProps(UNKNOWN) },
  },
  {
    policy: aciCcePolicyPropertiesAccess,
    type: T.containerGroup,
    pass: [{ why: "properties access off", props: containerGroupProps(base64(regoOf(policyParts()))) }],
    fail: [
      {
        why: "properties access on, as confcom writes it",
        props: containerGroupProps(base64(regoOf({ ...policyParts(), switches: { ...policyParts().switches, allow_properties_access: true } }))),
        message: /ccePolicy \(properties-access\): allow_properties_access is true/,
      },
    ],
    unknown: { why: "policy unknown", props: containerGroupProps(UNKNOWN) },
  },
];

describe.each(cases.map((c) => [c.policy.name, c] as const))("%s", (_name, c) => {
  it.each(c.pass.map((v) => [v.why, v] as const))("passes: %s", async (_why, v) => {
    const outcome = await runPolicy(c.policy, [resource(v.type ?? c.type, "subject", v.props)], v.config);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toEqual([]);
  });

  it.each(c.fail.map((v) => [v.why, v] as const))("fails: %s", async (_why, v) => {
    const outcome = await runPolicy(c.policy, [resource(v.type ?? c.type, "subject", v.props)], v.config);
    expect(outcome.violations.length).toBeGreaterThan(0);
    expect(outcome.violations.join("\n")).toMatch(v.message);
    expect(outcome.subjects.every((s) => s === "subject")).toBe(true);
  });

  it(`does not report a violation when the value is unknown during preview (${c.unknown.why})`, async () => {
    const outcome = await runPolicy(c.policy, [resource(c.unknown.type ?? c.type, "subject", c.unknown.props)], c.unknown.config);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toHaveLength(1);
    expect(outcome.notEvaluated[0]).toMatch(new RegExp(`can't run policy '${c.policy.name}' during preview`));
  });

  it("ignores resources of other types", async () => {
    const other = resource("azure-native:network:VirtualNetwork", "vnet", { addressSpace: { addressPrefixes: ["10.0.0.0/16"] } });
    const outcome = await runPolicy(c.policy, [other]);
    expect(outcome.violations).toEqual([]);
  });
});

describe("pack metadata", () => {
  it("every resource policy of the pack has cases above, and every case is a policy the pack serves", () => {
    for (const c of cases) {
      const served = policies.find((p) => p.name === c.policy.name);
      expect(served, c.policy.name).toBe(c.policy);
      expect(c.policy.remediationSteps.length).toBeGreaterThan(10);
    }
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    const untested = policies.filter((p) => !isStackPolicy(p) && !cases.some((c) => c.policy === p)).map((p) => p.name);
    expect(untested).toEqual([]);
  });

  it("documents every policy in docs/policies.md with its default level and severity", () => {
    const doc = readFileSync(join(REPO_ROOT, "docs/policies.md"), "utf8");
    const missing = policies.filter((p) => !doc.includes(`| \`${p.name}\` | ${p.enforcementLevel} | ${p.severity} |`)).map((p) => p.name);
    expect(missing).toEqual([]);
  });
});
