// Every key's release role goes to the enclave's release identity and to nobody else. In
// confidential-node mode that identity is the cluster's kubelet identity: Microsoft's CVM release
// tool authenticates through IMDS as the node, and the release policy's claims confine release to
// the confidential pool. In confidential-container mode it is the user-assigned identity of the
// Confidential ACI group, confined by the release policy's hostdata. Any other holder of the role could release the key wherever it can obtain
// a compliant attestation token.
//
// The dedicated release role is not the only way to release: Key Vault Crypto Officer and Key Vault
// Administrator include it. A party's own administrators hold Crypto Officer on their own vault (they
// could release their own key, which is theirs anyway); such a role held by an enclave identity, or
// covering the keys of another party, is as dangerous as a stray release grant.
import { keyOfScope, vaultOfScope } from "../arm-id.ts";
import type { CleanRoomStackPolicy } from "../policy.ts";
import { KEY_MANAGEMENT_ROLES_WITH_RELEASE, RoleIds, roleName } from "../roles.ts";
import {
  grantsOf,
  keysOf,
  releasePrincipalsOf,
  scopeCoversKey,
  vaultsOf,
  workloadPrincipalsOf,
  type GrantView,
  type KeyView,
  type VaultView,
} from "./model.ts";

const quoted = (names: string[]) => names.map((k) => `"${k}"`).join(", ");
const keysPhrase = (keys: KeyView[]) => `key${keys.length > 1 ? "s" : ""} ${quoted(keys.map((k) => k.name))}`;

export const stackReleaseRoleEnclaveOnly: CleanRoomStackPolicy = {
  name: "stack-release-role-enclave-only",
  description:
    "The release role (Key Vault Crypto Service Release User) on every key — granted at the key or any scope above it — is held only by the enclave's release identity (the AKS kubelet identity, or in confidential-container mode the identity of the Confidential ACI group); key-management roles that include release (Key Vault Crypto Officer, Key Vault Administrator) are held by no enclave identity and by no principal across parties.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Remove release-role assignments for any principal other than the enclave's release identity, the cluster's kubelet identity or the confidential container group's identity (PartyVault grants exactly one, at key scope); grant Key Vault Crypto Officer only to a party's own administrators, on that party's vault (PartyVault does), never at resource group or subscription scope and never to an enclave identity.",
  validateStack: (args, report) => {
    const all = grantsOf(args.resources);
    const releaseGrants = all.filter((g) => g.role === RoleIds.keyVaultCryptoServiceReleaseUser);
    const managementGrants = all.filter((g) => KEY_MANAGEMENT_ROLES_WITH_RELEASE.has(g.role));
    if (releaseGrants.length + managementGrants.length === 0) args.notApplicable("no role assignment in the stack can release a key");
    const vaults = vaultsOf(args.resources);
    const keys = keysOf(args.resources, vaults);
    const vaultOf = (k: KeyView) => vaults.find((v) => v.name === k.vault) ?? detachedVault(k);
    // Keys a grant can release; a key whose vault the stack does not show counts as covered by broad scopes.
    const coveredKeys = (g: GrantView) => keys.filter((k) => k.vault !== undefined && scopeCoversKey(g.parsed, vaultOf(k), k.name));
    const releaseIdentities = releasePrincipalsOf(args.resources);

    for (const grant of releaseGrants) {
      if (releaseIdentities.has(grant.principalId)) continue;
      const covered = coveredKeys(grant);
      const what = covered.length > 0 ? keysPhrase(covered) : `scope ${grant.scope}`;
      const expected = releaseIdentities.size > 0 ? `only the enclave's release identity (${[...releaseIdentities].join(", ")})` : "only the enclave's release identity, and the stack has none (no AKS kubelet identity, no Confidential ACI group identity)";
      report(`principal ${grant.principalId} holds the release role on ${what}; ${expected} may release keys.`, grant.resource.urn);
    }

    if (managementGrants.length === 0) return;
    const enclave = new Set([...releaseIdentities, ...workloadPrincipalsOf(args.resources)]);
    // The party a key belongs to; a key without one stands for a party of its own (its vault).
    const partyOfKey = (k: KeyView) => k.party ?? `the owner of vault ${k.vault}`;
    // Parties whose vault or key a principal holds a role on at exactly that scope (a party's administrators
    // and uploaders). Broader grants say nothing about whose principal it is.
    const partiesOfPrincipal = (principal: string): Set<string> => {
      const out = new Set<string>();
      for (const g of all) {
        if (g.principalId !== principal || !(keyOfScope(g.parsed) || vaultOfScope(g.parsed))) continue;
        for (const k of coveredKeys(g)) out.add(partyOfKey(k));
      }
      return out;
    };

    for (const grant of managementGrants) {
      const covered = coveredKeys(grant);
      if (covered.length === 0) continue;
      const role = roleName(grant.role);
      if (enclave.has(grant.principalId)) {
        report(
          `the enclave identity ${grant.principalId} holds ${role} at ${grant.scope}, which can release ${keysPhrase(covered)}; the enclave may release keys only through the release role at key scope.`,
          grant.resource.urn,
        );
        continue;
      }
      const parties = new Set([...covered.map(partyOfKey), ...partiesOfPrincipal(grant.principalId)]);
      if (parties.size > 1) {
        report(
          `principal ${grant.principalId} holds ${role} at ${grant.scope}, which can release ${keysPhrase(covered)}, and holds roles on the keys of several parties (${[...parties].sort().join(", ")}); only one party's own administrators may hold a key-management role on its key.`,
          grant.resource.urn,
        );
      }
    }
  },
};

/** A stand-in for a key's vault that the stack does not declare: only its name is known. */
function detachedVault(k: KeyView): VaultView {
  return { resource: k.resource, name: k.vault!, party: k.party, location: () => ({}) };
}
