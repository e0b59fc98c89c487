// AKS: the enclave runs on a confidential VM pool; nobody gets in with a static credential (local
// accounts off, Entra ID with Azure RBAC); pods get Azure identities only through workload identity.
import { parseConfidentialSize } from "../../enclave-app/src/protocol/index.ts";
import { defineConfig, forTypes, stringList, type CleanRoomResourcePolicy, type Props } from "./policy.ts";
import { parseLabelSelector, resourceLabel } from "./props.ts";
import { AzureTypes } from "./resource-types.ts";

const clusterLabel = (props: Props, name: string) => resourceLabel("AKS cluster", props, ["resourceName"], name);

/** Whether a pool is reserved for enclave pods: it carries the enclave label or a taint with its key. */
function isEnclavePool(pool: Props, label: { key: string; value?: string }): boolean {
  const labels = pool.nodeLabels;
  if (labels && typeof labels === "object" && label.key in labels && (label.value === undefined || labels[label.key] === label.value)) return true;
  const taints: unknown = pool.nodeTaints;
  return Array.isArray(taints) && taints.some((t) => typeof t === "string" && t.split(/[=:]/)[0] === label.key);
}

const poolConfig = defineConfig<{ enclaveNodeLabel: string; allowedTees: string[] }>({
  enclaveNodeLabel: { type: "string", default: "cleanroom.io/enclave=true", description: "Node label (key=value) that marks the enclave pool." },
  allowedTees: stringList("TEEs accepted for the enclave pool.", ["sev-snp", "tdx"], { type: "string", enum: ["sev-snp", "tdx"] }),
});

export const aksConfidentialEnclavePool: CleanRoomResourcePolicy = {
  name: "aks-confidential-enclave-pool",
  description:
    "Every node pool labelled or tainted for enclave pods uses a confidential VM size: AMD SEV-SNP (DCasv5/DCadsv5/ECasv5/ECadsv5, v6) or Intel TDX (DCesv5/DCedsv5/ECesv5/ECedsv5).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Use a confidential size such as Standard_DC4as_v5 for the pool that carries the enclave label and taint.",
  configSchema: poolConfig.schema,
  validateResource: forTypes([AzureTypes.agentPool, AzureTypes.managedCluster], (props, args, report) => {
    const { enclaveNodeLabel, allowedTees } = poolConfig.read(args);
    const label = parseLabelSelector(enclaveNodeLabel);
    const pools: { name: string; pool: Props }[] =
      args.type === AzureTypes.agentPool
        ? [{ name: String(props.agentPoolName ?? args.name), pool: props }]
        : (Array.isArray(props.agentPoolProfiles) ? props.agentPoolProfiles : []).map((pool: Props) => ({ name: String(pool.name), pool }));
    for (const { name, pool } of pools) {
      if (!isEnclavePool(pool, label)) continue;
      // ARM compares VM size names case-insensitively, so any spelling of a confidential size counts.
      const tee = parseConfidentialSize(pool.vmSize, { ignoreCase: true })?.tee;
      if (!tee || !allowedTees.includes(tee)) {
        report(
          `node pool "${name}" is reserved for enclave pods (${enclaveNodeLabel}) but its VM size ${JSON.stringify(pool.vmSize ?? null)} is not a confidential ${allowedTees.join("/")} size; the enclave would run without a TEE.`,
        );
      }
    }
  }),
};

export const aksLocalAccountsDisabled: CleanRoomResourcePolicy = {
  name: "aks-local-accounts-disabled",
  description: "AKS clusters disable local accounts, so no static cluster-admin certificate exists outside Entra ID.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set disableLocalAccounts: true (requires Entra ID integration).",
  validateResource: forTypes([AzureTypes.managedCluster], (props, args, report) => {
    if (props.disableLocalAccounts !== true) {
      report(`${clusterLabel(props, args.name)} does not set disableLocalAccounts: true; listClusterAdminCredential would hand out a static admin certificate.`);
    }
  }),
};

export const aksWorkloadIdentity: CleanRoomResourcePolicy = {
  name: "aks-oidc-workload-identity",
  description: "AKS clusters enable the OIDC issuer and workload identity, the only way the enclave pod gets an Azure identity.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: "Set oidcIssuerProfile.enabled: true and securityProfile.workloadIdentity.enabled: true.",
  validateResource: forTypes([AzureTypes.managedCluster], (props, args, report) => {
    if (props.oidcIssuerProfile?.enabled !== true) report(`${clusterLabel(props, args.name)} does not enable the OIDC issuer (oidcIssuerProfile.enabled).`);
    if (props.securityProfile?.workloadIdentity?.enabled !== true) {
      report(`${clusterLabel(props, args.name)} does not enable workload identity (securityProfile.workloadIdentity.enabled).`);
    }
  }),
};

export const aksEntraRbac: CleanRoomResourcePolicy = {
  name: "aks-entra-id-rbac",
  description: "AKS clusters authenticate with Entra ID and authorise with Azure RBAC (managed AAD profile), and Kubernetes RBAC is on.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set aadProfile { managed: true, enableAzureRBAC: true, adminGroupObjectIDs, tenantID } and leave enableRBAC at true.",
  validateResource: forTypes([AzureTypes.managedCluster], (props, args, report) => {
    const aad = props.aadProfile;
    if (aad?.managed !== true || aad?.enableAzureRBAC !== true) {
      report(`${clusterLabel(props, args.name)} does not use Entra ID with Azure RBAC (aadProfile.managed and aadProfile.enableAzureRBAC must be true).`);
    }
    if (props.enableRBAC === false) report(`${clusterLabel(props, args.name)} disables Kubernetes RBAC (enableRBAC: false).`);
  }),
};

export const aksPolicies = [aksConfidentialEnclavePool, aksLocalAccountsDisabled, aksWorkloadIdentity, aksEntraRbac];
