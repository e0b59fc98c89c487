// A view of the whole stack for the stack rules: vaults and keys with the party they belong to,
// containers, role assignments with parsed scopes, the enclave identities, the attestation endpoint
// and the contract. Built from what the engine hands a stack validation — each resource's type,
// name, props (its outputs), parent and dependencies — and only from fields both a real deployment's
// outputs and a preview carry: azure-native outputs drop input-only properties such as vaultName or
// accountName, so each link has a fallback (a URI, a parent component, a dependency).
//
// Every accessor reads props lazily, so a rule touches only what it needs; an unknown value during
// preview surfaces as the engine's "can't run during preview" for that rule alone.
import type { PolicyResource } from "@pulumi/policy";
import { ENCLAVE_ENV, normalizeAuthority, PARTY_TAG, parseKeyVaultUrl, partyOfInputContainer, tryParseKeyVaultKeyId } from "../../../enclave-app/src/protocol/index.ts";
import { keyOfScope, parseArmScope, vaultOfScope, type ArmScope } from "../arm-id.ts";
import { AzureTypes, ComponentTypes, KubernetesTypes, STACK_TYPE } from "../resource-types.ts";
import { roleGuid } from "../roles.ts";
import { podTemplateOf, WORKLOAD_TYPES } from "../pod-spec.ts";


const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
const lower = (value: string) => value.toLowerCase();

/**
 * The vault (host label) and key of a key id https://<label>.vault.azure.net/keys/<key>[/<version>],
 * or the vault alone of a vault URI; parsed by the protocol's one key-id parser.
 */
function vaultOfKeyUri(uri: unknown): { vault: string; key?: string } | undefined {
  const text = str(uri);
  if (!text) return undefined;
  const id = tryParseKeyVaultKeyId(text);
  if (id) return { vault: id.vaultName, key: id.name };
  try {
    return { vault: parseKeyVaultUrl(text).vaultName };
  } catch {
    return undefined;
  }
}

function dependencyOfType(resource: PolicyResource, property: string, type: string): PolicyResource | undefined {
  const byProperty = resource.propertyDependencies?.[property] ?? [];
  return byProperty.find((d) => d.type === type) ?? resource.dependencies?.find((d) => d.type === type);
}

/**
 * The party of a resource created by the PartyVault component: the component is named
 * `<clean room name>-<party>` under the CleanRoom component.
 */
function partyFromComponent(resource: PolicyResource): string | undefined {
  const component = resource.parent;
  if (component?.type !== ComponentTypes.partyVault) return undefined;
  const room = component.parent;
  if (room && room.type !== STACK_TYPE && component.name.startsWith(`${room.name}-`)) return component.name.slice(room.name.length + 1);
  return component.name;
}

/**
 * The party a tag map (a vault's or key's `tags`) or a container's `metadata` names under PARTY_TAG,
 * which the components write and which takes precedence over every naming convention. ARM tag names
 * and Blob metadata names are case-insensitive.
 */
function partyLabel(map: unknown): string | undefined {
  if (typeof map !== "object" || map === null) return undefined;
  const entries = map as Record<string, unknown>;
  const key = PARTY_TAG in entries ? PARTY_TAG : Object.keys(entries).find((k) => k.toLowerCase() === PARTY_TAG);
  return key === undefined ? undefined : str(entries[key]);
}

const partyTag = (resource: PolicyResource) => partyLabel(resource.props.tags);

export interface VaultView {
  resource: PolicyResource;
  /** Lower-case (vault names are case-insensitive DNS labels). */
  name: string;
  party?: string;
  /**
   * Lower-case subscription and resource group, from the vault's ARM id (outputs) or its
   * resourceGroupName (inputs). Read on demand: only a scope above the vault needs them.
   */
  location(): { subscriptionId?: string; resourceGroup?: string };
}

export function vaultsOf(resources: PolicyResource[]): VaultView[] {
  return resources
    .filter((r) => r.type === AzureTypes.vault)
    .map((r) => {
      const name = str(r.props.vaultName) ?? str(r.props.name) ?? vaultOfKeyUri(r.props.properties?.vaultUri)?.vault ?? r.name;
      const location = () => {
        const id = str(r.props.id);
        const parsed = id ? parseArmScope(id) : undefined;
        if (parsed?.resourceGroup) return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup };
        const group = str(r.props.resourceGroupName);
        return { resourceGroup: group ? lower(group) : undefined };
      };
      return { resource: r, name: lower(name), party: partyTag(r) ?? partyFromComponent(r), location };
    });
}

