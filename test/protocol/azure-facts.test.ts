// The Azure facts the components and the policy pack share through the protocol module: confidential
// VM sizes, the attestation region table, built-in role ids, and the names of the tags the clean room writes.
import { describe, expect, it } from "vitest";
import {
  ATTESTATION_REGION_CODES,
  AzureRoleIds,
  azureRoleName,
  azureTagNameProblem,
  azureTagValueProblem,
  blobMetadataNameProblem,
  COLLABORATION_TAG,
  dedicatedAttestationEndpoint,
  PARTY_TAG,
  parseConfidentialSize,
  SHARED_ATTESTATION_ENDPOINTS,
  sharedAttestationEndpoint,
} from "../../enclave-app/src/protocol/index.ts";

describe("confidential VM sizes", () => {
  it("tells the TEE, vCPUs and family of SEV-SNP and TDX sizes", () => {
    expect(parseConfidentialSize("Standard_DC4as_v5")).toEqual({ size: "Standard_DC4as_v5", tee: "sev-snp", vcpus: 4, family: "DCasv5" });
    expect(parseConfidentialSize("Standard_EC96ads_v6")).toEqual({ size: "Standard_EC96ads_v6", tee: "sev-snp", vcpus: 96, family: "ECadsv6" });
    expect(parseConfidentialSize("Standard_DC16eds_v5")).toEqual({ size: "Standard_DC16eds_v5", tee: "tdx", vcpus: 16, family: "DCedsv5" });
  });

  it("refuses sizes outside the families, TDX v6, unknown vCPU counts and what is not a string", () => {
    for (const size of ["Standard_D4s_v5", "Standard_DC4s_v3", "Standard_DC4es_v6", "Standard_DC5as_v5", "Standard_DC4as_v4", "Standard_DC4as_v5 ", 4, undefined]) {
      expect(parseConfidentialSize(size), String(size)).toBeUndefined();
    }
  });

  it("insists on the documented spelling unless asked to ignore case, as ARM does", () => {
    expect(parseConfidentialSize("standard_dc4as_v5")).toBeUndefined();
    expect(parseConfidentialSize("standard_dc4as_v5", { ignoreCase: true })).toEqual({ size: "standard_dc4as_v5", tee: "sev-snp", vcpus: 4, family: "DCasv5" });
    expect(parseConfidentialSize("STANDARD_DC8ES_V5", { ignoreCase: true })?.tee).toBe("tdx");
    expect(parseConfidentialSize("standard_dc4es_v6", { ignoreCase: true })).toBeUndefined();
  });
});

describe("attestation endpoints", () => {
  it("derives shared and dedicated endpoints from the region code, for any spelling of the region", () => {
    expect(sharedAttestationEndpoint("West Europe")).toBe("https://sharedweu.weu.attest.azure.net");
    expect(dedicatedAttestationEndpoint("CleanRoomAt1", "germanywestcentral")).toBe("https://cleanroomat1.dewc.attest.azure.net");
    expect(dedicatedAttestationEndpoint("x", "antarctica")).toBeUndefined();
  });

  it("lists the shared endpoint of every region in the table, in table order", () => {
    const regions = Object.keys(ATTESTATION_REGION_CODES);
    expect(SHARED_ATTESTATION_ENDPOINTS).toEqual(regions.map((r) => sharedAttestationEndpoint(r)));
    expect(SHARED_ATTESTATION_ENDPOINTS).toHaveLength(22);
    expect(new Set(SHARED_ATTESTATION_ENDPOINTS).size).toBe(22);
    for (const e of SHARED_ATTESTATION_ENDPOINTS) expect(e).toMatch(/^https:\/\/shared([a-z0-9]+)\.\1\.attest\.azure\.net$/);
  });
});

describe("resource tags", () => {
  it("names the party and collaboration tags so that ARM accepts them as tag names and Blob storage as metadata names", () => {
    for (const name of [PARTY_TAG, COLLABORATION_TAG]) {
      expect(azureTagNameProblem(name), name).toBeUndefined();
      expect(blobMetadataNameProblem(name), name).toBeUndefined();
    }
  });

  it("refuses tag names ARM refuses, naming the reason", () => {
    expect(azureTagNameProblem("cleanroom.io/party")).toMatch(/"cleanroom\.io\/party" contains a character ARM refuses/);
    for (const name of ["a<b", "a>b", "50%", "a&b", "a\\b", "why?", "tab\tname"]) expect(azureTagNameProblem(name), name).toMatch(/ARM refuses/);
    expect(azureTagNameProblem(" ")).toMatch(/empty/);
    expect(azureTagNameProblem("x".repeat(129))).toMatch(/longer than 128/);
    expect(azureTagNameProblem("cost-center.team:a_b")).toBeUndefined();
    expect(azureTagValueProblem("v".repeat(257))).toMatch(/longer than 256/);
    expect(azureTagValueProblem("westeurope / team a")).toBeUndefined();
  });

  it("refuses metadata names that are not C# identifiers", () => {
    for (const name of ["cleanroom-party", "cleanroom.io/party", "1party", ""]) expect(blobMetadataNameProblem(name), name).toMatch(/not a C# identifier/);
    expect(blobMetadataNameProblem("_Party2")).toBeUndefined();
  });
});

describe("built-in Azure role ids", () => {
  // Literal GUIDs from ../shared/reference/azure.md (and learn.microsoft.com's built-in roles page):
  // a typo in the shared table would grant the wrong role everywhere, so pin them here.
  it("match the documented role definition ids", () => {
    expect(AzureRoleIds.keyVaultCryptoServiceReleaseUser).toBe("08bbd89e-9f13-488c-ac41-acfcb10c90ab");
    expect(AzureRoleIds.keyVaultCryptoUser).toBe("12338af0-0e69-4776-bea7-57ae8d297424");
    expect(AzureRoleIds.keyVaultCryptoOfficer).toBe("14b46e9e-c2b7-41b4-b07b-48a6ebf60603");
    expect(AzureRoleIds.keyVaultAdministrator).toBe("00482a5a-887f-4fb3-b363-3b7fe8e74483");
    expect(AzureRoleIds.keyVaultDataAccessAdministrator).toBe("8b54135c-b56d-4d72-a534-26097cfdc8d8");
    expect(AzureRoleIds.storageBlobDataReader).toBe("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
    expect(AzureRoleIds.storageBlobDataContributor).toBe("ba92f5b4-2d11-453d-a403-e96b0029c9fe");
    expect(AzureRoleIds.owner).toBe("8e3af657-a8ff-443c-a75c-2fe8c4bcb635");
    expect(AzureRoleIds.contributor).toBe("b24988ac-6180-42a3-ab88-20f7382dd24c");
    expect(AzureRoleIds.userAccessAdministrator).toBe("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9");
  });

  it("names a known GUID in any letter case and nothing else", () => {
    expect(azureRoleName("08BBD89E-9F13-488C-ACFC-B10C90AB")).toBeUndefined();
    expect(azureRoleName("08BBD89E-9F13-488C-AC41-ACFCB10C90AB")).toBe("Key Vault Crypto Service Release User");
    expect(new Set(Object.values(AzureRoleIds)).size).toBe(Object.keys(AzureRoleIds).length);
  });
});
