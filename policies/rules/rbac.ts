// Role assignments, one at a time: the release role is granted on a single key, never on a vault,
// resource group or subscription, where it would cover every party's key at once.
import { keyOfScope, parseArmScope } from "./arm-id.ts";
import { forTypes, type CleanRoomResourcePolicy } from "./policy.ts";
import { AzureTypes } from "./resource-types.ts";
import { RoleIds, roleGuid } from "./roles.ts";

export const releaseRoleKeyScopeOnly: CleanRoomResourcePolicy = {
  name: "release-role-key-scope-only",
  description:
    "Key Vault Crypto Service Release User (08bbd89e-9f13-488c-ac41-acfcb10c90ab) is granted only at key scope, so a grant for one party's key never covers another party's key.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Scope the assignment to /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>/keys/<key> (PartyVault does this).",
  validateResource: forTypes([AzureTypes.roleAssignment], (props, args, report) => {
    if (roleGuid(props.roleDefinitionId) !== RoleIds.keyVaultCryptoServiceReleaseUser) return;
    const scope = props.scope;
    const parsed = typeof scope === "string" ? parseArmScope(scope) : undefined;
    if (!parsed || !keyOfScope(parsed)) {
      report(
        `role assignment ${args.name} grants the release role at scope ${JSON.stringify(scope ?? null)}; the release role may only be granted on one Key Vault key (.../vaults/<vault>/keys/<key>).`,
      );
    }
  }),
};

export const rbacPolicies = [releaseRoleKeyScopeOnly];
