import { describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { Network } from "../../components/network.ts";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider.js";
import { COLLABORATION_TAG, decodeReleasePolicy, contractHash, PARTY_TAG } from "../../enclave-app/src/protocol/index.ts";
import {
  BuiltInRoles,
  CleanRoom,
  ComponentArgsError,
  naming,
  planCleanRoom,
  validateCleanRoomArgs,
  verifyContractApprovals,
  ApprovalsRejectedError,
  cleanRoomContract,
  type CleanRoomArgs,
} from "../../components/index.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, K8sTypes, fakeGuid, isSecret, roleGuid, setupPulumiMocks, valueOf, type RecordedResource } from "../helpers/pulumi.ts";
import { approvedArgs, completeArgs, partyKeys, phase1Args, principals, signAll } from "./fixtures.ts";

const mocks = setupPulumiMocks();
const KUBELET = fakeGuid("principal", DEFAULT_SUBSCRIPTION, "fraud-overlap-kubelet");
const WORKLOAD = fakeGuid("principal", DEFAULT_SUBSCRIPTION, "fraud-overlap-workload");

function rules(args: CleanRoomArgs): string[] {
  return validateCleanRoomArgs(args).map((i) => `${i.path}:${i.rule}`);
}

function roleRows(records: RecordedResource[]) {
  return records
    .filter((r) => r.type === AzureTypes.roleAssignment)
    .map((r) => ({ name: r.name, principal: r.inputs.principalId as string, role: roleGuid(r.inputs.roleDefinitionId), scope: r.inputs.scope as string, def: r.inputs.roleDefinitionId as string }));
}

describe("CleanRoom, phase 1 (no keys or digests yet)", () => {
  it("creates everything but the workload, and exposes vault URIs and versionless key ids", async () => {
    const room = new CleanRoom("room", phase1Args());
    await mocks.settle();
    expect(room.phase).toBe("awaiting-contract-inputs");
    expect(room.contract).toBeUndefined();
    expect(room.workload).toBeUndefined();
    expect(mocks.all(K8sTypes.job)).toHaveLength(0);
    expect(mocks.all(AzureTypes.vault)).toHaveLength(2);
    expect(mocks.all(AzureTypes.key)).toHaveLength(2);
    const bank = room.parties.bank!;
    expect(bank.keyId).toBe(`https://${bank.vaultName}.vault.azure.net/keys/${bank.keyName}`);
    expect(await valueOf(bank.vaultUri)).toBe(`https://${bank.vaultName}.vault.azure.net/`);
    expect(room.plan.pendingContractInputs).toEqual(expect.arrayContaining(["parties.bank.kekPublicKey", "datasets.claims.ciphertextSha256"]));
    expect(await valueOf(room.attestationEndpoint)).toBe(room.plan.attestation.endpoint);
    expect(room.releasePolicy.anyOf[0]!.authority).toBe(room.plan.attestation.endpoint);
    expect(await isSecret(room.kubeconfig!)).toBe(true);
  });

  it("registers every resource under a unique URN, parented to its component", () => {
    const urns = mocks.urns();
    expect(new Set(urns).size).toBe(urns.length);
    expect(urns.length).toBe(mocks.records.length);
    // The mock monitor keeps only the immediate parent's type in a URN (the engine keeps the chain).
    for (const urn of urns) {
      const qualified = urn.split("::")[2]!;
      if (qualified === "cleanroom:index:CleanRoom") continue;
      const parentType = qualified.split("$").slice(-2, -1)[0];
      expect(parentType, `${urn} has no component parent`).toMatch(/^cleanroom:index:(CleanRoom|Network|Attestation|ConfidentialCluster|PartyVault|SharedStorage)$/);
    }
    expect(urns.filter((u) => u.split("::")[2] === "cleanroom:index:CleanRoom")).toHaveLength(1);
    expect(mocks.urnOf(AzureTypes.key, "room-bank-kek")).toContain("cleanroom:index:PartyVault$azure-native:keyvault:Key");
    expect(mocks.urnOf("cleanroom:index:PartyVault", "room-bank")).toContain("cleanroom:index:CleanRoom$cleanroom:index:PartyVault");
  });

  it("names every resource explicitly within Azure's limits", () => {
    const nameOf = (type: string, key: string) => mocks.all(type).map((r) => r.inputs[key] as string);
    for (const n of nameOf(AzureTypes.vault, "vaultName")) expect(n).toMatch(naming.NAME_RULES.vault);
    for (const n of nameOf(AzureTypes.storageAccount, "accountName")) expect(n).toMatch(naming.NAME_RULES.storageAccount);
    for (const n of nameOf(AzureTypes.attestationProvider, "providerName")) expect(n).toMatch(naming.NAME_RULES.attestationProvider);
    for (const n of nameOf(AzureTypes.cluster, "resourceName")) expect(n).toMatch(naming.NAME_RULES.dnsLabel);
    for (const n of nameOf(AzureTypes.resourceGroup, "resourceGroupName")) expect(n).toMatch(naming.NAME_RULES.dnsLabel);
    for (const n of nameOf(AzureTypes.container, "containerName")) expect(n).toMatch(naming.NAME_RULES.dnsLabel);
    for (const n of nameOf(AzureTypes.agentPool, "agentPoolName")) expect(n).toMatch(naming.NAME_RULES.agentPool);
    for (const n of nameOf(AzureTypes.key, "keyName")) expect(n).toMatch(naming.NAME_RULES.key);
    for (const r of mocks.all().filter((x) => x.type.startsWith("azure-native:") && x.type !== AzureTypes.roleAssignment && x.type !== AzureTypes.blobService)) {
      const explicit = ["resourceGroupName", "virtualNetworkName", "subnetName", "vaultName", "keyName", "providerName", "accountName", "containerName", "resourceName", "agentPoolName"];
      expect(explicit.some((k) => typeof r.inputs[k] === "string"), `${r.type} ${r.name}`).toBe(true);
    }
  });

  it("tags every taggable Azure resource with the collaboration, and each vault and key with its party", () => {
    const taggable = mocks.all().filter((r) => r.type.startsWith("azure-native:") && !([AzureTypes.roleAssignment, AzureTypes.blobService, AzureTypes.container, AzureTypes.subnet, AzureTypes.federatedCredential] as string[]).includes(r.type));
    expect(new Set(taggable.map((r) => r.type))).toEqual(
      new Set([AzureTypes.resourceGroup, AzureTypes.vnet, AzureTypes.identity, AzureTypes.cluster, AzureTypes.agentPool, AzureTypes.vault, AzureTypes.key, AzureTypes.storageAccount]),
    );
    for (const r of taggable) expect(r.inputs.tags?.[COLLABORATION_TAG], `${r.type} ${r.name}`).toBe("fraud-overlap");
    for (const party of ["bank", "insurer"]) {
      expect(mocks.one(AzureTypes.vault, `room-${party}-vault`).inputs.tags[PARTY_TAG]).toBe(party);
      expect(mocks.one(AzureTypes.key, `room-${party}-kek`).inputs.tags[PARTY_TAG]).toBe(party);
      expect(mocks.one(AzureTypes.container, `room-storage-input-${party}`).inputs.metadata).toEqual({ [PARTY_TAG]: party });
    }
  });

  it("puts the same release policy, pinned to the collaboration's endpoint, on every party's key", () => {
    const policies = mocks.all(AzureTypes.key).map((k) => decodeReleasePolicy(k.inputs.properties.releasePolicy));
    expect(policies).toHaveLength(2);
    expect(policies[0]).toEqual(policies[1]);
    // Default: the shared regional provider, whose policy nobody can replace; no provider is deployed.
    expect(mocks.all(AzureTypes.attestationProvider)).toHaveLength(0);
    expect(new Set(policies[0]!.anyOf.map((a) => a.authority))).toEqual(new Set(["https://sharedweu.weu.attest.azure.net"]));
  });
});

describe("CleanRoom RBAC (least privilege)", () => {
  it("gives the kubelet identity only the release role, only at key scope, once per party key", () => {
    const rows = roleRows(mocks.records);
    const kubelet = rows.filter((r) => r.principal === KUBELET);
    expect(kubelet).toHaveLength(2);
    for (const r of kubelet) {
      expect(r.role).toBe(BuiltInRoles.keyVaultCryptoServiceReleaseUser);
      expect(r.scope).toMatch(/\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/keys\/[^/]+$/);
    }
    expect(new Set(kubelet.map((r) => r.scope)).size).toBe(2);
    // Nobody gets anything at resource group or subscription scope, and nobody gets Key Vault Administrator.
    for (const r of rows) {
      expect(r.scope, r.name).not.toMatch(/^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?$/);
      expect(r.role).not.toBe(BuiltInRoles.keyVaultAdministrator);
      expect(r.def).toMatch(/^\/subscriptions\/[0-9a-f-]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]+$/);
    }
    // The release role goes to nobody else.
    expect(rows.filter((r) => r.role === BuiltInRoles.keyVaultCryptoServiceReleaseUser).every((r) => r.principal === KUBELET)).toBe(true);
  });

  it("matches the documented matrix for parties", () => {
    const rows = roleRows(mocks.records);
    const has = (principal: string, role: string, scopePattern: RegExp) =>
      expect(rows.some((r) => r.principal === principal && r.role === role && scopePattern.test(r.scope)), `${principal} ${role} ${scopePattern}`).toBe(true);
    has(principals.bankAdmin, BuiltInRoles.keyVaultCryptoOfficer, /\/vaults\/bank-[0-9a-f]{8}$/);
    has(principals.bankUploader, BuiltInRoles.keyVaultCryptoUser, /\/vaults\/bank-[0-9a-f]{8}\/keys\/bank-kek-/);
    has(principals.bankUploader, BuiltInRoles.storageBlobDataContributor, /\/containers\/input-bank$/);
    has(principals.insurerUploader, BuiltInRoles.storageBlobDataContributor, /\/containers\/input-insurer$/);
    // Recipients read the output: the bank through its uploaders, the insurer through its resultReaders.
    has(principals.bankUploader, BuiltInRoles.storageBlobDataReader, /\/containers\/output$/);
    has(principals.insurerAnalyst, BuiltInRoles.storageBlobDataReader, /\/containers\/output$/);
    // Only each party's own uploaders write its input container.
    const writers = rows.filter((r) => r.role === BuiltInRoles.storageBlobDataContributor && r.scope.endsWith("/containers/input-bank"));
    expect(writers.map((r) => r.principal)).toEqual([principals.bankUploader]);
  });
});

