// Microsoft Azure Attestation endpoints. Shared providers are shared<code>.<code>.attest.azure.net and
// a dedicated provider is <name>.<code>.attest.azure.net, with the same regional short code.
// Sources: the shared-provider table in MicrosoftDocs/azure-docs articles/attestation/basic-concepts.md,
// and the endpoint list in Azure-Samples/confidential-computing. The table is restricted to regions
// where AKS offers AMD SEV-SNP confidential VM sizes (DCasv5/ECasv5). It is the one table the
// components (which derive the endpoint a release policy pins) and the policy pack (which allows the
// shared endpoints by default) use, so adding a region is a one-line change.
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

const sharedEndpointOfCode = (code: string) => `https://shared${code}.${code}.attest.azure.net`;

export function sharedAttestationEndpoint(location: string): string | undefined {
  const code = attestationRegionCode(location);
  return code ? sharedEndpointOfCode(code) : undefined;
}

export function dedicatedAttestationEndpoint(providerName: string, location: string): string | undefined {
  const code = attestationRegionCode(location);
  return code ? `https://${providerName.toLowerCase()}.${code}.attest.azure.net` : undefined;
}

/** The shared endpoint of every region in the table, in table order. */
export const SHARED_ATTESTATION_ENDPOINTS: readonly string[] = Object.values(ATTESTATION_REGION_CODES).map(sharedEndpointOfCode);
