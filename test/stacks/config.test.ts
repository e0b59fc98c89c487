import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadStackConfig, parseStackConfig, StackConfigError } from "../../stacks/config.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";

const NS = "confidential-clean-room";
const example = () => stackFileToPulumiConfig(join(REPO_ROOT, "stacks/Pulumi.fraud-bank-insurer.yaml"));

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof StackConfigError) return err.issues.map((i) => `${i.key} [${i.rule}]`);
    throw err;
  }
  throw new Error("expected a StackConfigError");
}

describe("stack config", () => {
  it("loads the example stack into clean-room arguments", () => {
    const { args, approvals } = loadStackConfig(example());
    expect(args.collaboration).toBe("fraud-bank-insurer");
    expect(args.parties.map((p) => p.name)).toEqual(["bank", "insurer"]);
    expect(Object.keys(approvals).sort()).toEqual(["bank", "insurer"]);
  });

  it("refuses a structured value that gives a key twice, naming the key and its path", () => {
    const raw = example();
    raw[`${NS}:privacy`] = '{"minGroupSize": 10, "countColumn": "n", "allowedColumns": ["n"], "minGroupSize": 1}';
    expect(issuesOf(() => loadStackConfig(raw))).toContain(`${NS}:privacy [duplicate-key]`);
    expect(() => loadStackConfig(raw)).toThrow(/config value \S+:privacy gives the key "minGroupSize" twice at the top level/);
  });

  it("lists every bad key in one error: types, unknown keys, missing keys and unknown parties", () => {
    const raw = example();
    raw[`${NS}:privacy`] = JSON.stringify({ minGroupSize: "ten", countColumn: "n", allowedColumns: ["n"] });
    raw[`${NS}:recipients`] = "bank";
    raw[`${NS}:partys`] = "[]";
    delete raw[`${NS}:sql`];
    const parties = JSON.parse(raw[`${NS}:parties`]!);
    parties[0].admins = ["not-a-guid"];
    parties[1].colour = "blue";
    raw[`${NS}:parties`] = JSON.stringify(parties);
    const issues = issuesOf(() => parseStackConfig(raw));
    expect(issues).toEqual(
      expect.arrayContaining([
        `${NS}:privacy.minGroupSize [type]`,
        `${NS}:recipients [not-structured]`,
        `${NS}:partys [unknown-key]`,
        `${NS}:sql [required]`,
        `${NS}:parties[0].admins[0] [type]`,
        `${NS}:parties[1] [unknown-key]`,
      ]),
    );
    expect(issues).toHaveLength(6);
  });

  it("names component rules of the well-formed keys in the same error as the shape problems of the others", () => {
    const raw = example();
    raw[`${NS}:privacy`] = JSON.stringify({ minGroupSize: "ten", countColumn: "n", allowedColumns: ["n"] });
    const parties = JSON.parse(raw[`${NS}:parties`]!);
    parties[0].keySize = 1024;
    raw[`${NS}:parties`] = JSON.stringify(parties);
    raw[`${NS}:location`] = "antarctica";
    raw[`${NS}:storage`] = JSON.stringify({ accountName: "Not_A_Name" });
    const issues = issuesOf(() => loadStackConfig(raw));
    expect(issues).toEqual(
      expect.arrayContaining([
        `${NS}:privacy.minGroupSize [type]`,
        `${NS}:parties[0].keySize [kek-size]`,
        `${NS}:location [unsupported-region]`,
        `${NS}:storage.accountName [storage-account-name]`,
      ]),
    );
    // The malformed key is reported by its shape alone, not again by the rules that found it missing.
    expect(issues.filter((i) => i.startsWith(`${NS}:privacy`))).toEqual([`${NS}:privacy.minGroupSize [type]`]);
  });

  it("checks references and component rules against config keys", () => {
    const raw = example();
    const datasets = JSON.parse(raw[`${NS}:datasets`]!);
    datasets[1].owner = "reinsurer";
    raw[`${NS}:datasets`] = JSON.stringify(datasets);
    raw[`${NS}:recipients`] = JSON.stringify(["bank", "broker"]);
    raw[`${NS}:approvals`] = JSON.stringify({ ...JSON.parse(raw[`${NS}:approvals`]!), broker: "a.b.c" });
    raw[`${NS}:cluster`] = JSON.stringify({ enclavePool: { vmSize: "Standard_D4s_v5" } });
    raw[`${NS}:enclaveImage`] = "ghcr.io/example/enclave:latest";
    const issues = issuesOf(() => loadStackConfig(raw));
    expect(issues).toEqual(
      expect.arrayContaining([
        `${NS}:datasets[1].owner [unknown-party]`,
        `${NS}:recipients[1] [unknown-recipient]`,
        `${NS}:approvals.broker [unknown-party]`,
        `${NS}:cluster.enclavePool.vmSize [not-confidential-vm-size]`,
        `${NS}:enclaveImage [image-not-pinned]`,
      ]),
    );
  });

  it("reports contract rules (e.g. a signing key that is not a valid JWK) at the config key", () => {
    const raw = example();
    const parties = JSON.parse(raw[`${NS}:parties`]!);
    parties[0].kekPublicKey = { kty: "RSA", n: "AQAB", e: "AQAB" };
    raw[`${NS}:parties`] = JSON.stringify(parties);
    const issues = issuesOf(() => loadStackConfig(raw));
    expect(issues.some((i) => i.startsWith(`${NS}:parties[0].kekPublicKey`))).toBe(true);
  });

  it("reports a contract rule at the config key that sets the field, with no mapping of its own", () => {
    const raw = example();
    const datasets = JSON.parse(raw[`${NS}:datasets`]!);
    datasets[0].schema[0].type = "TEXT";
    datasets[1].blobName = "a//b";
    raw[`${NS}:datasets`] = JSON.stringify(datasets);
    raw[`${NS}:enclaveImage`] = "ghcr.io/example/enclave:latest";
    expect(issuesOf(() => loadStackConfig(raw))).toEqual(
      expect.arrayContaining([`${NS}:datasets[0].schema[0].type [bad-column-type]`, `${NS}:datasets[1].blobName [bad-blob-path]`, `${NS}:enclaveImage [image-not-pinned]`]),
    );
  });

  it("refuses approvals before the contract is complete, and a party subscription without its tenant", () => {
    const raw = example();
    const parties = JSON.parse(raw[`${NS}:parties`]!);
    delete parties[0].kekPublicKey;
    parties[1].subscriptionId = "99999999-8888-7777-6666-555555555555";
    raw[`${NS}:parties`] = JSON.stringify(parties);
    const issues = issuesOf(() => loadStackConfig(raw));
    expect(issues).toEqual(expect.arrayContaining([`${NS}:approvals [approvals-without-contract]`, `${NS}:parties[1].tenantId [required]`]));
  });

  it("reads the namespace of the project it runs in (a project scaffolded under another name)", () => {
    const renamed = Object.fromEntries(Object.entries(example()).map(([k, v]) => [k.replace(`${NS}:`, "my-room:"), v]));
    expect(loadStackConfig(renamed, "my-room").args.collaboration).toBe("fraud-bank-insurer");
    expect(issuesOf(() => loadStackConfig(renamed))).toContain(`${NS}:collaboration [required]`);
  });

  it("ignores other namespaces' keys", () => {
    const raw = { ...example(), "azure-native:location": "westeurope", "other-project:thing": "x" };
    expect(() => loadStackConfig(raw)).not.toThrow();
  });

  describe("enclave (confidential-container mode)", () => {
    const aciExample = () => stackFileToPulumiConfig(join(REPO_ROOT, "stacks/Pulumi.fraud-bank-insurer-aci.yaml"));

    it("loads the container-mode example: policy, pinned sidecar and run attempt reach the arguments", () => {
      const { args } = loadStackConfig(aciExample());
      expect(args.isolationMode).toBe("confidential-container");
      expect(args.enclave!.skrSidecarImage).toMatch(/^mcr\.microsoft\.com\/aci\/skr@sha256:[0-9a-f]{64}$/);
      expect(Buffer.from(args.enclave!.ccePolicy, "base64").toString()).toMatch(/PLACEHOLDER - NOT GENERATED BY CONFCOM[\s\S]*package policy/);
      expect(args.enclave!.runAttempt).toBe(1);
    });

    it("reports bad enclave values against their config keys", () => {
      const raw = aciExample();
      raw[`${NS}:enclave`] = JSON.stringify({ ccePolicy: "%%%", skrSidecarImage: "mcr.microsoft.com/aci/skr:latest", runAttempt: 0 });
      expect(issuesOf(() => loadStackConfig(raw))).toEqual(
        expect.arrayContaining([`${NS}:enclave.ccePolicy [cce-policy]`, `${NS}:enclave.skrSidecarImage [image-not-pinned]`, `${NS}:enclave.runAttempt [range]`]),
      );
      raw[`${NS}:enclave`] = JSON.stringify({ ccePolicy: "cGFja2FnZSBwb2xpY3k=", skrSidecarImage: "x", colour: "blue" });
      expect(issuesOf(() => loadStackConfig(raw))).toContain(`${NS}:enclave [unknown-key]`);
    });

    it("requires enclave in container mode and refuses it in node mode", () => {
      const raw = aciExample();
      delete raw[`${NS}:enclave`];
      expect(issuesOf(() => loadStackConfig(raw))).toContain(`${NS}:enclave [required]`);
      const node = example();
      node[`${NS}:enclave`] = aciExample()[`${NS}:enclave`]!;
      expect(issuesOf(() => loadStackConfig(node))).toContain(`${NS}:enclave [container-mode-only]`);
    });
  });
});
