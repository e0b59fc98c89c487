// One party's Key Vault and key-encryption key. The key is an exportable RSA-HSM key whose release
// policy (built by the protocol module) admits only tokens from the collaboration's attestation
// endpoint with the confidential-computing claims; only the release identity may ask for it, and
// only at key scope.
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import { mapInputList } from "./input-list.ts";
import {
  buildReleasePolicy,
  encodeReleasePolicy,
  kekKeyNameFromDigest,
  releasePolicyDigest,
  sameAuthority,
  PARTY_TAG,
  type AttestationRequirements,
  type ReleasePolicy,
} from "../enclave-app/src/protocol/index.ts";
import { NAME_RULES, vaultUri, versionlessKeyId } from "./naming.ts";
import { keyScope, normalizePrincipal, roleDefinitionIdForScope, type PrincipalRef } from "./roles.ts";
import {
  checkFirewallIpRange,
  DeploymentMismatchError,
  IssueList,
  isGuid,
  throwIfIssues,
  type ValidationIssue,
} from "./validation.ts";

export const PARTY_VAULT_TYPE = "cleanroom:index:PartyVault";

export const KEK_SIZES = [3072, 4096] as const;
export type KekSize = (typeof KEK_SIZES)[number];
export const DEFAULT_KEK_SIZE: KekSize = 3072;
/** Operations the key allows inside Key Vault; the released copy carries the same list. */
export const KEK_OPERATIONS = ["wrapKey", "unwrapKey", "encrypt", "decrypt"] as const;

export interface PartyVaultArgs {
  party: string;
  resourceGroupName: pulumi.Input<string>;
  location: string;
  /** The tenant of the vault's subscription. */
  tenantId: string;
  vaultName: string;
  /** 3072 (default) or 4096. */
  keySize?: number;
  /** What the release policy demands; its authority is the collaboration's attestation endpoint. */
  attestation: AttestationRequirements;
  /** The live attestation endpoint: when given, the key is created only once it equals attestation.authority. */
  attestationEndpoint?: pulumi.Input<string>;
  /** Get Key Vault Crypto Officer at vault scope. */
  admins: PrincipalRef[];
  /** Get Key Vault Crypto User on the key (read the public part to wrap content keys). */
  uploaders: PrincipalRef[];
  /** The identity Secure Key Release authenticates as: gets Key Vault Crypto Service Release User on the key only. */
  releasePrincipalId: pulumi.Input<string>;
  /** Subnets (with the Microsoft.KeyVault service endpoint) allowed through the firewall. A whole-list Output (as a component package's Construct delivers a list that depends on other resources) is accepted too. */
  allowedSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The party's public IPv4 ranges allowed through the firewall. */
  allowedIpRanges?: string[];
  /** Added to the vault and the key, which also get PARTY_TAG = party (it cannot be overridden). */
  tags?: Record<string, string>;
}

function checkPrincipals(out: IssueList, path: string, list: unknown): void {
  if (!Array.isArray(list)) {
    out.add(path, "type", "must be a list of Entra object ids");
    return;
  }
  list.forEach((p, i) => {
    const id = typeof p === "string" ? p : (p as { objectId?: unknown } | null)?.objectId;
    if (!isGuid(id)) out.add(`${path}[${i}]`, "guid", `"${String(id)}" is not an Entra object id (GUID)`);
    const type = typeof p === "object" && p !== null ? (p as { type?: unknown }).type : undefined;
    if (type !== undefined && type !== "User" && type !== "Group" && type !== "ServicePrincipal") {
      out.add(`${path}[${i}].type`, "enum", `must be User, Group or ServicePrincipal; got "${String(type)}"`);
    }
  });
}

