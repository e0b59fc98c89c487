// The Network as the component package serves it (cleanroom:index:Network): the TypeScript
// component's arguments as Input<> interfaces, delegated to the same createNetwork().
import * as pulumi from "@pulumi/pulumi";
import { createNetwork, NETWORK_TYPE, type NetworkArgs as TsNetworkArgs } from "../components/index.ts";
import { requirePlain, withPropertyErrors } from "./plain.ts";

/** Confidential-container mode: the subnet delegated to Azure Container Instances. */
export interface ContainerSubnet {
  /** Inside addressSpace, not overlapping the node subnet, at least /28. Default 10.40.16.0/24. */
  prefix?: pulumi.Input<string>;
}

export interface NetworkArgs {
  /** Resource group of the VNet (may be another resource's output). */
  resourceGroupName: pulumi.Input<string>;
  /** Azure region. */
  location: pulumi.Input<string>;
  /** VNet name, 3-63 lowercase letters, digits and single hyphens. */
  vnetName: pulumi.Input<string>;
  /** Default 10.40.0.0/16. */
  addressSpace?: pulumi.Input<string>;
  /** Node subnet inside addressSpace, at least /24. Default 10.40.0.0/20. */
  nodeSubnetPrefix?: pulumi.Input<string>;
  /** Also create a subnet delegated to Container Instances (confidential-container mode). */
  containerSubnet?: pulumi.Input<ContainerSubnet>;
  /** Tags on the VNet. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The collaboration's virtual network: a node subnet with service endpoints for Key Vault and Storage
 * (so vault and storage firewalls can admit exactly that subnet) and, optionally, a subnet delegated
 * to Container Instances for a Confidential ACI enclave.
 */
export class Network extends pulumi.ComponentResource {
  /** ARM id of the VNet. */
  public readonly vnetId: pulumi.Output<string>;
  /** ARM id of the node subnet. */
  public readonly nodeSubnetId: pulumi.Output<string>;
  /** ARM id of the container subnet, when one was asked for. */
  public readonly containerSubnetId: pulumi.Output<string | undefined>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NETWORK_TYPE, name, {}, opts);
    requirePlain("Network", args, ["resourceGroupName"]);
    // Plain now (checked above), except the resource group, which the TypeScript args accept as an input.
    const parts = withPropertyErrors("Network", () => createNetwork(this, name, args as unknown as TsNetworkArgs));
    this.vnetId = parts.vnetId;
    this.nodeSubnetId = parts.nodeSubnetId;
    this.containerSubnetId = pulumi.output(parts.containerSubnetId);
    this.registerOutputs({ vnetId: this.vnetId, nodeSubnetId: this.nodeSubnetId, containerSubnetId: this.containerSubnetId });
  }
}
