import { AzureRoleIds, azureRoleName } from "../../enclave-app/src/protocol/index.ts";

/** Built-in role definition GUIDs (one table, in the protocol, shared with the components). */
export const RoleIds = AzureRoleIds;

/**
 * Roles that let a principal write blobs in a container within their scope: the data-plane writers,
 * and the control-plane roles that can list account keys or grant themselves a data role.
 */
export const BLOB_WRITE_ROLES: ReadonlySet<string> = new Set([
  RoleIds.storageBlobDataContributor,
  RoleIds.storageBlobDataOwner,
  RoleIds.storageAccountContributor,
  RoleIds.contributor,
  RoleIds.owner,
  RoleIds.userAccessAdministrator,
  RoleIds.roleBasedAccessControlAdministrator,
]);

/**
 * Key-management roles that can also release a key: their data actions (Crypto Officer
 * `Microsoft.KeyVault/vaults/keys/*`, Administrator `Microsoft.KeyVault/vaults/*`) include
 * `keys/release/action`. A party's administrators hold Crypto Officer on their own vault; anyone
 * else holding one of these on a key could release it from any compliant confidential VM.
 */
export const KEY_MANAGEMENT_ROLES_WITH_RELEASE: ReadonlySet<string> = new Set([RoleIds.keyVaultCryptoOfficer, RoleIds.keyVaultAdministrator]);

/** Roles the enclave identities must never hold: each one can take over keys, data or the role assignments themselves. */
export const DEFAULT_FORBIDDEN_ENCLAVE_ROLES: readonly string[] = [
  RoleIds.owner,
  RoleIds.contributor,
  RoleIds.userAccessAdministrator,
  RoleIds.keyVaultAdministrator,
  RoleIds.keyVaultDataAccessAdministrator,
  RoleIds.roleBasedAccessControlAdministrator,
];

/** The GUID at the end of a roleDefinitionId (lower-case), or the value itself when it is a bare GUID. */
export function roleGuid(roleDefinitionId: unknown): string | undefined {
  if (typeof roleDefinitionId !== "string" || roleDefinitionId === "") return undefined;
  return roleDefinitionId.replace(/\/+$/, "").split("/").pop()!.toLowerCase();
}

export function roleName(guid: string): string {
  const name = azureRoleName(guid);
  return name ? `${name} (${guid})` : guid;
}
