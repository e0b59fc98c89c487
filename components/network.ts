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
  /**
   * Confidential-container mode: also create a subnet delegated to Azure Container Instances for the
   * enclave's container group. Default prefix 10.40.16.0/24; must lie inside addressSpace and not
   * overlap the node subnet. `natGateway` (default true) gives it outbound access through a NAT
   * gateway with one static public IP: the enclave reaches MAA and Entra ID over the internet (only
   * Key Vault and Storage have service endpoints), and new VNets no longer get default outbound
   * access. Set it false only when the subnet's egress is routed another way.
   */
  containerSubnet?: { prefix?: string; natGateway?: boolean };
  tags?: Record<string, string>;
}

export const DEFAULT_ADDRESS_SPACE = "10.40.0.0/16";
export const DEFAULT_NODE_SUBNET = "10.40.0.0/20";
/** Service endpoints the node subnet needs so vault and storage network rules can name it. */
export const NODE_SUBNET_SERVICE_ENDPOINTS = ["Microsoft.KeyVault", "Microsoft.Storage"] as const;
export const DEFAULT_CONTAINER_SUBNET = "10.40.16.0/24";
/** ACI can only be injected into a subnet delegated to it (and nothing else may use that subnet). */
export const CONTAINER_SUBNET_DELEGATION = "Microsoft.ContainerInstance/containerGroups";

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
  if (args.containerSubnet) {
    const aci = args.containerSubnet.prefix ?? DEFAULT_CONTAINER_SUBNET;
    const parsed = parseCidr(aci);
    if (!parsed) out.add("containerSubnet.prefix", "cidr", `"${aci}" is not an IPv4 CIDR range`);
    else if (parsed.prefix > 28) out.add("containerSubnet.prefix", "subnet-too-small", `"${aci}" is smaller than /28, the smallest subnet ACI accepts`);
    if (parsed && parseCidr(space) && !cidrContains(space, aci)) {
      out.add("containerSubnet.prefix", "subnet-outside-vnet", `"${aci}" is not inside the address space "${space}"`);
    }
    if (parsed && parsedSubnet && (cidrContains(subnet, aci) || cidrContains(aci, subnet))) {
      out.add("containerSubnet.prefix", "subnet-overlap", `"${aci}" overlaps the node subnet "${subnet}"`);
    }
  }
  return out.items;
}

/** Outbound access for the container subnet: a Standard NAT gateway with one static IPv4 address. */
function natGateway(name: string, args: NetworkArgs, parent: pulumi.Resource): network.NatGateway {
  const ip = new network.PublicIPAddress(
    `${name}-nat-ip`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      publicIpAddressName: `${args.vnetName}-nat-ip`,
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      publicIPAddressVersion: "IPv4",
      tags: args.tags,
    },
    { parent },
  );
  return new network.NatGateway(
    `${name}-nat`,
    {
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      natGatewayName: `${args.vnetName}-nat`,
      sku: { name: "Standard" },
      publicIpAddresses: [{ id: ip.id }],
      idleTimeoutInMinutes: 4,
      tags: args.tags,
    },
    { parent },
  );
}

/** What a Network exposes: built by createNetwork(), assigned by the component classes. */
export interface NetworkParts {
  readonly vnetId: pulumi.Output<string>;
  readonly nodeSubnetId: pulumi.Output<string>;
  /** Only with args.containerSubnet. */
  readonly containerSubnetId: pulumi.Output<string> | undefined;
}

/**
 * The Network's children under `self`: the TypeScript component below and the component package's
 * Network (pulumi-package/network.ts) both call it.
 */
export function createNetwork(self: pulumi.ComponentResource, name: string, args: NetworkArgs): NetworkParts {
  throwIfIssues(`Network "${name}"`, validateNetworkArgs(args), self);

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
    { parent: self },
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
    { parent: self },
  );

  let containerSubnetId: pulumi.Output<string> | undefined;
  if (args.containerSubnet) {
    const nat = args.containerSubnet.natGateway === false ? undefined : natGateway(name, args, self);
    const aci = new network.Subnet(
      `${name}-containers`,
      {
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        subnetName: "containers",
        addressPrefix: args.containerSubnet.prefix ?? DEFAULT_CONTAINER_SUBNET,
        delegations: [{ name: "aci", serviceName: CONTAINER_SUBNET_DELEGATION }],
        // The same endpoints as the node subnet: vault and storage firewalls admit this subnet by id.
        serviceEndpoints: NODE_SUBNET_SERVICE_ENDPOINTS.map((service) => ({ service })),
        privateEndpointNetworkPolicies: "Enabled",
        ...(nat ? { natGateway: { id: nat.id } } : {}),
      },
      // Azure serialises writes to one VNet's subnets; concurrent creates fail with AnotherOperationInProgress.
      { parent: self, dependsOn: [subnet] },
    );
    containerSubnetId = aci.id;
  }
  return { vnetId: vnet.id, nodeSubnetId: subnet.id, containerSubnetId };
}

// Network's fields are exactly its NetworkParts (declaration merging), assigned from its create function.
export interface Network extends NetworkParts {}
export class Network extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NETWORK_TYPE, name, {}, opts);
    const parts = createNetwork(this, name, args);
    Object.assign(this, parts);
    this.registerOutputs({ vnetId: this.vnetId, nodeSubnetId: this.nodeSubnetId, containerSubnetId: this.containerSubnetId });
  }
}
