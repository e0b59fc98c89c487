// Each input container is writable only by its owner's principals: whoever can write input-<party>
// can replace that party's ciphertext. A party's principals are those the stack gives a role on the
// party's own vault or key (its administrators and uploaders), minus the enclave identities, which
// only ever read inputs. Assignments at a broader scope (account, resource group, subscription)
// count as writes to every input container they may cover.
import type { PolicyResource } from "@pulumi/policy";
import { accountOfScope, containerOfScope, keyOfScope, vaultOfScope } from "../arm-id.ts";
import type { CleanRoomStackPolicy } from "../policy.ts";
import { BLOB_WRITE_ROLES, RoleIds, roleName } from "../roles.ts";
import {
  blobContainersOf,
  grantsOf,
  keysOf,
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
    "Each input container input-<party> is writable only by that party's principals (those holding a role on its own vault or key); nobody else, the enclave included, gets a write role on it or above it.",
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
    const enclave = new Set([...kubeletPrincipalsOf(args.resources), ...workloadPrincipalsOf(args.resources)]);
    const resourceGroupOf = (r: PolicyResource) => (typeof r.props.resourceGroupName === "string" ? r.props.resourceGroupName : undefined);

    const principalsOf = (party: string): Set<string> => {
      const ownVaults = new Set(vaults.filter((v) => v.party === party).map((v) => v.name));
      const ownKeys = keys.filter((k) => k.party === party);
      for (const k of ownKeys) if (k.vault) ownVaults.add(k.vault);
      const out = new Set<string>();
      for (const g of grants) {
        if (g.role === RoleIds.keyVaultCryptoServiceReleaseUser) continue;
        const key = keyOfScope(g.parsed);
        const vault = vaultOfScope(g.parsed);
        if ((vault && ownVaults.has(vault)) || (key && ownKeys.some((k) => k.name === key.key && k.vault === key.vault))) out.add(g.principalId);
      }
      for (const p of enclave) out.delete(p);
      return out;
    };

    for (const container of inputs) {
      const party = container.inputOf!;
      const owners = principalsOf(party);
      for (const grant of grants) {
        if (!BLOB_WRITE_ROLES.has(grant.role) || !covers(grant, container, resourceGroupOf)) continue;
        if (owners.has(grant.principalId)) continue;
        const who = enclave.has(grant.principalId) ? `the enclave identity ${grant.principalId}` : `principal ${grant.principalId}`;
        report(
          `${who} can write input container "${container.name}" (${roleName(grant.role)} at ${grant.scope}) but is not one of party "${party}"'s principals; only ${party}'s own principals may write its inputs.`,
          grant.resource.urn,
        );
      }
    }
  },
};
