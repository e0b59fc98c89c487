// Azure built-in role definition ids the clean room grants or forbids
// (learn.microsoft.com/azure/role-based-access-control/built-in-roles; ids from
// ../shared/reference/azure.md where listed there). One table for the components, which grant them,
// and the policy pack, which checks who holds them. A role assignment's roleDefinitionId is a full
// id, /subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>.
export const AzureRoles = {
  /** Data action keys/release/action only: the identity Secure Key Release authenticates as, at key scope. */
  keyVaultCryptoServiceReleaseUser: { id: "08bbd89e-9f13-488c-ac41-acfcb10c90ab", name: "Key Vault Crypto Service Release User" },
  /** get/wrap/unwrap/encrypt on keys (not release): uploaders read their key's public part. */
  keyVaultCryptoUser: { id: "12338af0-0e69-4776-bea7-57ae8d297424", name: "Key Vault Crypto User" },
  /** Key management: the owning party's administrators, at vault scope. */
  keyVaultCryptoOfficer: { id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", name: "Key Vault Crypto Officer" },
  /** Never granted by this project; listed so tests and policies can assert its absence. */
  keyVaultAdministrator: { id: "00482a5a-887f-4fb3-b363-3b7fe8e74483", name: "Key Vault Administrator" },
  /** Can assign the Key Vault data roles (including Administrator): never to an enclave identity. */
  keyVaultDataAccessAdministrator: { id: "8b54135c-b56d-4d72-a534-26097cfdc8d8", name: "Key Vault Data Access Administrator" },
  storageBlobDataReader: { id: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", name: "Storage Blob Data Reader" },
  storageBlobDataContributor: { id: "ba92f5b4-2d11-453d-a403-e96b0029c9fe", name: "Storage Blob Data Contributor" },
  storageBlobDataOwner: { id: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", name: "Storage Blob Data Owner" },
  storageAccountContributor: { id: "17d1049b-9a84-46fb-8f53-869881c3d3ab", name: "Storage Account Contributor" },
  /** AKS control-plane identity on the kubelet identity it assigns to the node pools. */
  managedIdentityOperator: { id: "f1a07417-d97a-45cb-824c-7a7467783830", name: "Managed Identity Operator" },
  /** AKS control-plane identity on a bring-your-own node subnet (join + read). */
  networkContributor: { id: "4d97b98b-1d4f-4787-a291-c67834d212e7", name: "Network Contributor" },
  owner: { id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", name: "Owner" },
  contributor: { id: "b24988ac-6180-42a3-ab88-20f7382dd24c", name: "Contributor" },
  userAccessAdministrator: { id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", name: "User Access Administrator" },
  roleBasedAccessControlAdministrator: { id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168", name: "Role Based Access Control Administrator" },
} as const;

export type AzureRole = keyof typeof AzureRoles;

/** Role name -> role definition GUID. */
export const AzureRoleIds = Object.fromEntries(Object.entries(AzureRoles).map(([k, v]) => [k, v.id])) as {
  readonly [K in AzureRole]: (typeof AzureRoles)[K]["id"];
};

const NAMES_BY_ID: ReadonlyMap<string, string> = new Map(Object.values(AzureRoles).map((r) => [r.id, r.name]));

/** The display name of a built-in role GUID, or undefined for one this table does not know. */
export function azureRoleName(guid: string): string | undefined {
  return NAMES_BY_ID.get(guid.toLowerCase());
}
