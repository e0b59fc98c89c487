// The identities the enclave runs with — the kubelet identity (release, through IMDS) and the
// workload identity (storage) — hold no role that can take over keys, data or role assignments:
// Owner, Contributor, User Access Administrator, Role Based Access Control Administrator or
// Key Vault Administrator, at any scope. A role assignment alone does not say whose principal it
// is, so this is a stack rule: it finds the enclave identities among the stack's resources.
import { defineConfig, stringList, type CleanRoomStackPolicy } from "../policy.ts";
import { DEFAULT_FORBIDDEN_ENCLAVE_ROLES, roleName } from "../roles.ts";
import { containerGroupPrincipalsOf, grantsOf, kubeletPrincipalsOf, workloadPrincipalsOf } from "./model.ts";

const config = defineConfig<{ forbiddenRoleDefinitionIds: string[] }>({
  forbiddenRoleDefinitionIds: stringList("Role definition GUIDs the enclave identities must not hold.", [...DEFAULT_FORBIDDEN_ENCLAVE_ROLES]),
});

export const stackEnclaveNoPrivilegedRoles: CleanRoomStackPolicy = {
  name: "stack-enclave-no-privileged-roles",
  description:
    "The enclave identities (AKS kubelet identity, workload identities) hold no Owner, Contributor, User Access Administrator, RBAC Administrator or Key Vault Administrator role.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Remove the assignment; the enclave needs only the release role on each key and Storage Blob Data Reader/Contributor on the containers.",
  configSchema: config.schema,
  validateStack: (args, report) => {
    const forbidden = new Set(config.read(args).forbiddenRoleDefinitionIds.map((r) => r.toLowerCase()));
    const kubelet = kubeletPrincipalsOf(args.resources);
    // A Confidential ACI group's identity is the enclave's workload identity in confidential-container mode.
    const workload = new Set([...workloadPrincipalsOf(args.resources), ...containerGroupPrincipalsOf(args.resources)]);
    if (kubelet.size + workload.size === 0) args.notApplicable("the stack has no enclave identity (no AKS kubelet identity or federated workload identity)");
    for (const grant of grantsOf(args.resources)) {
      if (!forbidden.has(grant.role)) continue;
      const who = kubelet.has(grant.principalId) ? "the kubelet identity" : workload.has(grant.principalId) ? "the enclave workload identity" : undefined;
      if (!who) continue;
      report(`${who} ${grant.principalId} holds ${roleName(grant.role)} at ${grant.scope}; enclave identities must never hold it.`, grant.resource.urn);
    }
  },
};
