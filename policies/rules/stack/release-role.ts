// Every key's release role goes to the enclave's release identity and to nobody else. In
// confidential-node mode that identity is the cluster's kubelet identity: Microsoft's CVM release
// tool authenticates through IMDS as the node, and the release policy's claims confine release to
// the confidential pool. Any other holder of the role could release the key wherever it can obtain
// a compliant attestation token.
import type { CleanRoomStackPolicy } from "../policy.ts";
import { RoleIds } from "../roles.ts";
import { grantsOf, keysOf, kubeletPrincipalsOf } from "./model.ts";

/** ARM scope of a key, as far as the props tell it: enough to test which grants contain it. */
function keyScopeSuffix(vault: string, key: string): string {
  return `/providers/microsoft.keyvault/vaults/${vault}/keys/${key}`;
}

export const stackReleaseRoleEnclaveOnly: CleanRoomStackPolicy = {
  name: "stack-release-role-enclave-only",
  description:
    "The release role (Key Vault Crypto Service Release User) on every key — granted at the key or any scope above it — is held only by the enclave's release identity (the AKS kubelet identity).",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps: "Remove release-role assignments for any principal other than the cluster's kubelet identity (PartyVault grants exactly one, at key scope).",
  validateStack: (args, report) => {
    const grants = grantsOf(args.resources).filter((g) => g.role === RoleIds.keyVaultCryptoServiceReleaseUser);
    if (grants.length === 0) args.notApplicable("no release-role assignment in the stack");
    const releaseIdentities = kubeletPrincipalsOf(args.resources);
    const keys = keysOf(args.resources);
    for (const grant of grants) {
      if (releaseIdentities.has(grant.principalId)) continue;
      const covered = keys.filter((k) => k.vault !== undefined && coversKey(grant.parsed.normalized, k.vault, k.name)).map((k) => k.name);
      const what = covered.length > 0 ? `key${covered.length > 1 ? "s" : ""} ${covered.map((k) => `"${k}"`).join(", ")}` : `scope ${grant.scope}`;
      const expected = releaseIdentities.size > 0 ? `only the enclave's release identity (${[...releaseIdentities].join(", ")})` : "only the enclave's release identity, and the stack has none (no AKS kubelet identity)";
      report(`principal ${grant.principalId} holds the release role on ${what}; ${expected} may release keys.`, grant.resource.urn);
    }
  },
};

/** A grant covers a key when its scope is the key itself or a vault/resource group/subscription above it. */
function coversKey(scope: string, vault: string, key: string): boolean {
  const suffix = keyScopeSuffix(vault, key);
  if (scope.endsWith(suffix)) return true;
  const vaultSuffix = `/providers/microsoft.keyvault/vaults/${vault}`;
  if (scope.endsWith(vaultSuffix)) return true;
  // A resource group or subscription scope contains every vault below it (the key's resource group
  // is not among a deployed key's outputs, so any such grant counts).
  return !scope.includes("/providers/");
}