describe("CleanRoom, phase 2", () => {
  it("creates the workload once the contract is complete and approved, with the workload identity limited to its containers", async () => {
    mocks.reset();
    const args = await approvedArgs();
    const room = new CleanRoom("room", args);
    await mocks.settle();
    expect(room.phase).toBe("approved");
    expect(room.contractHash).toBe(contractHash(room.contract!));
    expect(room.resultLocation).toBe(`https://${room.storageAccountName}.blob.core.windows.net/output/${room.contractHash}/`);
    const job = mocks.one(K8sTypes.job, "room-workload-job").inputs;
    expect(job.metadata.name).toMatch(new RegExp(`^cleanroom-${room.contractHash!.slice(0, 12)}-[0-9a-f]{12}-1$`));
    // The admission policy recognises the enclave pool's nodes by the pool the cluster created.
    const admission = mocks.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy", "room-workload-enclave-admission").inputs;
    expect(admission.spec.matchConditions[0].expression).toContain(`"aks-enclave-"`);
    const env = Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.IMDS_CLIENT_ID).toBe(fakeGuid("client", DEFAULT_SUBSCRIPTION, "fraud-overlap-kubelet"));
    expect(env.CLEANROOM_STORAGE_URL).toBe(room.blobEndpoint);
    expect(env.CLEANROOM_MAA_ENDPOINT).toBe(room.plan.attestation.endpoint);
    expect(mocks.one(AzureTypes.federatedCredential, "room-workload-federation").inputs.issuer).toBe(await valueOf(room.oidcIssuerUrl));
    const workload = roleRows(mocks.records).filter((r) => r.principal === WORKLOAD);
    expect(workload.map((r) => [r.role, r.scope.split("/").pop()])).toEqual([
      [BuiltInRoles.storageBlobDataReader, "input-bank"],
      [BuiltInRoles.storageBlobDataReader, "input-insurer"],
      [BuiltInRoles.storageBlobDataContributor, "output"],
    ]);
    // The contract pins versionless key ids of the keys this program creates.
    for (const p of room.contract!.parties) expect(p.kek.keyId).toBe(room.parties[p.name]!.keyId);
    expect(room.contract!.datasets.map((d) => d.blobPath)).toEqual(["input-bank/transactions.csv.enc", "input-insurer/claims.csv.enc"]);
  });

  it("waits for approvals without creating the workload when the contract is complete but unsigned", async () => {
    mocks.reset();
    const room = new CleanRoom("unsigned", completeArgs());
    await mocks.settle();
    expect(room.phase).toBe("awaiting-approvals");
    expect(room.contractJson).toBeDefined();
    expect(mocks.all(K8sTypes.job)).toHaveLength(0);
  });

  it("refuses approvals that were not produced by verification, or that belong to another contract", async () => {
    const args = completeArgs();
    const forged = { contractHash: contractHash(cleanRoomContract(args)!), approvals: {}, report: {} } as never;
    expect(() => new CleanRoom("forged", { ...args, approvals: forged })).toThrow(/approvals-not-verified/);
    const verified = (await approvedArgs()).approvals!;
    const otherContract = completeArgs({ sql: "SELECT region, count(*) AS n FROM transactions GROUP BY region" });
    expect(() => planCleanRoom({ ...otherContract, approvals: verified })).toThrow(/approvals-not-verified/);
  });

  it("reports invalid arguments as a pulumi.ResourceError naming the failing component", () => {
    const err = (() => {
      try {
        new CleanRoom("named", completeArgs({ recipients: ["nobody"] }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ComponentArgsError);
    expect(pulumi.ResourceError.isInstance(err)).toBe(true);
    expect((err as pulumi.ResourceError).resource).toBeInstanceOf(CleanRoom);
    expect((err as ComponentArgsError).issues.map((i) => i.path)).toContain("recipients[0]");
    // A sub-component names itself the same way.
    let network: unknown;
    try {
      new Network("bad-net", { resourceGroupName: "rg", location: "westeurope", vnetName: "x", nodeSubnetPrefix: "10.0.0.0/8" });
    } catch (e) {
      network = e;
    }
    expect((network as pulumi.ResourceError).resource).toBeInstanceOf(Network);
  });

  it("names missing and invalid approvals in one error", async () => {
    const args = completeArgs();
    const contract = cleanRoomContract(args)!;
    const approvals = await signAll(args, ["bank"]);
    await expect(verifyContractApprovals(contract, approvals)).rejects.toThrow(ApprovalsRejectedError);
    await expect(verifyContractApprovals(contract, approvals)).rejects.toThrow(/missing approvals from: insurer/);
    const tampered = { ...(await signAll(args)), insurer: approvals.bank! };
    await expect(verifyContractApprovals(contract, tampered)).rejects.toThrow(/do not verify: insurer/);
  });
});

describe("CleanRoom with a party in its own subscription", () => {
  it("deploys that party's vault, key and their role assignments through the party's provider", async () => {
    mocks.reset();
    const partySubscription = "99999999-8888-7777-6666-555555555555";
    const provider = new AzureProvider("insurer-subscription", { subscriptionId: partySubscription });
    const base = phase1Args();
    const args: CleanRoomArgs = { ...base, parties: base.parties.map((p) => (p.name === "insurer" ? { ...p, provider } : p)) };
    new CleanRoom("multi", args);
    await mocks.settle();
    const providerRef = (r: RecordedResource) => r.provider ?? "";
    const insurerVault = mocks.one(AzureTypes.vault, "multi-insurer-vault");
    expect(providerRef(insurerVault)).toContain("insurer-subscription");
    expect(providerRef(mocks.one(AzureTypes.key, "multi-insurer-kek"))).toContain("insurer-subscription");
    expect(providerRef(mocks.one(AzureTypes.roleAssignment, "multi-insurer-release"))).toContain("insurer-subscription");
    expect(providerRef(mocks.one(AzureTypes.vault, "multi-bank-vault"))).not.toContain("insurer-subscription");
    const group = mocks.one(AzureTypes.resourceGroup, "multi-insurer-rg");
    expect(providerRef(group)).toContain("insurer-subscription");
    expect(insurerVault.inputs.resourceGroupName).toBe("fraud-overlap-insurer-rg");
    const release = mocks.one(AzureTypes.roleAssignment, "multi-insurer-release").inputs;
    expect(release.scope).toMatch(new RegExp(`^/subscriptions/${partySubscription}/`));
    expect(release.roleDefinitionId).toBe(`/subscriptions/${partySubscription}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.keyVaultCryptoServiceReleaseUser}`);
  });
});

describe("CleanRoom with a dedicated attestation provider", () => {
  const policyHash = "Z26Ks-W3xMIHPzJhPMYgLAlMTRtjjG9EntuXis39it8";

  it("deploys the provider and pins its x-ms-policy-hash in every alternative of every release policy", async () => {
    mocks.reset();
    new CleanRoom("ded", phase1Args({ attestation: { kind: "dedicated", policyHash } }));
    await mocks.settle();
    expect(mocks.all(AzureTypes.attestationProvider)).toHaveLength(1);
    const policies = mocks.all(AzureTypes.key).map((k) => decodeReleasePolicy(k.inputs.properties.releasePolicy));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.anyOf[0]!.authority).toMatch(/^https:\/\/fraudoverlapat[0-9a-f]{7}\.weu\.attest\.azure\.net$/);
      for (const alt of policy.anyOf) expect(alt.allOf).toContainEqual({ claim: "x-ms-policy-hash", equals: policyHash });
    }
  });

  it("refuses a dedicated provider without its policy hash, naming the property and the rule", () => {
    const found = rules({ ...phase1Args(), attestation: { kind: "dedicated" } as never });
    expect(found).toContain("attestation.policyHash:policy-hash-required");
    expect(rules({ ...phase1Args(), attestation: { kind: "dedicated", policyHash: "short" } })).toContain("attestation.policyHash:bad-policy-hash");
  });
});

describe("CleanRoom with a party vault in another tenant", () => {
  it("uses the party's tenant for its vault and warns that the release role cannot reach a foreign tenant", async () => {
    mocks.reset();
    const otherTenant = fakeGuid("other-tenant");
    const warnings: string[] = [];
    const spy = vi.spyOn(console, "warn").mockImplementation((msg: unknown) => void warnings.push(String(msg)));
    try {
      const base = phase1Args();
      new CleanRoom("xt", { ...base, parties: base.parties.map((p) => (p.name === "insurer" ? { ...p, tenantId: otherTenant } : p)) });
      await mocks.settle();
    } finally {
      spy.mockRestore();
    }
    expect(mocks.one(AzureTypes.vault, "xt-insurer-vault").inputs.properties.tenantId).toBe(otherTenant);
    expect(mocks.one(AzureTypes.vault, "xt-bank-vault").inputs.properties.tenantId).toBe(phase1Args().tenantId);
    expect(warnings.join("\n")).toMatch(/party "insurer": its vault is in tenant .* Azure RBAC cannot grant a role to a managed identity of another tenant/);
  });
});

describe("CleanRoom validation", () => {
  it("reports every problem at once, naming the property and the rule", () => {
    const base = phase1Args();
    const found = rules({
      ...base,
      isolationMode: "kata-cc" as never,
      enclaveImage: "ghcr.io/example/enclave:1.0",
      parties: [{ ...base.parties[0]!, name: "Bank_1", vaultName: "x" }],
      datasets: [{ ...base.datasets[0]!, owner: "nobody" }],
      recipients: ["insurer"],
      privacy: { minGroupSize: 1, countColumn: "n", allowedColumns: ["region"] },
      cluster: { enclavePool: { vmSize: "Standard_D4s_v5" } },
      storage: { accountName: "this-is-not-a-storage-name" },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        "isolationMode:enum",
        "enclaveImage:image-not-pinned",
        "parties:too-few-parties",
        "parties[0].name:party-name",
        "datasets[0].owner:unknown-party",
        "recipients[0]:unknown-recipient",
        "privacy.minGroupSize:k-too-small",
        "privacy.countColumn:count-column-not-allowed",
        "cluster.enclavePool.vmSize:not-confidential-vm-size",
        "storage.accountName:storage-account-name",
      ]),
    );
    expect(() => new CleanRoom("bad", { ...base, parties: [base.parties[0]!] })).toThrow(ComponentArgsError);
  });

  it("rejects duplicate parties, over-long vault names and bad IP ranges", () => {
    const base = phase1Args();
    expect(rules({ ...base, parties: [base.parties[0]!, { ...base.parties[0]! }] })).toEqual(
      expect.arrayContaining(["parties[1].name:duplicate-party", "parties[1].vaultName:duplicate-vault-name"]),
    );
    expect(rules({ ...base, parties: [{ ...base.parties[0]!, vaultName: "a-vault-name-longer-than-24" }, base.parties[1]!] })).toContain("parties[0].vaultName:vault-name");
    expect(rules({ ...base, parties: [{ ...base.parties[0]!, ipRanges: ["10.0.0.0/8"] }, base.parties[1]!] })).toContain("parties[0].ipRanges[0]:ip-range");
    expect(rules({ ...base, parties: [{ ...base.parties[0]!, name: "a--b" }, base.parties[1]!] })).toContain("parties[0].name:party-name");
  });

  it("rejects a TDX enclave pool, whose tokens could never satisfy the SEV-SNP release policy", () => {
    expect(rules(phase1Args({ cluster: { enclavePool: { vmSize: "Standard_DC4es_v5" } } }))).toContain("cluster.enclavePool.vmSize:tee-not-in-release-policy");
  });

  it("rejects tags that ARM would refuse or that would override the clean room's own", () => {
    const found = rules(phase1Args({ tags: { "cost/center": "1", owner: "x".repeat(257), [PARTY_TAG]: "bank", [COLLABORATION_TAG]: "other", team: "data" } }));
    expect(found.sort()).toEqual([
      `tags["${COLLABORATION_TAG}"]:reserved-tag`,
      'tags["cost/center"]:tag-name',
      'tags["owner"]:tag-value',
      `tags["${PARTY_TAG}"]:reserved-tag`,
    ].sort());
  });

  it("rejects unknown regions and bad collaboration names", () => {
    expect(rules(phase1Args({ location: "antarctica" }))).toContain("location:unsupported-region");
    expect(rules(phase1Args({ collaboration: "Fraud Overlap" }))).toEqual(["collaboration:collaboration-name"]);
  });

  it("reports the contract's own rules at the argument that sets the field", () => {
    const args = completeArgs();
    const bad = { ...args, parties: args.parties.map((p, i) => (i === 0 ? { ...p, kekPublicKey: partyKeys().bank!.signing.publicJwk } : p)) };
    expect(() => planCleanRoom(bad)).toThrow(/ parties\[0\]\.kekPublicKey: /);
  });
});

describe("CleanRoom at scale", () => {
  it("constructs a 50-party collaboration with unique names", async () => {
    mocks.reset();
    const base = phase1Args();
    const parties = Array.from({ length: 50 }, (_, i) => ({ ...base.parties[0]!, name: `party-${i}`, ipRanges: [] }));
    const room = new CleanRoom("big", { ...base, parties, datasets: [{ ...base.datasets[0]!, owner: "party-0" }], recipients: ["party-0"] });
    await mocks.settle();
    const vaults = mocks.all(AzureTypes.vault).map((v) => v.inputs.vaultName);
    expect(vaults).toHaveLength(50);
    expect(new Set(vaults).size).toBe(50);
    expect(Object.keys(room.parties)).toHaveLength(50);
    expect(new Set(mocks.urns()).size).toBe(mocks.records.length);
  });
});
