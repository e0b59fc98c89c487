// Each input container is writable only by its owner's principals: whoever can write input-<party>
// can replace that party's ciphertext. A party's principals are those the stack gives a role on the
// party's own vault or key (its administrators and uploaders) and on no other party's, minus the
// enclave identities, which only ever read inputs. Assignments at a broader scope (account, resource
// group, subscription) count as writes to every input container they may cover.
import type { PolicyResource } from "@pulumi/policy";
import { accountOfScope, containerOfScope, keyOfScope, vaultOfScope } from "../arm-id.ts";
import type { CleanRoomStackPolicy } from "../policy.ts";
import { BLOB_WRITE_ROLES, RoleIds, roleName } from "../roles.ts";
import {
  blobContainersOf,
  grantsOf,
  keysOf,
  containerGroupPrincipalsOf,
  kubeletPrincipalsOf,
  vaultsOf,
  workloadPrincipalsOf,
  type ContainerView,
  type GrantView,
} from "./model.ts";

/** Whether a grant's scope covers the container (exactly, its account, or a resource group/subscription above it). */
function covers(grant: GrantView, container: ContainerView, resourceGroupOf: (r: PolicyResource) => string | undefined): boolean {
  const exact = containerOfScope(grant.parsed);
  if (exact) return exact.container === container.name && (container.account === undefined || exact.account === container.account);
  const account = accountOfScope(grant.parsed);
  if (account) return container.account === undefined || account === container.account;
  if (grant.parsed.resources.length > 0) return false;
  // Resource group or subscription scope: covers the container unless we know it lives elsewhere.
  if (grant.parsed.resourceGroup) {
    const rg = resourceGroupOf(container.resource);
    return rg === undefined || rg.toLowerCase() === grant.parsed.resourceGroup;
  }
  return true;
}

export const stackInputContainerOwnerWrites: CleanRoomStackPolicy = {
  name: "stack-input-container-owner-writes",
  description:
    "Each input container input-<party> is writable only by that party's principals (those holding a role on its own vault or key and on no other party's); nobody else, the enclave included, gets a write role on it or above it.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Grant Storage Blob Data Contributor on input-<party> only to that party's uploaders (SharedStorage does); give the enclave Storage Blob Data Reader; remove write-capable roles at account, resource group or subscription scope.",
  validateStack: (args, report) => {
    const inputs = blobContainersOf(args.resources).filter((c) => c.inputOf !== undefined);
    if (inputs.length === 0) args.notApplicable("the stack has no input containers (input-<party>)");
    const vaults = vaultsOf(args.resources);
    const keys = keysOf(args.resources, vaults);
    const grants = grantsOf(args.resources);
    const enclave = new Set([...kubeletPrincipalsOf(args.resources), ...workloadPrincipalsOf(args.resources), ...containerGroupPrincipalsOf(args.resources)]);
    const resourceGroupOf = (r: PolicyResource) => (typeof r.props.resourceGroupName === "string" ? r.props.resourceGroupName : undefined);

    // principal -> parties on whose own vault or key it holds a role (release grants aside: they are the enclave's)
    const partiesByPrincipal = new Map<string, Set<string>>();
    const partiesOfScope = (g: GrantView): string[] => {
      const key = keyOfScope(g.parsed);
      const vault = key?.vault ?? vaultOfScope(g.parsed);
      if (!vault) return [];
      const owners = new Set<string>();
      for (const v of vaults) if (v.name === vault && v.party) owners.add(v.party);
      for (const k of keys) if (k.vault === vault && k.party && (!key || k.name === key.key)) owners.add(k.party);
      return [...owners];
    };
    for (const g of grants) {
      if (g.role === RoleIds.keyVaultCryptoServiceReleaseUser) continue;
      for (const party of partiesOfScope(g)) {
        if (!partiesByPrincipal.has(g.principalId)) partiesByPrincipal.set(g.principalId, new Set());
        partiesByPrincipal.get(g.principalId)!.add(party);
      }
    }
    // A party's principals: roles on its vault or key and on no other party's (a principal shared by two
    // parties could replace either one's inputs), never an enclave identity (it only reads inputs).
    const principalsOf = (party: string): Set<string> => {
      const out = new Set<string>();
      for (const [principal, parties] of partiesByPrincipal) if (parties.size === 1 && parties.has(party) && !enclave.has(principal)) out.add(principal);
      return out;
    };

    for (const container of inputs) {
      const party = container.inputOf!;
      const owners = principalsOf(party);
      for (const grant of grants) {
        if (!BLOB_WRITE_ROLES.has(grant.role) || !covers(grant, container, resourceGroupOf)) continue;
        if (owners.has(grant.principalId)) continue;
        const shared = [...(partiesByPrincipal.get(grant.principalId) ?? [])].sort();
        const who = enclave.has(grant.principalId)
          ? `the enclave identity ${grant.principalId}`
          : shared.length > 1
            ? `principal ${grant.principalId} (which holds roles on the keys of ${shared.join(", ")})`
            : `principal ${grant.principalId}`;
        report(
          `${who} can write input container "${container.name}" (${roleName(grant.role)} at ${grant.scope}) but is not one of party "${party}"'s principals; only ${party}'s own principals may write its inputs.`,
          grant.resource.urn,
        );
      }
    }
  },
};
