// The shared storage account: one input container per party (only that party's uploaders write it)
// and one output container (the enclave writes, recipients read). Shared keys, anonymous access and
// public networks are off; everything authenticates with Entra ID through the firewall.
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import { mapInputList } from "./input-list.ts";
import { PARTY_TAG } from "../enclave-app/src/protocol/index.ts";
import { blobEndpoint, inputContainerName, NAME_RULES, OUTPUT_CONTAINER_NAME } from "./naming.ts";
import { normalizePrincipal, roleDefinitionIdForScope, type PrincipalRef } from "./roles.ts";
import { checkFirewallIpRange, IssueList, isGuid, isInteger, throwIfIssues, type ValidationIssue } from "./validation.ts";

export const SHARED_STORAGE_TYPE = "cleanroom:index:SharedStorage";

export interface SharedStorageParty {
  name: string;
  /** Get Storage Blob Data Contributor on this party's input container. */
  uploaders: PrincipalRef[];
}

export interface SharedStorageArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  accountName: string;
  parties: SharedStorageParty[];
  /** Recipients' principals: get Storage Blob Data Reader on the output container. */
  outputReaders: PrincipalRef[];
  /** Subnets (with the Microsoft.Storage service endpoint) allowed through the firewall. A whole-list Output (as a component package's Construct delivers a list that depends on other resources) is accepted too. */
  allowedSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Parties' public IPv4 ranges allowed through the firewall. */
  allowedIpRanges?: string[];
  /** Default "Standard_LRS"; "Standard_ZRS" where the region has zones. */
  skuName?: "Standard_LRS" | "Standard_ZRS" | "Standard_GRS" | "Standard_GZRS";
  /** Soft-delete retention for blobs and containers, 1..365 days. Default 30. */
  deleteRetentionDays?: number;
  tags?: Record<string, string>;
}

const SKUS = ["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS"];

export function validateSharedStorageArgs(args: SharedStorageArgs): ValidationIssue[] {
  const out = new IssueList();
  if (!NAME_RULES.storageAccount.test(args.accountName)) {
    out.add("accountName", "storage-account-name", `"${args.accountName}" must be 3-24 lowercase letters and digits`);
  }
  const seen = new Set<string>();
  args.parties.forEach((p, i) => {
    if (!NAME_RULES.party.test(p.name)) {
      out.add(`parties[${i}].name`, "party-name", `"${p.name}" must be 2-23 lowercase letters, digits and single hyphens, starting with a letter`);
    } else if (!NAME_RULES.dnsLabel.test(inputContainerName(p.name))) {
      out.add(`parties[${i}].name`, "container-name", `container "${inputContainerName(p.name)}" breaks the blob container naming rule`);
    }
    if (seen.has(p.name)) out.add(`parties[${i}].name`, "duplicate-party", `party "${p.name}" appears twice`);
    seen.add(p.name);
    p.uploaders.forEach((u, j) => {
      if (!isGuid(normalizePrincipal(u).objectId)) out.add(`parties[${i}].uploaders[${j}]`, "guid", "is not an Entra object id (GUID)");
    });
  });
  args.outputReaders.forEach((u, j) => {
    if (!isGuid(normalizePrincipal(u).objectId)) out.add(`outputReaders[${j}]`, "guid", "is not an Entra object id (GUID)");
  });
  // A list that is still an Output cannot be checked for emptiness before deployment.
  if (!pulumi.Output.isInstance(args.allowedSubnetIds) && (!Array.isArray(args.allowedSubnetIds) || args.allowedSubnetIds.length === 0)) {
    out.add("allowedSubnetIds", "required", "the enclave's node subnet must be allowed, or the enclave cannot read inputs");
  }
  (args.allowedIpRanges ?? []).forEach((r, i) => {
    const problem = checkFirewallIpRange(r);
    if (problem) out.add(`allowedIpRanges[${i}]`, "ip-range", problem);
  });
  if (args.skuName !== undefined && !SKUS.includes(args.skuName)) {
    out.add("skuName", "enum", `must be one of ${SKUS.join(", ")}; got "${String(args.skuName)}"`);
  }
  const days = args.deleteRetentionDays ?? 30;
  if (!isInteger(days) || days < 1 || days > 365) out.add("deleteRetentionDays", "range", `must be an integer 1..365; got ${String(days)}`);
  return out.items;
}

export interface ContainerRef {
  name: string;
  id: pulumi.Output<string>;
}

/** What a SharedStorage exposes: built by createSharedStorage(), assigned by the component classes. */
export interface SharedStorageParts {
  readonly accountName: string;
  readonly accountId: pulumi.Output<string>;
  /** https://<account>.blob.core.windows.net */
  readonly blobEndpoint: string;
  readonly inputContainers: Record<string, ContainerRef>;
  readonly outputContainer: ContainerRef;
}