/**
 * Whether a role assignment scope contains a vault's keys (`key` undefined) or one key: the key
 * itself, its vault, or a resource group, subscription or management group above the vault. A scope
 * above the vault counts unless the vault's own id shows it lives elsewhere.
 */
export function scopeCoversKey(scope: ArmScope, vault: VaultView, key?: string): boolean {
  const exactKey = keyOfScope(scope);
  if (exactKey) return exactKey.vault === vault.name && (key === undefined || exactKey.key === key);
  const exactVault = vaultOfScope(scope);
  if (exactVault) return exactVault === vault.name;
  if (scope.resources.length > 0) return scope.resources[0]!.type === "microsoft.management/managementgroups";
  const where = vault.location();
  if (scope.subscriptionId && where.subscriptionId && scope.subscriptionId !== where.subscriptionId) return false;
  if (scope.resourceGroup && where.resourceGroup && scope.resourceGroup !== where.resourceGroup) return false;
  return true;
}

export interface KeyView {
  resource: PolicyResource;
  name: string;
  /** Lower-case vault name. */
  vault?: string;
  party?: string;
  /** Read on demand: only the rules that decode the policy should depend on it being known. */
  releasePolicyData(): string | undefined;
}

export function keysOf(resources: PolicyResource[], vaults: VaultView[] = vaultsOf(resources)): KeyView[] {
  return resources
    .filter((r) => r.type === AzureTypes.key)
    .map((r) => {
      // Fallbacks are read only when the previous source is absent, so a value unknown during
      // preview makes a rule unrunnable only when the rule really depends on it.
      const fromUri = () => vaultOfKeyUri(r.props.keyUri) ?? vaultOfKeyUri(r.props.properties?.keyUri);
      const fromDependency = () => {
        const vaultResource = dependencyOfType(r, "vaultName", AzureTypes.vault);
        return vaultResource ? vaults.find((v) => v.resource.urn === vaultResource.urn)?.name : undefined;
      };
      const fromSibling = () => (r.parent ? vaults.find((v) => v.resource.parent?.urn === r.parent!.urn)?.name : undefined);
      const vaultName = str(r.props.vaultName) ?? fromUri()?.vault ?? fromDependency() ?? fromSibling();
      const vault = vaultName ? lower(vaultName) : undefined;
      const name = str(r.props.keyName) ?? str(r.props.name) ?? fromUri()?.key ?? r.name;
      const party = partyTag(r) ?? partyFromComponent(r) ?? vaults.find((v) => v.name === vault)?.party;
      return {
        resource: r,
        name: lower(name),
        vault,
        party,
        // Inputs nest the policy under properties; a deployed key's outputs carry it at the top level.
        releasePolicyData: () => str(r.props.properties?.releasePolicy?.data) ?? str(r.props.releasePolicy?.data),
      };
    });
}

export interface ContainerView {
  resource: PolicyResource;
  name: string;
  /** Lower-case account name, when the props or a dependency say it. */
  account?: string;
  /** The owning party of an input container: its PARTY_TAG metadata, else the name `input-<party>`. */
  inputOf?: string;
}

export function blobContainersOf(resources: PolicyResource[]): ContainerView[] {
  return resources
    .filter((r) => r.type === AzureTypes.blobContainer)
    .map((r) => {
      const name = lower(str(r.props.containerName) ?? str(r.props.name) ?? r.name);
      const accountResource = dependencyOfType(r, "accountName", AzureTypes.storageAccount);
      const account = str(r.props.accountName) ?? (accountResource ? str(accountResource.props.accountName) ?? str(accountResource.props.name) : undefined);
      const inputOf = partyLabel(r.props.metadata) ?? partyOfInputContainer(name);
      return { resource: r, name, account: account ? lower(account) : undefined, inputOf };
    });
}

export interface GrantView {
  resource: PolicyResource;
  principalId: string;
  /** Lower-case role definition GUID. */
  role: string;
  scope: string;
  parsed: ArmScope;
}

export function grantsOf(resources: PolicyResource[]): GrantView[] {
  const out: GrantView[] = [];
  for (const r of resources) {
    if (r.type !== AzureTypes.roleAssignment) continue;
    const principalId = str(r.props.principalId);
    const role = roleGuid(r.props.roleDefinitionId);
    const scope = str(r.props.scope);
    const parsed = scope ? parseArmScope(scope) : undefined;
    if (principalId && role && scope && parsed) out.push({ resource: r, principalId: lower(principalId), role, scope, parsed });
  }
  return out;
}

