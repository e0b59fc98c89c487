// Policy pack config as `pulumi preview --policy-pack-config` reads and reconciles it: schema defaults,
// then "all", then each policy's own entry; invalid levels and values are refused with the entry named.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { policies } from "../../policies/rules/index.ts";
import { parsePolicyConfig, reconcilePolicyConfig } from "../../policies/review/policy-config.ts";
import { ReviewError } from "../../policies/review/errors.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";

const reconcile = (doc: unknown) => reconcilePolicyConfig(policies, parsePolicyConfig(JSON.stringify(doc)));

function configError(run: () => unknown): ReviewError {
  try {
    run();
  } catch (err) {
    if (err instanceof ReviewError) return err;
    throw err;
  }
  throw new Error("expected a ReviewError");
}

describe("policy config", () => {
  it("starts from each policy's default level and its schema defaults", () => {
    const { config, warnings } = reconcilePolicyConfig(policies);
    expect(config.get("keyvault-premium-sku")).toEqual({ enforcementLevel: "mandatory", properties: {} });
    expect(config.get("storage-network-default-deny")?.enforcementLevel).toBe("advisory");
    expect(config.get("keyvault-soft-delete")?.properties).toEqual({ minimumRetentionDays: 7 });
    expect(config.get("k8s-enclave-no-host-access")?.properties).toMatchObject({ allowedHostPathDevices: ["/dev/tpmrm0"], enclaveNamespaces: ["cleanroom"] });
    expect(warnings).toEqual([]);
  });

  it('applies "all" first and a policy\'s own level and properties over it', () => {
    const { config } = reconcile({
      all: "advisory",
      "keyvault-premium-sku": "mandatory",
      "keyvault-soft-delete": { enforcementLevel: "disabled", minimumRetentionDays: 30 },
    });
    expect(config.get("storage-https-only")?.enforcementLevel).toBe("advisory");
    expect(config.get("keyvault-premium-sku")?.enforcementLevel).toBe("mandatory");
    expect(config.get("keyvault-soft-delete")).toEqual({ enforcementLevel: "disabled", properties: { minimumRetentionDays: 30 } });
  });

  it("keeps the defaults of properties a policy entry does not set", () => {
    const { config } = reconcile({ "key-hsm-type-and-size": { minimumRsaKeySize: 4096 } });
    expect(config.get("key-hsm-type-and-size")?.properties).toEqual({ allowedKeyTypes: ["RSA-HSM", "EC-HSM"], minimumRsaKeySize: 4096 });
  });

  it("refuses an unknown enforcement level, naming the entry", () => {
    const err = configError(() => parsePolicyConfig(JSON.stringify({ "storage-https-only": "warn" }), "cfg.json"));
    expect(err.code).toBe("REVIEW_POLICY_CONFIG_INVALID");
    expect(err.message).toBe('cfg.json: "storage-https-only": "warn" is not an enforcement level (advisory, mandatory, remediate, disabled)');
    expect(configError(() => parsePolicyConfig('{"all": 3}')).message).toMatch(/"all": 3 must be an enforcement level string or an object/);
    expect(configError(() => parsePolicyConfig("{not json")).message).toMatch(/is not JSON/);
  });

  it("refuses values that break a policy's config schema, listing each", () => {
    const err = configError(() =>
      reconcile({
        "keyvault-soft-delete": { minimumRetentionDays: 3 },
        "key-release-policy-attested": { allowedTeeTypes: ["sevsnpvm", "sgx"] },
        "storage-minimum-tls12": { allowedTlsVersions: "TLS1_2" },
      }),
    );
    expect(err.isUsageError).toBe(true);
    expect(err.message).toContain("keyvault-soft-delete.minimumRetentionDays: must be >= 7, got 3");
    expect(err.message).toContain('key-release-policy-attested.allowedTeeTypes[1]: must be one of "sevsnpvm", "tdxvm", got "sgx"');
    expect(err.message).toContain('storage-minimum-tls12.allowedTlsVersions: expected array, got "TLS1_2"');
  });

  it("warns about names the engine would silently ignore", () => {
    const { warnings } = reconcile({ "keyvault-premium": "disabled", "keyvault-soft-delete": { minimumDays: 30 } });
    expect(warnings).toEqual([
      'policy config names "keyvault-premium", which is not a policy of this pack; ignored',
      'policy config for "keyvault-soft-delete" sets "minimumDays", which the policy does not read; ignored',
    ]);
  });

  it("accepts the example config shipped with the pack (docs/policies.md) without warnings", () => {
    const text = readFileSync(join(REPO_ROOT, "policies/policy-config.example.json"), "utf8");
    const { config, warnings } = reconcilePolicyConfig(policies, parsePolicyConfig(text));
    expect(warnings).toEqual([]);
    expect(config.get("storage-network-default-deny")?.enforcementLevel).toBe("mandatory");
    expect(config.get("key-release-policy-attested")?.properties.allowedTeeTypes).toEqual(["sevsnpvm"]);
  });
});