/**
 * The SharedStorage's children under `self`: the TypeScript component below and the component
 * package's SharedStorage (pulumi-package/storage.ts) both call it.
 */
export function createSharedStorage(self: pulumi.ComponentResource, name: string, args: SharedStorageArgs): SharedStorageParts {
  throwIfIssues(`SharedStorage "${name}"`, validateSharedStorageArgs(args), self);
  const days = args.deleteRetentionDays ?? 30;

  const account = new storage.StorageAccount(
    `${name}-account`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      accountName: args.accountName,
      kind: "StorageV2",
      sku: { name: args.skuName ?? "Standard_LRS" },
      accessTier: "Hot",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
      allowedCopyScope: "AAD",
      isLocalUserEnabled: false,
      isSftpEnabled: false,
      isHnsEnabled: false,
      enableNfsV3: false,
      minimumTlsVersion: "TLS1_2",
      enableHttpsTrafficOnly: true,
      encryption: {
        keySource: "Microsoft.Storage",
        requireInfrastructureEncryption: true,
        services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
      },
      // "Enabled" means "through networkRuleSet", which denies by default; Disabled would also block
      // the service-endpoint subnet.
      publicNetworkAccess: "Enabled",
      networkRuleSet: {
        defaultAction: "Deny",
        bypass: "None",
        ipRules: (args.allowedIpRanges ?? []).map((iPAddressOrRange) => ({ iPAddressOrRange, action: "Allow" as const })),
        virtualNetworkRules: mapInputList(args.allowedSubnetIds, (virtualNetworkResourceId) => ({ virtualNetworkResourceId, action: "Allow" as const })),
      },
      tags: args.tags,
    },
    { parent: self },
  );

  new storage.BlobServiceProperties(
    `${name}-blob-service`,
    {
      resourceGroupName: args.resourceGroupName,
      accountName: account.name,
      blobServicesName: "default",
      // Versions keep what each owner uploaded; the contract's digest says which one was approved.
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days },
      containerDeleteRetentionPolicy: { enabled: true, days },
    },
    { parent: self },
  );

  const container = (role: string, containerName: string, metadata?: Record<string, string>): ContainerRef => {
    const c = new storage.BlobContainer(
      `${name}-${role}`,
      { resourceGroupName: args.resourceGroupName, accountName: account.name, containerName, publicAccess: "None", metadata },
      { parent: self },
    );
    return { name: containerName, id: c.id };
  };
  const grant = (resourceName: string, principal: PrincipalRef, scope: pulumi.Output<string>, role: "storageBlobDataContributor" | "storageBlobDataReader", why: string) => {
    const p = normalizePrincipal(principal);
    new authorization.RoleAssignment(
      resourceName,
      {
        principalId: p.objectId,
        principalType: p.type,
        roleDefinitionId: scope.apply((s) => roleDefinitionIdForScope(s, role)),
        scope,
        description: why,
      },
      { parent: self },
    );
  };

  const inputContainers: Record<string, ContainerRef> = {};
  for (const party of args.parties) {
    // Containers take metadata, not tags; PARTY_TAG is a valid metadata name too.
    const ref = container(`input-${party.name}`, inputContainerName(party.name), { [PARTY_TAG]: party.name });
    inputContainers[party.name] = ref;
    party.uploaders.forEach((u, i) =>
      grant(`${name}-input-${party.name}-uploader-${i}`, u, ref.id, "storageBlobDataContributor", `clean room: ${party.name} uploads its encrypted datasets`),
    );
  }
  const outputContainer = container("output", OUTPUT_CONTAINER_NAME);
  args.outputReaders.forEach((r, i) =>
    grant(`${name}-output-reader-${i}`, r, outputContainer.id, "storageBlobDataReader", "clean room: a recipient reads its encrypted result"),
  );

  return { accountName: args.accountName, accountId: account.id, blobEndpoint: blobEndpoint(args.accountName), inputContainers, outputContainer };
}

// SharedStorage's fields are exactly its SharedStorageParts (declaration merging), assigned from its create function.
export interface SharedStorage extends SharedStorageParts {}
export class SharedStorage extends pulumi.ComponentResource {
  constructor(name: string, args: SharedStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SHARED_STORAGE_TYPE, name, {}, opts);
    const parts = createSharedStorage(this, name, args);
    Object.assign(this, parts);
    this.registerOutputs({
      accountName: this.accountName,
      accountId: this.accountId,
      blobEndpoint: this.blobEndpoint,
      outputContainerId: this.outputContainer.id,
    });
  }
}
