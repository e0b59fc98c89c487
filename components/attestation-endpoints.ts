// Microsoft Azure Attestation endpoints. Shared providers are named shared<code>.<code>.attest.azure.net
// and a dedicated provider is <name>.<code>.attest.azure.net, with the same regional short code.
// Sources: the shared-provider table in MicrosoftDocs/azure-docs articles/attestation/basic-concepts.md,
// and the endpoint list in Azure-Samples/confidential-computing. The table is restricted to regions
// where AKS offers AMD SEV-SNP confidential VM sizes (DCasv5/ECasv5); keep it in one place so adding a
// region is a one-line change.
export const ATTESTATION_REGION_CODES: Readonly<Record<string, string>> = {
  australiaeast: "eau",
  canadacentral: "cac",
  canadaeast: "cae",
  centralindia: "cin",
  centralus: "cus",
  eastasia: "easia",
  eastus: "eus",
  eastus2: "eus2",
  francecentral: "frc",
  germanywestcentral: "dewc",
  italynorth: "itn",
  japaneast: "jpe",
  koreacentral: "krc",
  northeurope: "neu",
  southeastasia: "sasia",
  swedencentral: "sec",
  switzerlandnorth: "swn",
  uaenorth: "uaen",
  uksouth: "uks",
  westeurope: "weu",
  westus: "wus",
  westus3: "wus3",
};

/** "West Europe" and "westeurope" both name the same region in ARM. */
export function normalizeLocation(location: string): string {
  return location.toLowerCase().replace(/\s+/g, "");
}

export function attestationRegionCode(location: string): string | undefined {
  return ATTESTATION_REGION_CODES[normalizeLocation(location)];
}

export function sharedAttestationEndpoint(location: string): string | undefined {
  const code = attestationRegionCode(location);
  return code ? `https://shared${code}.${code}.attest.azure.net` : undefined;
}

export function dedicatedAttestationEndpoint(providerName: string, location: string): string | undefined {
  const code = attestationRegionCode(location);
  return code ? `https://${providerName.toLowerCase()}.${code}.attest.azure.net` : undefined;
}

/** Token `iss` and ARM attestUri may differ in case or a trailing slash; release policies compare exact strings. */
export function normalizeEndpoint(uri: string): string {
  return uri.trim().replace(/\/+$/, "").toLowerCase();
}
