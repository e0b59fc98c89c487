// Deterministic physical names within Azure's limits. Auto-naming would ignore the limits (and add
// random suffixes that change on replacement), so every name is computed here from the
// collaboration, the party and a naming seed. Rules: learn.microsoft.com/azure/azure-resource-manager/
// management/resource-name-rules (Key Vault, Storage, AKS, Attestation, containers).
import { createHash } from "node:crypto";
import { formatKeyVaultKeyId } from "../enclave-app/src/protocol/index.ts";

export const NAME_RULES = {
  /** Key Vault: 3-24, alphanumerics and hyphens, starts with a letter, ends with a letter or digit, no "--". */
  vault: /^(?=.{3,24}$)[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/,
  /** Storage account: 3-24 lowercase letters and digits. */
  storageAccount: /^[a-z0-9]{3,24}$/,
  /** AKS agent pool (Linux): lowercase letter then up to 11 lowercase alphanumerics. */
  agentPool: /^[a-z][a-z0-9]{0,11}$/,
  /** AKS cluster, resource group and blob container names used by this project: 3-63, lowercase alphanumerics and single hyphens. */
  dnsLabel: /^(?=.{3,63}$)[a-z0-9](-?[a-z0-9])*$/,
  /** Attestation provider: 3-24 alphanumerics. */
  attestationProvider: /^[a-zA-Z0-9]{3,24}$/,
  /** Key Vault key: 1-127 alphanumerics and hyphens. */
  key: /^[a-zA-Z0-9-]{1,127}$/,
  /** Kubernetes object names (RFC 1123 label). */
  k8sLabel: /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  /** Collaboration names: they prefix every other name, so they follow the strictest common rule. */
  collaboration: /^(?=.{3,40}$)[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
  /** Party names: the contract's rule plus no "--" and no trailing "-" (they end up in vault and container names). */
  party: /^[a-z](?!.*--)[a-z0-9-]{0,21}[a-z0-9]$/,
} as const;

/** First `length` hex chars of sha256 over the parts (NUL-separated so ("ab","c") != ("a","bc")). */
export function shortHash(length: number, ...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, length);
}

function alnum(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function trimHyphens(value: string): string {
  return value.replace(/-+$/g, "").replace(/^-+/g, "");
}

export interface NamingContext {
  collaboration: string;
  /** Changes every globally unique name (vaults, storage, attestation) without changing the collaboration. */
  seed: string;
}

export function namingContext(collaboration: string, seed?: string): NamingContext {
  return { collaboration, seed: seed ?? collaboration };
}

export function resourceGroupName(ctx: NamingContext, suffix = "rg"): string {
  return `${ctx.collaboration}-${suffix}`;
}

export function clusterName(ctx: NamingContext): string {
  return `${ctx.collaboration}-aks`;
}

export function nodeResourceGroupName(ctx: NamingContext): string {
  return `${ctx.collaboration}-aks-nodes`;
}

export function vnetName(ctx: NamingContext): string {
  return `${ctx.collaboration}-vnet`;
}

export function identityName(ctx: NamingContext, role: "controlplane" | "kubelet" | "workload"): string {
  return `${ctx.collaboration}-${role}`;
}

/** Globally unique (DNS): party prefix + hash of seed and party. Always 3-24 chars, no "--". */
export function vaultName(ctx: NamingContext, party: string): string {
  const prefix = trimHyphens(party.slice(0, 15));
  return `${prefix}-${shortHash(8, ctx.seed, "vault", party)}`;
}

/** Globally unique (DNS): collaboration letters + hash. */
export function storageAccountName(ctx: NamingContext): string {
  return `${alnum(ctx.collaboration).slice(0, 16)}${shortHash(8, ctx.seed, "storage")}`;
}

export function attestationProviderName(ctx: NamingContext): string {
  return `${alnum(ctx.collaboration).slice(0, 15)}at${shortHash(7, ctx.seed, "attestation")}`;
}

// Container names are a fact the enclave relies on too (contract blob paths): defined in the protocol.
export { inputContainerName, OUTPUT_CONTAINER_NAME } from "../enclave-app/src/protocol/index.ts";

// Key names (`<party>-kek-rsa<bits>-<digest prefix>`) come from the protocol's kekKeyName, shared
// with the local clean room.

export const VAULT_DNS_SUFFIX = "vault.azure.net";

export function vaultUri(name: string): string {
  return `https://${name}.${VAULT_DNS_SUFFIX}/`;
}

/** Versionless key id: what the contract pins and what Key Vault resolves to the current version. */
export function versionlessKeyId(vault: string, key: string): string {
  return formatKeyVaultKeyId({ vaultUrl: `https://${vault}.${VAULT_DNS_SUFFIX}`, name: key });
}

export function blobEndpoint(account: string): string {
  return `https://${account}.blob.core.windows.net`;
}
