// Key Vault: the vault that holds a party's key-encryption key must be able to hold HSM keys with a
// release policy (Premium), authorise only through Azure RBAC, and survive deletion long enough for
// the owner to notice (soft delete + purge protection).
import { defineConfig, forTypes, type CleanRoomResourcePolicy, type Props } from "./policy.ts";
import { resourceLabel } from "./props.ts";
import { AzureTypes } from "./resource-types.ts";

const vaultLabel = (props: Props, name: string) => resourceLabel("Key Vault", props, ["vaultName"], name);

export const keyVaultPremiumSku: CleanRoomResourcePolicy = {
  name: "keyvault-premium-sku",
  description: "Key Vaults use the Premium SKU: Secure Key Release needs HSM-backed (RSA-HSM/EC-HSM) keys, which Standard vaults cannot hold.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: 'Set properties.sku to { family: "A", name: "premium" } (PartyVault does this).',
  validateResource: forTypes([AzureTypes.vault], (props, args, report) => {
    const sku = props.properties?.sku?.name;
    if (typeof sku !== "string" || sku.toLowerCase() !== "premium") {
      report(`${vaultLabel(props, args.name)} uses SKU ${JSON.stringify(sku ?? null)}; a clean-room vault must be "premium" to hold HSM keys with a release policy.`);
    }
  }),
};

export const keyVaultRbacAuthorization: CleanRoomResourcePolicy = {
  name: "keyvault-rbac-authorization",
  description: "Key Vaults authorise data-plane access with Azure RBAC only, so the release role can be granted at key scope and access policies cannot bypass it.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set properties.enableRbacAuthorization to true and remove properties.accessPolicies.",
  validateResource: forTypes([AzureTypes.vault], (props, args, report) => {
    if (props.properties?.enableRbacAuthorization !== true) {
      report(`${vaultLabel(props, args.name)} does not set enableRbacAuthorization: true; access policies would grant vault-wide key permissions that no key-scoped role assignment can restrict.`);
    }
  }),
};

export const keyVaultPurgeProtection: CleanRoomResourcePolicy = {
  name: "keyvault-purge-protection",
  description: "Key Vaults have purge protection, so nobody (an admin or a compromised pipeline) can destroy a party's key-encryption key for good before the retention period ends.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set properties.enablePurgeProtection to true (it cannot be turned off afterwards).",
  validateResource: forTypes([AzureTypes.vault], (props, args, report) => {
    if (props.properties?.enablePurgeProtection !== true) {
      report(`${vaultLabel(props, args.name)} does not set enablePurgeProtection: true; a deleted key could be purged immediately.`);
    }
  }),
};

const softDeleteConfig = defineConfig<{ minimumRetentionDays: number }>({
  minimumRetentionDays: {
    type: "integer",
    minimum: 7,
    maximum: 90,
    default: 7,
    description: "Smallest softDeleteRetentionInDays accepted (Azure allows 7 to 90; it uses 90 when the property is absent).",
  },
});

export const keyVaultSoftDelete: CleanRoomResourcePolicy = {
  name: "keyvault-soft-delete",
  description: "Key Vaults keep deleted keys recoverable (soft delete) for at least the configured number of days.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: "Leave properties.enableSoftDelete at true and set properties.softDeleteRetentionInDays to at least the configured minimum (PartyVault uses 90).",
  configSchema: softDeleteConfig.schema,
  validateResource: forTypes([AzureTypes.vault], (props, args, report) => {
    const { minimumRetentionDays } = softDeleteConfig.read(args);
    const p = props.properties;
    if (p?.enableSoftDelete === false) {
      report(`${vaultLabel(props, args.name)} disables soft delete; a deleted key could not be recovered.`);
      return;
    }
    // Azure applies 90 days when the property is absent.
    const days = p?.softDeleteRetentionInDays ?? 90;
    if (typeof days !== "number" || days < minimumRetentionDays) {
      report(`${vaultLabel(props, args.name)} keeps deleted keys for ${JSON.stringify(days)} days; the minimum is ${minimumRetentionDays}.`);
    }
  }),
};

export const keyVaultNetworkDefaultDeny: CleanRoomResourcePolicy = {
  name: "keyvault-network-default-deny",
  description: "Key Vault firewalls deny by default and admit only the enclave subnet and the owning party's networks.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: 'Set properties.networkAcls.defaultAction to "Deny" with the node subnet and the party\'s IP ranges as exceptions, or properties.publicNetworkAccess to "Disabled" with private endpoints.',
  validateResource: forTypes([AzureTypes.vault], (props, args, report) => {
    const p = props.properties;
    const publicAccess = p?.publicNetworkAccess;
    if (typeof publicAccess === "string" && publicAccess.toLowerCase() === "disabled") return;
    const action = p?.networkAcls?.defaultAction;
    if (typeof action !== "string" || action.toLowerCase() !== "deny") {
      report(`${vaultLabel(props, args.name)} network default action is ${JSON.stringify(action ?? "Allow (default)")}; any network could reach the vault's data plane.`);
    }
  }),
};

export const keyVaultPolicies = [keyVaultPremiumSku, keyVaultRbacAuthorization, keyVaultPurgeProtection, keyVaultSoftDelete, keyVaultNetworkDefaultDeny];