/** The cluster kubelet identities: what Microsoft's CVM release tool authenticates as (through IMDS). */
export function kubeletPrincipalsOf(resources: PolicyResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    if (r.type !== AzureTypes.managedCluster) continue;
    const id = str(r.props.identityProfile?.kubeletidentity?.objectId);
    if (id) out.add(lower(id));
  }
  return out;
}

/**
 * The identities Confidential ACI container groups (sku Confidential with a ccePolicy) run as: in
 * confidential-container mode the enclave calls Key Vault's release itself, as its group's
 * user-assigned identity, and the release policy's hostdata confines release to that policy.
 * Reads the input form (a list of identity ids) and ARM's output form (a map from id to
 * {principalId, clientId}).
 */
export function containerGroupPrincipalsOf(resources: PolicyResource[]): Set<string> {
  const principalOfId = new Map<string, string>();
  for (const r of resources) {
    if (r.type !== AzureTypes.userAssignedIdentity) continue;
    const id = str(r.props.id);
    const principalId = str(r.props.principalId);
    if (id && principalId) principalOfId.set(lower(id), lower(principalId));
  }
  const out = new Set<string>();
  for (const r of resources) {
    if (r.type !== AzureTypes.containerGroup) continue;
    if (str(r.props.sku) !== "Confidential" || !str(r.props.confidentialComputeProperties?.ccePolicy)) continue;
    const assigned: unknown = r.props.identity?.userAssignedIdentities;
    const entries: [string, unknown][] = Array.isArray(assigned)
      ? assigned.filter((v): v is string => typeof v === "string").map((id) => [id, undefined])
      : assigned && typeof assigned === "object"
        ? Object.entries(assigned as Record<string, unknown>)
        : [];
    for (const [id, value] of entries) {
      const principal = principalOfId.get(lower(id)) ?? str((value as { principalId?: unknown } | undefined)?.principalId);
      if (principal) out.add(lower(principal));
    }
  }
  return out;
}

export interface ConfidentialGroupView {
  resource: PolicyResource;
  /** The ARM name (containerGroupName, else name), else the Pulumi name. */
  name: string;
  /** Read on demand: only the rules that hash the policy should depend on it being known. */
  ccePolicy(): string | undefined;
}

/** Container groups with sku Confidential: each runs in its own SEV-SNP utility VM under its ccePolicy. */
export function confidentialGroupsOf(resources: PolicyResource[]): ConfidentialGroupView[] {
  return resources
    .filter((r) => r.type === AzureTypes.containerGroup && typeof r.props.sku === "string" && lower(r.props.sku) === "confidential")
    .map((r) => ({
      resource: r,
      name: str(r.props.containerGroupName) ?? str(r.props.name) ?? r.name,
      ccePolicy: () => str(r.props.confidentialComputeProperties?.ccePolicy),
    }));
}

/** Who may hold the release role: kubelet identities (confidential node) and confidential container groups' identities. */
export function releasePrincipalsOf(resources: PolicyResource[]): Set<string> {
  return new Set([...kubeletPrincipalsOf(resources), ...containerGroupPrincipalsOf(resources)]);
}

/**
 * User-assigned identities that pods use through workload identity: named by a federated identity
 * credential (its resourceName, or a dependency), or whose client id a service account annotates.
 */
export function workloadPrincipalsOf(resources: PolicyResource[]): Set<string> {
  const identities = resources.filter((r) => r.type === AzureTypes.userAssignedIdentity);
  const credentials = resources.filter((r) => r.type === AzureTypes.federatedIdentityCredential);
  const annotatedClientIds = new Set<string>();
  for (const r of resources) {
    if (r.type !== KubernetesTypes.serviceAccount) continue;
    const clientId = str(r.props.metadata?.annotations?.["azure.workload.identity/client-id"]);
    if (clientId) annotatedClientIds.add(lower(clientId));
  }
  const out = new Set<string>();
  for (const identity of identities) {
    const principalId = str(identity.props.principalId);
    if (!principalId) continue;
    const name = str(identity.props.resourceName) ?? str(identity.props.name);
    const clientId = str(identity.props.clientId);
    const federated = credentials.some(
      (c) => (name !== undefined && str(c.props.resourceName) === name) || dependencyOfType(c, "resourceName", AzureTypes.userAssignedIdentity)?.urn === identity.urn,
    );
    if (federated || (clientId && annotatedClientIds.has(lower(clientId)))) out.add(lower(principalId));
  }
  return out;
}

