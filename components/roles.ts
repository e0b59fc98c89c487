// Built-in Azure role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
// Role assignments always use the full id with the subscription of the resource they are scoped to,
// which matters when a party's vault lives in another subscription.
export const BuiltInRoles = {
  /** keys/release/action only: the identity Secure Key Release authenticates as, at key scope. */
  keyVaultCryptoServiceReleaseUser: "08bbd89e-9f13-488c-ac41-acfcb10c90ab",
  /** get/wrap/unwrap/encrypt on keys (not release): uploaders read their key's public part. */
  keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
  /** key management: the owning party's administrators, at vault scope. */
  keyVaultCryptoOfficer: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
  /** Never granted by this project; listed so tests can assert its absence. */
  keyVaultAdministrator: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  /** AKS control-plane identity on the kubelet identity it assigns to the node pools. */
  managedIdentityOperator: "f1a07417-d97a-45cb-824c-7a7467783830",
  /** AKS control-plane identity on a bring-your-own node subnet (join + read). */
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
} as const;

export type BuiltInRole = keyof typeof BuiltInRoles;

const SUBSCRIPTION_IN_ID = /^\/subscriptions\/([^/]+)\//i;

/** The subscription id in an ARM resource id. */
export function subscriptionOf(resourceId: string): string {
  const m = SUBSCRIPTION_IN_ID.exec(resourceId);
  if (!m?.[1]) throw new Error(`"${resourceId}" is not an ARM resource id (expected /subscriptions/<id>/...)`);
  return m[1];
}

export function roleDefinitionId(subscriptionId: string, role: BuiltInRole): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles[role]}`;
}

/** Role definition id in the subscription that holds `scopeResourceId`. */
export function roleDefinitionIdForScope(scopeResourceId: string, role: BuiltInRole): string {
  return roleDefinitionId(subscriptionOf(scopeResourceId), role);
}

/** Scope string of one key, which the release role is assigned at. */
export function keyScope(vaultId: string, keyName: string): string {
  return `${vaultId}/keys/${keyName}`;
}

export type PrincipalType = "User" | "Group" | "ServicePrincipal";

/** A principal that receives a role: an Entra object id, with its type when known (avoids replication-delay failures). */
export type PrincipalRef = string | { objectId: string; type?: PrincipalType };

export function normalizePrincipal(p: PrincipalRef): { objectId: string; type?: PrincipalType } {
  return typeof p === "string" ? { objectId: p } : p;
}