export function validatePartyVaultArgs(args: PartyVaultArgs): ValidationIssue[] {
  const out = new IssueList();
  if (!NAME_RULES.party.test(args.party)) {
    out.add("party", "party-name", `"${args.party}" must be 2-23 lowercase letters, digits and single hyphens, starting with a letter`);
  }
  if (!NAME_RULES.vault.test(args.vaultName)) {
    out.add(
      "vaultName",
      "vault-name",
      `"${args.vaultName}" must be 3-24 letters, digits and hyphens, start with a letter, end with a letter or digit, without "--"`,
    );
  }
  if (!isGuid(args.tenantId)) out.add("tenantId", "guid", `"${String(args.tenantId)}" is not a tenant id (GUID)`);
  const size = args.keySize ?? DEFAULT_KEK_SIZE;
  if (!(KEK_SIZES as readonly number[]).includes(size)) {
    out.add("keySize", "kek-size", `RSA-HSM key size must be 3072 or 4096; got ${String(args.keySize)}`);
  }
  if (args.attestation.mode !== "confidential-node" && args.attestation.mode !== "confidential-container") {
    out.add("attestation.mode", "enum", `unknown isolation mode "${String(args.attestation.mode)}"`);
  }
  checkPrincipals(out, "admins", args.admins);
  checkPrincipals(out, "uploaders", args.uploaders);
  if (Array.isArray(args.admins) && args.admins.length === 0) {
    out.add("admins", "required", "a vault without Crypto Officers cannot be managed (purge protection keeps it for 90 days)");
  }
  // A list that is still an Output cannot be checked for emptiness before deployment.
  if (!pulumi.Output.isInstance(args.allowedSubnetIds) && (!Array.isArray(args.allowedSubnetIds) || args.allowedSubnetIds.length === 0)) {
    out.add("allowedSubnetIds", "required", "the enclave's node subnet must be allowed, or key release is blocked by the firewall");
  }
  (args.allowedIpRanges ?? []).forEach((r, i) => {
    const problem = checkFirewallIpRange(r);
    if (problem) out.add(`allowedIpRanges[${i}]`, "ip-range", problem);
  });
  return out.items;
}

/** Everything about a party's key that is known before deployment. */
export interface KekPlan {
  releasePolicy: ReleasePolicy;
  releasePolicyDigest: string;
  encodedReleasePolicy: { contentType: string; data: string };
  keyName: string;
  keySize: KekSize;
  /** https://<vault>.vault.azure.net/keys/<key> */
  keyId: string;
  vaultUri: string;
}

export function planKek(args: Pick<PartyVaultArgs, "party" | "vaultName" | "keySize" | "attestation">): KekPlan {
  const releasePolicy = buildReleasePolicy(args.attestation);
  const digest = releasePolicyDigest(releasePolicy);
  const keySize = (args.keySize ?? DEFAULT_KEK_SIZE) as KekSize;
  const keyName = kekKeyNameFromDigest(args.party, keySize, digest);
  return {
    releasePolicy,
    releasePolicyDigest: digest,
    encodedReleasePolicy: encodeReleasePolicy(releasePolicy),
    keyName,
    keySize,
    keyId: versionlessKeyId(args.vaultName, keyName),
    vaultUri: vaultUri(args.vaultName),
  };
}

/** What a PartyVault exposes: built by createPartyVault(), assigned by the component classes. */
export interface PartyVaultParts {
  readonly vaultId: pulumi.Output<string>;
  readonly vaultUri: pulumi.Output<string>;
  readonly keyName: string;
  /** Versionless key id, as the contract pins it. */
  readonly keyId: string;
  readonly keyUriWithVersion: pulumi.Output<string>;
  readonly releasePolicy: ReleasePolicy;
  readonly releasePolicyDigest: string;
}

/**
 * The PartyVault's children under `self`: the TypeScript component below and the component package's
 * PartyVault (pulumi-package/party-vault.ts) both call it.
 */
