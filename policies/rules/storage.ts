// Storage: the shared account holds every party's ciphertext and the results. Nothing is anonymous,
// nothing bypasses Entra ID with an account key, nothing travels without TLS 1.2, and the data is
// encrypted twice at rest. Properties must be set explicitly: defaults differ across API versions.
import { defineConfig, forTypes, type CleanRoomResourcePolicy, type Props } from "./policy.ts";
import { resourceLabel, sameText } from "./props.ts";
import { AzureTypes } from "./resource-types.ts";

const accountLabel = (props: Props, name: string) => resourceLabel("storage account", props, ["accountName"], name);

export const storageNoPublicBlobAccess: CleanRoomResourcePolicy = {
  name: "storage-no-public-blob-access",
  description: "Storage accounts forbid anonymous blob access, and no container is public.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: 'Set allowBlobPublicAccess: false on the account and publicAccess: "None" on every container.',
  validateResource: [
    forTypes([AzureTypes.storageAccount], (props, args, report) => {
      if (props.allowBlobPublicAccess !== false) {
        report(`${accountLabel(props, args.name)} does not set allowBlobPublicAccess: false; a container could be opened to anonymous readers.`);
      }
    }),
    forTypes([AzureTypes.blobContainer], (props, args, report) => {
      const access = props.publicAccess;
      if (access !== undefined && !sameText(access, "None")) {
        report(`${resourceLabel("container", props, ["containerName"], args.name)} allows anonymous access (publicAccess ${JSON.stringify(access)}).`);
      }
    }),
  ],
};

export const storageNoSharedKeyAccess: CleanRoomResourcePolicy = {
  name: "storage-no-shared-key-access",
  description: "Storage accounts refuse shared-key (account key and SAS) authorisation, so every access is an Entra ID identity the role assignments govern.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set allowSharedKeyAccess: false (and defaultToOAuthAuthentication: true).",
  validateResource: forTypes([AzureTypes.storageAccount], (props, args, report) => {
    if (props.allowSharedKeyAccess !== false) {
      report(`${accountLabel(props, args.name)} does not set allowSharedKeyAccess: false; anyone holding an account key could read or replace any party's data.`);
    }
  }),
};

const tlsConfig = defineConfig<{ allowedTlsVersions: string[] }>({
  allowedTlsVersions: {
    type: "array",
    items: { type: "string", enum: ["TLS1_2", "TLS1_3"] },
    default: ["TLS1_2", "TLS1_3"],
    description: "minimumTlsVersion values accepted.",
  },
});

export const storageTls12: CleanRoomResourcePolicy = {
  name: "storage-minimum-tls12",
  description: "Storage accounts refuse TLS versions older than 1.2.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: 'Set minimumTlsVersion: "TLS1_2".',
  configSchema: tlsConfig.schema,
  validateResource: forTypes([AzureTypes.storageAccount], (props, args, report) => {
    const { allowedTlsVersions } = tlsConfig.read(args);
    const version = props.minimumTlsVersion;
    if (typeof version !== "string" || !allowedTlsVersions.includes(version)) {
      report(`${accountLabel(props, args.name)} has minimumTlsVersion ${JSON.stringify(version ?? null)}; allowed: ${allowedTlsVersions.join(", ")}.`);
    }
  }),
};

export const storageHttpsOnly: CleanRoomResourcePolicy = {
  name: "storage-https-only",
  description: "Storage accounts accept HTTPS only.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: "Set enableHttpsTrafficOnly: true.",
  validateResource: forTypes([AzureTypes.storageAccount], (props, args, report) => {
    if (props.enableHttpsTrafficOnly !== true) {
      report(`${accountLabel(props, args.name)} does not set enableHttpsTrafficOnly: true.`);
    }
  }),
};

export const storageInfrastructureEncryption: CleanRoomResourcePolicy = {
  name: "storage-infrastructure-encryption",
  description: "Storage accounts encrypt data twice at rest (infrastructure encryption), which can only be chosen when the account is created.",
  enforcementLevel: "mandatory",
  severity: "medium",
  remediationSteps: "Set encryption.requireInfrastructureEncryption: true (requires recreating an existing account).",
  validateResource: forTypes([AzureTypes.storageAccount], (props, args, report) => {
    if (props.encryption?.requireInfrastructureEncryption !== true) {
      report(`${accountLabel(props, args.name)} does not set encryption.requireInfrastructureEncryption: true.`);
    }
  }),
};

export const storageNetworkDefaultDeny: CleanRoomResourcePolicy = {
  name: "storage-network-default-deny",
  description: "Storage firewalls deny by default and admit only the enclave subnet and the parties' networks.",
  enforcementLevel: "advisory",
  severity: "medium",
  remediationSteps: 'Set networkRuleSet.defaultAction: "Deny" with the node subnet and the parties\' IP ranges as exceptions, or publicNetworkAccess: "Disabled" with private endpoints.',
  validateResource: forTypes([AzureTypes.storageAccount], (props, args, report) => {
    if (sameText(props.publicNetworkAccess, "Disabled")) return;
    const action = props.networkRuleSet?.defaultAction;
    if (!sameText(action, "Deny")) {
      report(`${accountLabel(props, args.name)} network default action is ${JSON.stringify(action ?? "Allow (default)")}.`);
    }
  }),
};

export const storagePolicies = [
  storageNoPublicBlobAccess,
  storageNoSharedKeyAccess,
  storageTls12,
  storageHttpsOnly,
  storageInfrastructureEncryption,
  storageNetworkDefaultDeny,
];
