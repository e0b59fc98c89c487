// The PartyVault as the component package serves it (cleanroom:index:PartyVault): one party's
// Premium Key Vault and Secure-Key-Release key, e.g. for a party that runs its vault in its own
// subscription from its own Python or YAML project. Delegates to the same createPartyVault().
import * as pulumi from "@pulumi/pulumi";
import { createPartyVault, PARTY_VAULT_TYPE, partyVaultRegisteredOutputs, type PartyVaultArgs as TsPartyVaultArgs } from "../components/index.ts";
import type { IsolationMode, Principal } from "./clean-room-args.ts";
import { requirePlain, withPropertyErrors } from "./plain.ts";

/** What the key's release policy demands of an attestation token. */
export interface ReleaseRequirements {
  /** https URL of the attestation endpoint (the token issuer). */
  authority: pulumi.Input<string>;
  /** confidential-node (SEV-SNP CVM claims) or confidential-container (ACI claims pinned to hostdata). */
  mode: pulumi.Input<IsolationMode>;
  /** Confidential-container only, required: sha256 (hex) of the container policy. */
  hostdata?: pulumi.Input<string>;
  /** The x-ms-policy-hash a dedicated provider's tokens carry; required with a dedicated provider. */
  policyHash?: pulumi.Input<string>;
  /** Version of `az confcom` that generated the container policy (informational). */
  confcomVersion?: pulumi.Input<string>;
}

export interface PartyVaultArgs {
  /** The party, 2-23 lowercase letters, digits and single hyphens; tags the vault and key. */
  party: pulumi.Input<string>;
  /** Resource group of the vault (may be another resource's output). */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region. */
  location: pulumi.Input<string>;
  /** Tenant of the vault's subscription. */
  tenantId: pulumi.Input<string>;
  /** Globally unique vault name, 3-24 characters. */
  vaultName: pulumi.Input<string>;
  /** 3072 (default) or 4096. */
  keySize?: pulumi.Input<number>;
  /** The release policy's requirements. */
  attestation: pulumi.Input<ReleaseRequirements>;
  /** The live attestation endpoint: the key is created only once it equals attestation.authority (may be an output). */
  attestationEndpoint?: pulumi.Input<string>;
  /** Key Vault Crypto Officer on the vault. */
  admins: pulumi.Input<pulumi.Input<Principal>[]>;
  /** Key Vault Crypto User on the key (wrap content keys). */
  uploaders: pulumi.Input<pulumi.Input<Principal>[]>;
  /** The identity Secure Key Release authenticates as: Key Vault Crypto Service Release User on the key only (may be an output). */
  releasePrincipalId: pulumi.Input<string>;
  /** Subnets with the Microsoft.KeyVault service endpoint allowed through the firewall (may be outputs). */
  allowedSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The party's public IPv4 ranges allowed through the firewall. */
  allowedIpRanges?: pulumi.Input<pulumi.Input<string>[]>;
  /** Tags on the vault and key (the party tag is set by the component). */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * One party's Premium Key Vault (RBAC, purge protection, default-deny firewall) with an exportable
 * RSA-HSM key whose release policy admits only an attested enclave, and the role assignments: the
 * party's admins manage the vault, its uploaders use the key, the enclave identity may only release it.
 */
export class PartyVault extends pulumi.ComponentResource {
  /** ARM id of the vault. */
  public readonly vaultId: pulumi.Output<string>;
  /** https://<vault>.vault.azure.net/ */
  public readonly vaultUri: pulumi.Output<string>;
  /** The key's name (it changes when the release policy changes). */
  public readonly keyName: pulumi.Output<string>;
  /** Versionless key id, as the contract pins it. */
  public readonly keyId: pulumi.Output<string>;
  /** The key id with its current version. */
  public readonly keyUriWithVersion: pulumi.Output<string>;
  /** The release policy (JSON document) attached to the key. */
  public readonly releasePolicy: pulumi.Output<any>;
  /** sha256 of the canonical release policy. */
  public readonly releasePolicyDigest: pulumi.Output<string>;

  constructor(name: string, args: PartyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super(PARTY_VAULT_TYPE, name, {}, opts);
    requirePlain("PartyVault", args, ["resourceGroupName", "attestationEndpoint", "releasePrincipalId", "allowedSubnetIds"]);
    // Plain now (checked above), except the properties that may be outputs, which the TypeScript args accept as inputs.
    const parts = withPropertyErrors("PartyVault", () => createPartyVault(this, name, args as unknown as TsPartyVaultArgs));
    this.vaultId = parts.vaultId;
    this.vaultUri = parts.vaultUri;
    this.keyName = pulumi.output(parts.keyName);
    this.keyId = pulumi.output(parts.keyId);
    this.keyUriWithVersion = parts.keyUriWithVersion;
    this.releasePolicy = pulumi.output(parts.releasePolicy);
    this.releasePolicyDigest = pulumi.output(parts.releasePolicyDigest);
    this.registerOutputs({ ...partyVaultRegisteredOutputs(parts), releasePolicy: this.releasePolicy, releasePolicyDigest: this.releasePolicyDigest });
  }
}
