// Pulumi mocks for the clean-room components: a stand-in for the engine and ARM, used in process by
// the component tests (test/helpers/pulumi.ts) and the program benchmark, and by preload.cjs when a
// whole program runs under Pulumi's own runner (the program tests and the offline policy review).
// azure-native's `name` and `id` are outputs: the mocks synthesise them (ARM-shaped ids that carry the
// subscription of the provider the resource was registered with) plus the outputs the components read.
"use strict";
const crypto = require("node:crypto");

const DEFAULT_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555";
const DEFAULT_TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
// Regional codes for the locations the tests use. Deliberately not the protocol's table: the mock plays
// ARM, whose attestUri the components check against the endpoint they derived from that table.
const REGION_CODES = { westeurope: "weu", northeurope: "neu", eastus: "eus", eastus2: "eus2", swedencentral: "sec", germanywestcentral: "dewc" };

function fakeGuid(...parts) {
  const h = crypto.createHash("sha256").update(parts.join("\0")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function providerIdOf(ref) {
  if (typeof ref !== "string" || ref === "") return undefined;
  const i = ref.lastIndexOf("::");
  return i >= 0 ? ref.slice(i + 2) : ref;
}

function createCleanRoomMocks(options = {}) {
  const subscriptionId = options.subscriptionId || DEFAULT_SUBSCRIPTION;
  const tenantId = options.tenantId || DEFAULT_TENANT;
  const records = [];
  const calls = [];
  const providerSubscriptions = new Map();

  function subscriptionFor(providerRef) {
    const id = providerIdOf(providerRef);
    return (id && providerSubscriptions.get(id)) || subscriptionId;
  }

  function armState(type, inputs, sub) {
    const rgId = (rg) => `/subscriptions/${sub}/resourceGroups/${rg}`;
    const rg = inputs.resourceGroupName;
    const location = inputs.location;
    switch (type) {
      case "azure-native:resources:ResourceGroup":
        return { id: rgId(inputs.resourceGroupName), name: inputs.resourceGroupName };
      case "azure-native:network:VirtualNetwork":
        return { id: `${rgId(rg)}/providers/Microsoft.Network/virtualNetworks/${inputs.virtualNetworkName}`, name: inputs.virtualNetworkName };
      case "azure-native:network:Subnet":
        return {
          id: `${rgId(rg)}/providers/Microsoft.Network/virtualNetworks/${inputs.virtualNetworkName}/subnets/${inputs.subnetName}`,
          name: inputs.subnetName,
        };
      case "azure-native:network:PublicIPAddress":
        return { id: `${rgId(rg)}/providers/Microsoft.Network/publicIPAddresses/${inputs.publicIpAddressName}`, name: inputs.publicIpAddressName };
      case "azure-native:network:NatGateway":
        return { id: `${rgId(rg)}/providers/Microsoft.Network/natGateways/${inputs.natGatewayName}`, name: inputs.natGatewayName };
      case "azure-native:keyvault:Vault":
        return {
          id: `${rgId(rg)}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}`,
          name: inputs.vaultName,
          properties: { ...inputs.properties, vaultUri: `https://${inputs.vaultName}.vault.azure.net/` },
        };
      case "azure-native:keyvault:Key": {
        const keyUri = `https://${inputs.vaultName}.vault.azure.net/keys/${inputs.keyName}`;
        return {
          id: `${rgId(rg)}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}/keys/${inputs.keyName}`,
          name: inputs.keyName,
          keyUri,
          keyUriWithVersion: `${keyUri}/${crypto.createHash("sha256").update(keyUri).digest("hex").slice(0, 32)}`,
        };
      }
      case "azure-native:attestation:AttestationProvider": {
        const code = REGION_CODES[String(location).toLowerCase().replace(/\s+/g, "")];
        return {
          id: `${rgId(rg)}/providers/Microsoft.Attestation/attestationProviders/${inputs.providerName}`,
          name: inputs.providerName,
          attestUri: options.attestUri ?? (code ? `https://${inputs.providerName}.${code}.attest.azure.net` : undefined),
        };
      }
      case "azure-native:storage:StorageAccount":
        return {
          id: `${rgId(rg)}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}`,
          name: inputs.accountName,
          primaryEndpoints: { blob: `https://${inputs.accountName}.blob.core.windows.net/` },
        };
      case "azure-native:storage:BlobServiceProperties":
        return { id: `${rgId(rg)}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default`, name: "default" };
      case "azure-native:storage:BlobContainer":
        return {
          id: `${rgId(rg)}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default/containers/${inputs.containerName}`,
          name: inputs.containerName,
        };
      case "azure-native:managedidentity:UserAssignedIdentity":
        return {
          id: `${rgId(rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}`,
          name: inputs.resourceName,
          principalId: fakeGuid("principal", sub, inputs.resourceName),
          clientId: fakeGuid("client", sub, inputs.resourceName),
          tenantId,
        };
      case "azure-native:managedidentity:FederatedIdentityCredential":
        return {
          id: `${rgId(rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}/federatedIdentityCredentials/${inputs.federatedIdentityCredentialResourceName}`,
          name: inputs.federatedIdentityCredentialResourceName,
        };
      case "azure-native:containerservice:ManagedCluster":
        return {
          id: `${rgId(rg)}/providers/Microsoft.ContainerService/managedClusters/${inputs.resourceName}`,
          name: inputs.resourceName,
          fqdn: `${inputs.dnsPrefix}-abc123.hcp.${location}.azmk8s.io`,
          oidcIssuerProfile: { enabled: true, issuerURL: `https://${location}.oic.prod-aks.azure.com/${tenantId}/${fakeGuid("oidc", inputs.resourceName)}/` },
        };
      case "azure-native:containerservice:AgentPool":
        return {
          id: `${rgId(rg)}/providers/Microsoft.ContainerService/managedClusters/${inputs.resourceName}/agentPools/${inputs.agentPoolName}`,
          name: inputs.agentPoolName,
        };
      case "azure-native:containerinstance:ContainerGroup":
        return {
          id: `${rgId(rg)}/providers/Microsoft.ContainerInstance/containerGroups/${inputs.containerGroupName}`,
          name: inputs.containerGroupName,
          provisioningState: "Succeeded",
        };
      case "azure-native:authorization:RoleAssignment": {
        const name = fakeGuid("role", String(inputs.scope), String(inputs.principalId), String(inputs.roleDefinitionId));
        return { id: `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`, name };
      }
      default:
        return undefined;
    }
  }

  const mocks = {
    newResource(args) {
      const record = { type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, custom: args.custom };
      records.push(record);
      if (args.type === "pulumi:providers:azure-native") {
        const sub = args.inputs.subscriptionId || subscriptionId;
        const id = `provider-${args.name}-${sub}`;
        providerSubscriptions.set(id, sub);
        return { id, state: args.inputs };
      }
      if (args.type.startsWith("pulumi:providers:")) return { id: `provider-${args.name}`, state: args.inputs };
      if (args.type.startsWith("azure-native:")) {
        const synth = armState(args.type, args.inputs, subscriptionFor(args.provider));
        if (!synth) throw new Error(`pulumi-mocks: no ARM id synthesis for ${args.type}; add it to tools/pulumi-mocks/mocks.cjs`);
        return { id: synth.id, state: { ...args.inputs, ...synth } };
      }
      if (args.type.startsWith("kubernetes:")) {
        const md = args.inputs.metadata || {};
        return { id: md.namespace ? `${md.namespace}/${md.name}` : md.name || args.name, state: args.inputs };
      }
      // Component resources reach newResource too; they have no id.
      return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
    },
    call(args) {
      calls.push({ token: args.token, inputs: args.inputs, provider: args.provider });
      switch (args.token) {
        case "azure-native:containerservice:listManagedClusterUserCredentials": {
          const server = `https://${args.inputs.resourceName}-abc123.hcp.westeurope.azmk8s.io:443`;
          const yaml = [
            "apiVersion: v1",
            "clusters:",
            "- cluster:",
            "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUZBS0U9Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K",
            `    server: ${server}`,
            `  name: ${args.inputs.resourceName}`,
            "users:",
            "- name: clusterUser",
            "  user:",
            "    exec:",
            "      command: kubelogin",
            "",
          ].join("\n");
          return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(yaml).toString("base64") }] };
        }
        case "azure-native:authorization:getClientConfig":
          return { subscriptionId: subscriptionFor(args.provider), tenantId, clientId: fakeGuid("deployer"), objectId: fakeGuid("deployer-object") };
        default:
          throw new Error(`pulumi-mocks: unexpected invoke ${args.token}`);
      }
    },
  };

  return {
    mocks,
    records,
    calls,
    reset() {
      records.length = 0;
      calls.length = 0;
    },
  };
}

/**
 * ARM's GET of a container group after its containers ran to completion (shape of
 * learn.microsoft.com/rest/api/container-instances/container-groups/get): what the enclave-run waiter
 * reads. exitCodes: container name -> exit code (default 0).
 */
function terminatedContainerGroupReader(exitCodes = {}) {
  return {
    async get(id) {
      const names = ["enclave", "skr"];
      return {
        id,
        properties: {
          provisioningState: "Succeeded",
          instanceView: { state: "Stopped" },
          containers: names.map((name) => ({
            name,
            properties: {
              instanceView: {
                restartCount: 0,
                currentState: { state: "Terminated", exitCode: exitCodes[name] ?? 0, detailStatus: "Completed", finishTime: "2026-01-01T00:00:00Z" },
              },
            },
          })),
        },
      };
    },
  };
}

module.exports = { createCleanRoomMocks, terminatedContainerGroupReader, fakeGuid, DEFAULT_SUBSCRIPTION, DEFAULT_TENANT };
