// ARM resource ids as role assignment scopes: what a scope points at exactly (a vault, a key, a
// container, an account). ARM ids compare case-insensitively.
export interface ArmScope {
  /** Lower-case, without a trailing slash. */
  normalized: string;
  subscriptionId?: string;
  resourceGroup?: string;
  /** Provider path after "/providers/": [{type: "Microsoft.KeyVault/vaults", name: "v"}, {type: "keys", name: "k"}]. */
  resources: { type: string; name: string }[];
}

export function normalizeArmId(id: string): string {
  return id.trim().replace(/\/+$/, "").toLowerCase();
}

export function parseArmScope(id: string): ArmScope | undefined {
  const normalized = normalizeArmId(id);
  if (!normalized.startsWith("/")) return undefined;
  const parts = normalized.split("/").slice(1);
  const scope: ArmScope = { normalized, resources: [] };
  let i = 0;
  if (parts[i] === "subscriptions" && parts[i + 1]) {
    scope.subscriptionId = parts[i + 1];
    i += 2;
  }
  if (parts[i] === "resourcegroups" && parts[i + 1]) {
    scope.resourceGroup = parts[i + 1];
    i += 2;
  }
  if (parts[i] === "providers" && parts[i + 1] && parts[i + 2]) {
    const namespace = parts[i + 1]!;
    let type = `${namespace}/${parts[i + 2]}`;
    i += 3;
    while (i < parts.length) {
      const name = parts[i];
      if (name === undefined) break;
      scope.resources.push({ type, name });
      i += 1;
      const next = parts[i];
      if (next === undefined) break;
      type = next;
      i += 1;
    }
  }
  return scope;
}

/** The Key Vault key a scope names exactly: .../providers/Microsoft.KeyVault/vaults/<vault>/keys/<key>. */
export function keyOfScope(scope: ArmScope): { vault: string; key: string } | undefined {
  const [vault, key, ...rest] = scope.resources;
  if (vault?.type === "microsoft.keyvault/vaults" && key?.type === "keys" && rest.length === 0) return { vault: vault.name, key: key.name };
  return undefined;
}

/** The vault a scope names exactly (vault scope, not one of its keys). */
export function vaultOfScope(scope: ArmScope): string | undefined {
  const [vault, ...rest] = scope.resources;
  return vault?.type === "microsoft.keyvault/vaults" && rest.length === 0 ? vault.name : undefined;
}

/** The blob container a scope names exactly: .../storageAccounts/<a>/blobServices/default/containers/<c>. */
export function containerOfScope(scope: ArmScope): { account: string; container: string } | undefined {
  const [account, service, container, ...rest] = scope.resources;
  if (account?.type === "microsoft.storage/storageaccounts" && service?.type === "blobservices" && container?.type === "containers" && rest.length === 0) {
    return { account: account.name, container: container.name };
  }
  return undefined;
}

/** The storage account a scope names exactly. */
export function accountOfScope(scope: ArmScope): string | undefined {
  const [account, ...rest] = scope.resources;
  return account?.type === "microsoft.storage/storageaccounts" && rest.length === 0 ? account.name : undefined;
}
