import { describe, expect, it } from "vitest";
import {
  AKS_AAD_SERVER_ID,
  buildKubeloginKubeconfig,
  checkAttestUri,
  dedicatedAttestationEndpoint,
  KubeconfigError,
  parseClusterEndpoint,
  parseConfidentialSize,
  roleDefinitionIdForScope,
  sharedAttestationEndpoint,
  subscriptionOf,
  DeploymentMismatchError,
} from "../../components/index.ts";

describe("attestation endpoints", () => {
  it("derives shared and dedicated endpoints from the region code", () => {
    expect(sharedAttestationEndpoint("westeurope")).toBe("https://sharedweu.weu.attest.azure.net");
    expect(sharedAttestationEndpoint("East US")).toBe("https://sharedeus.eus.attest.azure.net");
    expect(dedicatedAttestationEndpoint("CleanRoom1", "northeurope")).toBe("https://cleanroom1.neu.attest.azure.net");
    expect(sharedAttestationEndpoint("antarctica")).toBeUndefined();
  });

  it("accepts the attestUri ARM reports when it matches, and refuses one that differs", () => {
    expect(checkAttestUri("https://X.weu.attest.azure.net/", "https://x.weu.attest.azure.net")).toBe("https://x.weu.attest.azure.net");
    expect(() => checkAttestUri("https://x.neu.attest.azure.net", "https://x.weu.attest.azure.net")).toThrow(DeploymentMismatchError);
  });
});

describe("confidential VM sizes", () => {
  it("recognises SEV-SNP and TDX families and rejects everything else", () => {
    expect(parseConfidentialSize("Standard_DC4as_v5")?.tee).toBe("sev-snp");
    expect(parseConfidentialSize("Standard_EC16ads_v5")?.tee).toBe("sev-snp");
    expect(parseConfidentialSize("Standard_DC8as_v6")?.tee).toBe("sev-snp");
    expect(parseConfidentialSize("Standard_DC4es_v5")?.tee).toBe("tdx");
    expect(parseConfidentialSize("Standard_EC8eds_v5")?.tee).toBe("tdx");
    for (const size of ["Standard_D4s_v5", "Standard_DC4s_v3", "Standard_DC4es_v6", "Standard_DC5as_v5", "standard_dc4as_v5", "Standard_DC4as_v4"]) {
      expect(parseConfidentialSize(size), size).toBeUndefined();
    }
  });
});

describe("role definition ids", () => {
  it("uses the subscription of the scope, so a vault in another subscription gets a valid role id", () => {
    const vault = "/subscriptions/9999/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v";
    expect(subscriptionOf(vault)).toBe("9999");
    expect(roleDefinitionIdForScope(`${vault}/keys/k`, "keyVaultCryptoServiceReleaseUser")).toBe(
      "/subscriptions/9999/providers/Microsoft.Authorization/roleDefinitions/08bbd89e-9f13-488c-ac41-acfcb10c90ab",
    );
    expect(() => subscriptionOf("not-an-id")).toThrow(/not an ARM resource id/);
  });
});

describe("kubeconfig for kubelogin", () => {
  const listed = [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    "    certificate-authority-data: Q0FEQVRB",
    "    server: https://aks-abc.hcp.westeurope.azmk8s.io:443",
    "  name: aks",
  ].join("\n");

  it("reads the server and CA from the listed user credentials", () => {
    expect(parseClusterEndpoint(listed)).toEqual({ server: "https://aks-abc.hcp.westeurope.azmk8s.io:443", certificateAuthorityData: "Q0FEQVRB" });
    expect(() => parseClusterEndpoint("apiVersion: v1\n")).toThrow(KubeconfigError);
  });

  it("authenticates with kubelogin against the AKS server id, non-interactively", () => {
    const kc = JSON.parse(
      buildKubeloginKubeconfig({ clusterName: "aks", endpoint: parseClusterEndpoint(listed), tenantId: "t-1", loginMode: "workloadidentity" }),
    );
    const exec = kc.users[0].user.exec;
    expect(exec.command).toBe("kubelogin");
    expect(exec.interactiveMode).toBe("Never");
    expect(exec.args).toEqual(expect.arrayContaining(["get-token", "--login", "workloadidentity", "--server-id", AKS_AAD_SERVER_ID, "--tenant-id", "t-1"]));
    expect(AKS_AAD_SERVER_ID).toBe("6dae42f8-4368-4678-94ff-3960e28e3630");
    expect(kc.clusters[0].cluster.server).toBe("https://aks-abc.hcp.westeurope.azmk8s.io:443");
    expect(kc["current-context"]).toBe("aks");
    expect(JSON.stringify(kc)).not.toMatch(/client-key|token:/);
  });
});