export function createPartyVault(self: pulumi.ComponentResource, name: string, args: PartyVaultArgs): PartyVaultParts {
  throwIfIssues(`PartyVault "${name}"`, validatePartyVaultArgs(args), self);
  const plan = planKek(args);
  // Names the owner on the resources themselves, for whoever sees them without this component
  // (the policy pack's stack rules, the portal).
  const tags = { ...args.tags, [PARTY_TAG]: args.party };

  const vault = new keyvault.Vault(
    `${name}-vault`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      vaultName: args.vaultName,
      properties: {
        tenantId: args.tenantId,
        // Secure Key Release needs an HSM-backed key: Premium (or Managed HSM).
        sku: { family: "A", name: "premium" },
        enableRbacAuthorization: true,
        accessPolicies: [],
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        // "Enabled" means "through the firewall below", which denies by default. Disabled would also
        // shut out the service-endpoint subnet the enclave releases keys from.
        publicNetworkAccess: "Enabled",
        networkAcls: {
          defaultAction: "Deny",
          // No trusted Microsoft service needs this vault's data plane; ARM operations (creating the
          // key from pulumi) are control plane and not subject to the firewall.
          bypass: "None",
          ipRules: (args.allowedIpRanges ?? []).map((value) => ({ value })),
          virtualNetworkRules: mapInputList(args.allowedSubnetIds, (id) => ({ id, ignoreMissingVnetServiceEndpoint: false })),
        },
      },
      tags,
    },
    { parent: self },
  );

  const expectedAuthority = args.attestation.authority;
  const policyData = pulumi.output(args.attestationEndpoint ?? expectedAuthority).apply((live) => {
    if (!sameAuthority(live, expectedAuthority)) {
      throw new DeploymentMismatchError(
        `party "${args.party}": the attestation endpoint is "${live}" but the release policy pins "${expectedAuthority}"; the key was not created`,
      );
    }
    return plan.encodedReleasePolicy.data;
  });

  const key = new keyvault.Key(
    `${name}-kek`,
    {
      resourceGroupName: args.resourceGroupName,
      vaultName: vault.name,
      keyName: plan.keyName,
      properties: {
        kty: "RSA-HSM",
        keySize: plan.keySize,
        keyOps: [...KEK_OPERATIONS],
        attributes: { enabled: true, exportable: true },
        releasePolicy: { contentType: plan.encodedReleasePolicy.contentType, data: policyData },
      },
      tags,
    },
    // ARM has no DELETE for vaults/keys: azure-native deletes a key through the vault's data plane, which
    // the default-deny firewall (and the deployer's lack of a data role) blocks, so destroy and every key
    // replacement would fail. The key stays behind; its party deletes and purges it (docs/infrastructure.md).
    { parent: self, retainOnDelete: true },
  );

  const scopeOfKey = pulumi.all([vault.id, key.id]).apply(([vaultId]) => keyScope(vaultId, plan.keyName));
  const roleAt = (scope: pulumi.Output<string>, role: Parameters<typeof roleDefinitionIdForScope>[1]) =>
    scope.apply((s) => roleDefinitionIdForScope(s, role));

  args.admins.map(normalizePrincipal).forEach((p, i) => {
    new authorization.RoleAssignment(
      `${name}-admin-${i}`,
      {
        principalId: p.objectId,
        principalType: p.type,
        roleDefinitionId: roleAt(vault.id, "keyVaultCryptoOfficer"),
        scope: vault.id,
        description: `clean room: ${args.party} administers its vault`,
      },
      { parent: self },
    );
  });
  args.uploaders.map(normalizePrincipal).forEach((p, i) => {
    new authorization.RoleAssignment(
      `${name}-uploader-${i}`,
      {
        principalId: p.objectId,
        principalType: p.type,
        roleDefinitionId: roleAt(scopeOfKey, "keyVaultCryptoUser"),
        scope: scopeOfKey,
        description: `clean room: ${args.party} reads its key-encryption key to wrap content keys`,
      },
      { parent: self },
    );
  });
  new authorization.RoleAssignment(
    `${name}-release`,
    {
      principalId: args.releasePrincipalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: roleAt(scopeOfKey, "keyVaultCryptoServiceReleaseUser"),
      scope: scopeOfKey,
      description: `clean room: the enclave may release ${args.party}'s key when attestation satisfies the release policy`,
    },
    { parent: self },
  );

  return {
    vaultId: vault.id,
    vaultUri: vault.properties.apply((p) => p.vaultUri ?? plan.vaultUri),
    keyName: plan.keyName,
    keyId: plan.keyId,
    keyUriWithVersion: key.keyUriWithVersion,
    releasePolicy: plan.releasePolicy,
    releasePolicyDigest: plan.releasePolicyDigest,
  };
}

/** The outputs a PartyVault registers with the engine. */
export function partyVaultRegisteredOutputs(vault: PartyVaultParts): pulumi.Inputs {
  return {
    vaultId: vault.vaultId,
    vaultUri: vault.vaultUri,
    keyName: vault.keyName,
    keyId: vault.keyId,
    keyUriWithVersion: vault.keyUriWithVersion,
  };
}

// PartyVault's fields are exactly its PartyVaultParts (declaration merging), assigned from its create function.
export interface PartyVault extends PartyVaultParts {}
export class PartyVault extends pulumi.ComponentResource {
  constructor(name: string, args: PartyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PARTY_VAULT_TYPE, name, {}, opts);
    const parts = createPartyVault(this, name, args);
    Object.assign(this, parts);
    this.registerOutputs(partyVaultRegisteredOutputs(parts));
  }
}
