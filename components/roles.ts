// Role assignments always use the full id with the subscription of the resource they are scoped to,
// which matters when a party's vault lives in another subscription.
import { AzureRoleIds } from "../enclave-app/src/protocol/index.ts";

/** Built-in role definition GUIDs, shared with the policy pack through the protocol module. */
export const BuiltInRoles = AzureRoleIds;

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
