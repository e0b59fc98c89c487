// Azure built-in role definition ids the policies reason about
// (learn.microsoft.com/azure/role-based-access-control/built-in-roles). A role assignment's
// roleDefinitionId is a full id whose last segment is one of these GUIDs.
export const RoleIds = {
  /** Data action keys/release/action only: what Secure Key Release checks. */
  keyVaultCryptoServiceReleaseUser: "08bbd89e-9f13-488c-ac41-acfcb10c90ab",
  keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
  keyVaultCryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
  keyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a3-ab88-20f7382dd24c",
  userAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  roleBasedAccessControlAdministrator: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
  storageAccountContributor: "17d1049b-9a84-46fb-8f53-869881c3d3ab",
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
} as const;

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

/** Roles the enclave identities must never hold: each one can take over keys, data or the role assignments themselves. */
export const DEFAULT_FORBIDDEN_ENCLAVE_ROLES: readonly string[] = [
  RoleIds.owner,
  RoleIds.contributor,
  RoleIds.userAccessAdministrator,
  RoleIds.keyVaultAdministrator,
  RoleIds.roleBasedAccessControlAdministrator,
];

const ROLE_NAMES: Readonly<Record<string, string>> = {
  [RoleIds.keyVaultCryptoServiceReleaseUser]: "Key Vault Crypto Service Release User",
  [RoleIds.keyVaultCryptoUser]: "Key Vault Crypto User",
  [RoleIds.keyVaultCryptoOfficer]: "Key Vault Crypto Officer",
  [RoleIds.keyVaultAdministrator]: "Key Vault Administrator",
  [RoleIds.owner]: "Owner",
  [RoleIds.contributor]: "Contributor",
  [RoleIds.userAccessAdministrator]: "User Access Administrator",
  [RoleIds.roleBasedAccessControlAdministrator]: "Role Based Access Control Administrator",
  [RoleIds.storageAccountContributor]: "Storage Account Contributor",
  [RoleIds.storageBlobDataOwner]: "Storage Blob Data Owner",
  [RoleIds.storageBlobDataContributor]: "Storage Blob Data Contributor",
  [RoleIds.storageBlobDataReader]: "Storage Blob Data Reader",
};

/** The GUID at the end of a roleDefinitionId (lower-case), or the value itself when it is a bare GUID. */
export function roleGuid(roleDefinitionId: unknown): string | undefined {
  if (typeof roleDefinitionId !== "string" || roleDefinitionId === "") return undefined;
  return roleDefinitionId.replace(/\/+$/, "").split("/").pop()!.toLowerCase();
}

export function roleName(guid: string): string {
  return ROLE_NAMES[guid] ? `${ROLE_NAMES[guid]} (${guid})` : guid;
}