export interface ContractView {
  source: PolicyResource;
  authority?: string;
  /** attestation.hostdata: in confidential-container mode the sha256 of the ccePolicy the parties approved. */
  hostdata?: string;
  parties: { name: string; keyId?: string }[];
}

/** A contract document, read leniently: anything that is not a JSON object is no contract. */
function contractView(source: PolicyResource, text: string): ContractView | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const d = doc as { attestation?: { authority?: unknown; hostdata?: unknown }; parties?: unknown };
  const parties = Array.isArray(d.parties)
    ? d.parties
        .filter((p): p is { name: string; kek?: { keyId?: unknown } } => typeof p === "object" && p !== null && typeof (p as { name?: unknown }).name === "string")
        .map((p) => ({ name: p.name, keyId: str(p.kek?.keyId) }))
    : [];
  return { source, authority: str(d.attestation?.authority), hostdata: str(d.attestation?.hostdata), parties };
}

/**
 * The contract.json files a container group mounts from secret volumes (confidential-container
 * mode: EnclaveContainerGroup ships the canonical contract there, base64 as ARM takes secret files).
 */
function containerGroupContractTexts(r: PolicyResource): string[] {
  const volumes: unknown = r.props.volumes;
  if (!Array.isArray(volumes)) return [];
  const out: string[] = [];
  for (const v of volumes) {
    const encoded = str((v as { secret?: Record<string, unknown> } | null)?.secret?.["contract.json"]);
    if (encoded) out.push(Buffer.from(encoded, "base64").toString("utf8"));
  }
  return out;
}

/**
 * Contracts the stack ships to the enclave, read leniently: ConfigMaps holding contract.json
 * (confidential-node mode) and container groups' secret volumes holding it (confidential-container mode).
 */
export function contractsOf(resources: PolicyResource[]): ContractView[] {
  const out: ContractView[] = [];
  for (const r of resources) {
    const texts =
      r.type === KubernetesTypes.configMap ? [str(r.props.data?.["contract.json"])] : r.type === AzureTypes.containerGroup ? containerGroupContractTexts(r) : [];
    for (const text of texts) {
      const view = text ? contractView(r, text) : undefined;
      if (view) out.push(view);
    }
  }
  return out;
}

/** Which vault a contract key id points into (lower-case), e.g. https://bank-1a2b.vault.azure.net/keys/... */
export function vaultOfKeyId(keyId: string | undefined): string | undefined {
  const v = vaultOfKeyUri(keyId)?.vault;
  return v ? lower(v) : undefined;
}

export interface EndpointDeclaration {
  endpoint: string;
  source: string;
  resource: PolicyResource;
}

/**
 * Every place the stack names its attestation endpoint: a dedicated provider's attestUri, the
 * contract's attestation authority, the enclave's CLEANROOM_MAA_ENDPOINT, the stack output
 * `attestationEndpoint`. Normalised (scheme/host case, trailing slash).
 */
export function attestationEndpointsOf(resources: PolicyResource[]): EndpointDeclaration[] {
  const out: EndpointDeclaration[] = [];
  const add = (value: unknown, source: string, resource: PolicyResource) => {
    const text = str(value);
    if (text) out.push({ endpoint: normalizeAuthority(text), source, resource });
  };
  for (const r of resources) {
    if (r.type === AzureTypes.attestationProvider) add(r.props.attestUri, `attestUri of ${r.name}`, r);
    else if (r.type === STACK_TYPE) add(r.props.attestationEndpoint, "stack output attestationEndpoint", r);
    else if (WORKLOAD_TYPES.includes(r.type)) {
      const pod = podTemplateOf(r.type, r.props);
      const containers: unknown = pod?.spec.containers;
      if (!Array.isArray(containers)) continue;
      for (const c of containers) {
        const env: unknown = c.env;
        if (!Array.isArray(env)) continue;
        for (const e of env) if (e.name === ENCLAVE_ENV.maaEndpoint) add(e.value, `${ENCLAVE_ENV.maaEndpoint} of ${r.name}`, r);
      }
    }
  }
  for (const contract of contractsOf(resources)) add(contract.authority, `contract in ${contract.source.name}`, contract.source);
  return out;
}
