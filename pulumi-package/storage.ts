// The SharedStorage as the component package serves it (cleanroom:index:SharedStorage), delegated to
// the same createSharedStorage().
import * as pulumi from "@pulumi/pulumi";
import { createSharedStorage, SHARED_STORAGE_TYPE, type SharedStorageArgs as TsSharedStorageArgs } from "../components/index.ts";
import type { Principal, StorageSku } from "./clean-room-args.ts";
import { requirePlain, withPropertyErrors } from "./plain.ts";

/** A party's input container and who may write it. */
export interface StorageParty {
  /** The party, 2-23 lowercase letters, digits and single hyphens; its container is input-<party>. */
  name: pulumi.Input<string>;
  /** Storage Blob Data Contributor on the party's input container. */
  uploaders: pulumi.Input<pulumi.Input<Principal>[]>;
}

export interface SharedStorageArgs {
  /** Resource group of the account (may be another resource's output). */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region. */
  location: pulumi.Input<string>;
  /** Globally unique account name, 3-24 lowercase letters and digits. */
  accountName: pulumi.Input<string>;
  /** One input container per party. */
  parties: pulumi.Input<pulumi.Input<StorageParty>[]>;
  /** Recipients' principals: Storage Blob Data Reader on the output container. */
  outputReaders: pulumi.Input<pulumi.Input<Principal>[]>;
  /** Subnets with the Microsoft.Storage service endpoint allowed through the firewall (may be outputs). */
  allowedSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Parties' public IPv4 ranges allowed through the firewall. */
  allowedIpRanges?: pulumi.Input<pulumi.Input<string>[]>;
  /** Default Standard_LRS. */
  skuName?: pulumi.Input<StorageSku>;
  /** Blob and container soft-delete retention, 1-365 days. Default 30. */
  deleteRetentionDays?: pulumi.Input<number>;
  /** Tags on the account. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** A blob container. */
export interface ContainerInfo {
  /** Container name. */
  name: string;
  /** ARM id of the container. */
  id: string;
}

/**
 * The shared storage account: StorageV2 without shared keys, public blob access or public networks
 * (default-deny firewall), versioning and soft delete; one input container per party that only its
 * uploaders write, and one output container that only recipients read.
 */
export class SharedStorage extends pulumi.ComponentResource {
  /** The account name. */
  public readonly accountName: pulumi.Output<string>;
  /** ARM id of the account. */
  public readonly accountId: pulumi.Output<string>;
  /** https://<account>.blob.core.windows.net */
  public readonly blobEndpoint: pulumi.Output<string>;
  /** Per party: its input container. */
  public readonly inputContainers: pulumi.Output<Record<string, ContainerInfo>>;
  /** The output container. */
  public readonly outputContainer: pulumi.Output<ContainerInfo>;

  constructor(name: string, args: SharedStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SHARED_STORAGE_TYPE, name, {}, opts);
    requirePlain("SharedStorage", args, ["resourceGroupName", "allowedSubnetIds"]);
    // Plain now (checked above), except the properties that may be outputs, which the TypeScript args accept as inputs.
    const parts = withPropertyErrors("SharedStorage", () => createSharedStorage(this, name, args as unknown as TsSharedStorageArgs));
    this.accountName = pulumi.output(parts.accountName);
    this.accountId = parts.accountId;
    this.blobEndpoint = pulumi.output(parts.blobEndpoint);
    this.inputContainers = pulumi.output(parts.inputContainers);
    this.outputContainer = pulumi.output(parts.outputContainer);
    this.registerOutputs({
      accountName: this.accountName,
      accountId: this.accountId,
      blobEndpoint: this.blobEndpoint,
      inputContainers: this.inputContainers,
      outputContainer: this.outputContainer,
    });
  }
}
