// The collaboration's network: one VNet and a node subnet with service endpoints for Key Vault and
// Storage, so vault and storage firewalls can allow exactly that subnet (plus party IP ranges).
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network/index.js";
import { NAME_RULES } from "./naming.ts";
import { IssueList, cidrContains, parseCidr, throwIfIssues, type ValidationIssue } from "./validation.ts";

export const NETWORK_TYPE = "cleanroom:index:Network";

export interface NetworkArgs {
  resourceGroupName: pulumi.Input<string>;
  location: string;
  vnetName: string;
  /** Default 10.40.0.0/16. */
  addressSpace?: string;
  /** Node subnet; must lie inside addressSpace. Default 10.40.0.0/20 (4096 addresses, enough for Azure CNI overlay nodes). */
  nodeSubnetPrefix?: string;
  tags?: Record<string, string>;
}

export const DEFAULT_ADDRESS_SPACE = "10.40.0.0/16";
export const DEFAULT_NODE_SUBNET = "10.40.0.0/20";
/** Service endpoints the node subnet needs so vault and storage network rules can name it. */
export const NODE_SUBNET_SERVICE_ENDPOINTS = ["Microsoft.KeyVault", "Microsoft.Storage"] as const;

export function validateNetworkArgs(args: NetworkArgs): ValidationIssue[] {
  const out = new IssueList();
  if (!NAME_RULES.dnsLabel.test(args.vnetName)) {
    out.add("vnetName", "name-format", `"${args.vnetName}" must be 3-63 lowercase letters, digits and single hyphens`);
  }
  const space = args.addressSpace ?? DEFAULT_ADDRESS_SPACE;
  const subnet = args.nodeSubnetPrefix ?? DEFAULT_NODE_SUBNET;
  if (!parseCidr(space)) out.add("addressSpace", "cidr", `"${space}" is not an IPv4 CIDR range`);
  const parsedSubnet = parseCidr(subnet);
  if (!parsedSubnet) out.add("nodeSubnetPrefix", "cidr", `"${subnet}" is not an IPv4 CIDR range`);
  else if (parsedSubnet.prefix > 24) {
    out.add("nodeSubnetPrefix", "subnet-too-small", `"${subnet}" is smaller than /24; the node pools and their upgrades need room`);
  }
  if (parseCidr(space) && parsedSubnet && !cidrContains(space, subnet)) {
    out.add("nodeSubnetPrefix", "subnet-outside-vnet", `"${subnet}" is not inside the address space "${space}"`);
  }
  return out.issues;
}

export class Network extends pulumi.ComponentResource {
  readonly vnetId: pulumi.Output<string>;
  readonly nodeSubnetId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NETWORK_TYPE, name, {}, opts);
    throwIfIssues(`Network "${name}"`, validateNetworkArgs(args));

    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        virtualNetworkName: args.vnetName,
        addressSpace: { addressPrefixes: [args.addressSpace ?? DEFAULT_ADDRESS_SPACE] },
        // DDoS protection plans cost thousands a month and protect public IPs, which this VNet has none of.
        enableDdosProtection: false,
        tags: args.tags,
      },
      { parent: this },
    );

    const subnet = new network.Subnet(
      `${name}-nodes`,
      {
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        subnetName: "nodes",
        addressPrefix: args.nodeSubnetPrefix ?? DEFAULT_NODE_SUBNET,
        serviceEndpoints: NODE_SUBNET_SERVICE_ENDPOINTS.map((service) => ({ service })),
        privateEndpointNetworkPolicies: "Enabled",
      },
      { parent: this },
    );

    this.vnetId = vnet.id;
    this.nodeSubnetId = subnet.id;
    this.registerOutputs({ vnetId: this.vnetId, nodeSubnetId: this.nodeSubnetId });
  }
}
