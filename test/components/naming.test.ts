import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { naming } from "../../components/index.ts";
import { kekKeyNameFromDigest } from "../../enclave-app/src/protocol/index.ts";

const partyName = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,21}[a-z0-9]$/)
  .filter((s) => !s.includes("--") && naming.NAME_RULES.party.test(s));
const collaborationName = fc.stringMatching(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/).filter((s) => naming.NAME_RULES.collaboration.test(s));

describe("physical names", () => {
  it("vault names stay within Key Vault's rules for every valid party name", () => {
    fc.assert(
      fc.property(collaborationName, partyName, fc.string(), (collab, party, seed) => {
        const name = naming.vaultName(naming.namingContext(collab, seed), party);
        expect(name).toMatch(naming.NAME_RULES.vault);
        expect(name.length).toBeLessThanOrEqual(24);
        expect(name).not.toContain("--");
      }),
    );
  });

  it("storage, attestation, cluster and resource group names stay within their rules for every valid collaboration", () => {
    fc.assert(
      fc.property(collaborationName, fc.string(), (collab, seed) => {
        const ctx = naming.namingContext(collab, seed);
        expect(naming.storageAccountName(ctx)).toMatch(naming.NAME_RULES.storageAccount);
        expect(naming.attestationProviderName(ctx)).toMatch(naming.NAME_RULES.attestationProvider);
        expect(naming.clusterName(ctx)).toMatch(naming.NAME_RULES.dnsLabel);
        expect(naming.resourceGroupName(ctx)).toMatch(naming.NAME_RULES.dnsLabel);
        expect(naming.nodeResourceGroupName(ctx)).toMatch(naming.NAME_RULES.dnsLabel);
      }),
    );
  });

  it("input container names and key names follow the blob container and key rules", () => {
    fc.assert(
      fc.property(partyName, fc.constantFrom(3072, 4096), fc.stringMatching(/^[0-9a-f]{64}$/), (party, size, digest) => {
        expect(naming.inputContainerName(party)).toMatch(naming.NAME_RULES.dnsLabel);
        expect(kekKeyNameFromDigest(party, size, digest)).toMatch(naming.NAME_RULES.key);
      }),
    );
  });

  it("is deterministic, and the naming seed changes every globally unique name", () => {
    const a = naming.namingContext("fraud-overlap");
    const b = naming.namingContext("fraud-overlap", "fraud-overlap-2");
    expect(naming.vaultName(a, "bank")).toBe(naming.vaultName(naming.namingContext("fraud-overlap"), "bank"));
    expect(naming.vaultName(a, "bank")).not.toBe(naming.vaultName(b, "bank"));
    expect(naming.storageAccountName(a)).not.toBe(naming.storageAccountName(b));
    expect(naming.attestationProviderName(a)).not.toBe(naming.attestationProviderName(b));
    expect(naming.vaultName(a, "bank")).not.toBe(naming.vaultName(a, "insurer"));
  });

  it("puts the key size and a release-policy digest prefix in the key name, so a new policy is a new key", () => {
    const d1 = "a".repeat(64);
    const d2 = "b".repeat(64);
    expect(kekKeyNameFromDigest("bank", 3072, d1)).toBe("bank-kek-rsa3072-aaaaaaaaaaaa");
    expect(kekKeyNameFromDigest("bank", 3072, d1)).not.toBe(kekKeyNameFromDigest("bank", 3072, d2));
    expect(kekKeyNameFromDigest("bank", 3072, d1)).not.toBe(kekKeyNameFromDigest("bank", 4096, d1));
  });

  it("builds versionless key ids and blob endpoints from names", () => {
    expect(naming.versionlessKeyId("bank-1a2b3c4d", "bank-kek-rsa3072-aaaaaaaaaaaa")).toBe(
      "https://bank-1a2b3c4d.vault.azure.net/keys/bank-kek-rsa3072-aaaaaaaaaaaa",
    );
    expect(naming.blobEndpoint("acct")).toBe("https://acct.blob.core.windows.net");
  });
});
