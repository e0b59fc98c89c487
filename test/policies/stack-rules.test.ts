// The stack policies on a small clean room shaped like the one CleanRoom registers (a CleanRoom
// component with a PartyVault per party, shared storage, a cluster, the workload identity, the
// contract ConfigMap), then with one relation broken at a time.
import { describe, expect, it } from "vitest";
import { PARTY_TAG } from "../../enclave-app/src/protocol/index.ts";
import { stackEnclaveNoPrivilegedRoles } from "../../policies/rules/stack/enclave-roles.ts";
import { stackInputContainerOwnerWrites } from "../../policies/rules/stack/input-containers.ts";
import { stackPartyOwnVault } from "../../policies/rules/stack/party-vaults.ts";
import { stackReleasePolicyNamesStackEndpoint } from "../../policies/rules/stack/release-endpoint.ts";
import { stackReleaseRoleEnclaveOnly } from "../../policies/rules/stack/release-role.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";
import {
  accountScope,
  clusterProps,
  confidentialNodePolicy,
  containerProps,
  containerScope,
  ENDPOINT,
  grantProps,
  jobProps,
  keyProps,
  keyScope,
  KUBELET,
  resource,
  RG,
  ROLE,
  runPolicy,
  SUB,
  UNKNOWN,
  vaultProps,
  vaultScope,
  WORKLOAD,
  WORKLOAD_CLIENT,
  withValue,
} from "./fixtures.ts";

const ACCOUNT = "demostore7f5e11d7";
const PARTIES = {
  bank: { vault: "bank-286e95a4", key: "bank-kek-rsa3072-1bd5d6f07e91", admin: "df886ba1-5c55-4a21-8f3e-790db540434a", uploader: "f64dfd16-ddab-4c69-828e-9a852420d8c3" },
  insurer: { vault: "insurer-73175ffc", key: "insurer-kek-rsa3072-1bd5d6f07e91", admin: "39f3a415-25d2-4b19-8286-d995cebd8955", uploader: "6757d8b9-41d8-48e6-89fc-8c14bffd1d2a" },
} as const;

/** Outputs as a deployed (or mocked) resource has them: the inputs plus the ARM name. */
const withName = (props: Record<string, unknown>, name: string) => ({ ...props, name });

function cleanRoom(): GraphResource[] {
  const stack = resource("pulumi:pulumi:Stack", "confidential-clean-room-test", { attestationEndpoint: ENDPOINT });
  const room = resource("cleanroom:index:CleanRoom", "cleanroom", {}, { parent: stack.urn });
  const out: GraphResource[] = [stack, room];
  out.push(resource("azure-native:attestation:AttestationProvider", "cleanroom-attestation-provider", { providerName: "demoat1234567", attestUri: ENDPOINT }, { parent: room.urn }));
  for (const [party, p] of Object.entries(PARTIES)) {
    const component = resource("cleanroom:index:PartyVault", `cleanroom-${party}`, {}, { parent: room.urn });
    const vault = resource("azure-native:keyvault:Vault", `cleanroom-${party}-vault`, withName(vaultProps(p.vault), p.vault), { parent: component.urn });
    const key = resource("azure-native:keyvault:Key", `cleanroom-${party}-kek`, withName(keyProps(p.vault, p.key), p.key), {
      parent: component.urn,
      dependencies: [vault.urn],
      propertyDependencies: { vaultName: [vault.urn] },
    });
    out.push(
      component,
      vault,
      key,
      resource("azure-native:authorization:RoleAssignment", `cleanroom-${party}-admin-0`, grantProps(p.admin, ROLE.cryptoOfficer, vaultScope(p.vault)), { parent: component.urn }),
      resource("azure-native:authorization:RoleAssignment", `cleanroom-${party}-uploader-0`, grantProps(p.uploader, ROLE.cryptoUser, keyScope(p.vault, p.key)), { parent: component.urn }),
      resource("azure-native:authorization:RoleAssignment", `cleanroom-${party}-release`, grantProps(KUBELET, ROLE.release, keyScope(p.vault, p.key)), { parent: component.urn }),
      resource("azure-native:storage:BlobContainer", `cleanroom-storage-input-${party}`, withName(containerProps(`input-${party}`), `input-${party}`)),
      resource("azure-native:authorization:RoleAssignment", `cleanroom-storage-input-${party}-uploader-0`, grantProps(p.uploader, ROLE.blobContributor, containerScope(ACCOUNT, `input-${party}`))),
      resource("azure-native:authorization:RoleAssignment", `cleanroom-workload-reads-${party}`, grantProps(WORKLOAD, ROLE.blobReader, containerScope(ACCOUNT, `input-${party}`))),
    );
  }
  out.push(
    resource("azure-native:storage:BlobContainer", "cleanroom-storage-output", withName(containerProps("output"), "output")),
    resource("azure-native:authorization:RoleAssignment", "cleanroom-workload-writes-output", grantProps(WORKLOAD, ROLE.blobContributor, containerScope(ACCOUNT, "output"))),
    resource("azure-native:containerservice:ManagedCluster", "cleanroom-cluster-aks", clusterProps()),
    resource("azure-native:managedidentity:UserAssignedIdentity", "cleanroom-workload-identity", {
      resourceName: "demo-workload",
      name: "demo-workload",
      principalId: WORKLOAD,
      clientId: WORKLOAD_CLIENT,
    }),
    resource("azure-native:managedidentity:FederatedIdentityCredential", "cleanroom-workload-federation", {
      resourceName: "demo-workload",
      subject: "system:serviceaccount:cleanroom:cleanroom-enclave",
      audiences: ["api://AzureADTokenExchange"],
    }),
    resource("kubernetes:core/v1:ServiceAccount", "cleanroom-workload-service-account", {
      metadata: { name: "cleanroom-enclave", namespace: "cleanroom", annotations: { "azure.workload.identity/client-id": WORKLOAD_CLIENT } },
    }),
    resource("kubernetes:core/v1:ConfigMap", "cleanroom-workload-contract", {
      metadata: { name: "cleanroom-contract", namespace: "cleanroom" },
      data: {
        "contract.json": JSON.stringify({
          attestation: { authority: ENDPOINT, mode: "confidential-node" },
          parties: Object.entries(PARTIES).map(([name, p]) => ({ name, kek: { keyId: `https://${p.vault}.vault.azure.net/keys/${p.key}` } })),
        }),
      },
    }),
    resource("kubernetes:batch/v1:Job", "cleanroom-workload-job", jobProps()),
  );
  return out;
}

const replace = (resources: GraphResource[], name: string, change: (r: GraphResource) => GraphResource) =>
  resources.map((r) => (r.name === name ? change(r) : r));
const setOutput = (path: string, value: unknown) => (r: GraphResource) => ({ ...r, outputs: withValue(r.outputs, path, value) });
const grant = (name: string, principal: string, role: string, scope: string) => resource("azure-native:authorization:RoleAssignment", name, grantProps(principal, role, scope));

const stackPolicies = [stackPartyOwnVault, stackReleasePolicyNamesStackEndpoint, stackInputContainerOwnerWrites, stackReleaseRoleEnclaveOnly, stackEnclaveNoPrivilegedRoles];

describe("a clean room as CleanRoom builds it", () => {
  it.each(stackPolicies.map((p) => [p.name, p] as const))("passes %s", async (_name, policy) => {
    const outcome = await runPolicy(policy, cleanRoom());
    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([]);
    expect(outcome.notEvaluated).toEqual([]);
  });
});

describe("stack-party-own-vault", () => {
  it("reports two parties whose contract keys live in the same vault", async () => {
    const resources = replace(cleanRoom(), "cleanroom-workload-contract", (r) => {
      const contract = JSON.parse((r.outputs as { data: Record<string, string> }).data["contract.json"]!);
      contract.parties[1].kek.keyId = `https://${PARTIES.bank.vault}.vault.azure.net/keys/insurer-kek`;
      return setOutput("data", { "contract.json": JSON.stringify(contract) })(r);
    });
    const outcome = await runPolicy(stackPartyOwnVault, resources);
    expect(outcome.violations).toEqual([`Key Vault "${PARTIES.bank.vault}" holds the keys of several parties (bank, insurer); each party needs a vault of its own.`]);
    expect(outcome.subjects).toEqual(["cleanroom-bank-vault"]);
  });

  it("reports a party with an input container but no vault, against its container", async () => {
    const resources = [...cleanRoom(), resource("azure-native:storage:BlobContainer", "cleanroom-storage-input-auditor", withName(containerProps("input-auditor"), "input-auditor"))];
    const outcome = await runPolicy(stackPartyOwnVault, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(/^party "auditor" has no Key Vault of its own/)]);
    expect(outcome.subjects).toEqual(["cleanroom-storage-input-auditor"]);
  });

  it("attributes a vault by its party tag when no PartyVault component says whose it is", async () => {
    const resources = [
      resource("azure-native:storage:BlobContainer", "input", withName(containerProps("input-auditor"), "input-auditor")),
      resource("azure-native:keyvault:Vault", "auditor-vault", withName({ ...vaultProps("auditor-1"), tags: { [PARTY_TAG]: "auditor" } }, "auditor-1")),
    ];
    expect((await runPolicy(stackPartyOwnVault, resources)).violations).toEqual([]);
    resources[1] = resource("azure-native:keyvault:Vault", "auditor-vault", withName(vaultProps("auditor-1"), "auditor-1"));
    expect((await runPolicy(stackPartyOwnVault, resources)).violations).toEqual([expect.stringMatching(/party "auditor" has no Key Vault/)]);
  });

  it("reads the party tag in any letter case, as ARM compares tag names", async () => {
    const resources = [
      resource("azure-native:storage:BlobContainer", "input", withName(containerProps("input-auditor"), "input-auditor")),
      resource("azure-native:keyvault:Vault", "auditor-vault", withName({ ...vaultProps("auditor-1"), tags: { [PARTY_TAG.toUpperCase()]: "auditor" } }, "auditor-1")),
    ];
    expect((await runPolicy(stackPartyOwnVault, resources)).violations).toEqual([]);
  });

  it("is not applicable to a stack without parties", async () => {
    const outcome = await runPolicy(stackPartyOwnVault, [resource("azure-native:keyvault:Vault", "v", withName(vaultProps("plain"), "plain"))]);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([expect.stringMatching(/names no parties/)]);
  });
});

describe("stack-release-policy-names-stack-endpoint", () => {
  it("reports a key whose release policy trusts another attestation endpoint", async () => {
    const resources = replace(cleanRoom(), "cleanroom-insurer-kek", setOutput("properties.releasePolicy", confidentialNodePolicy("https://sharedweu.weu.attest.azure.net")));
    const outcome = await runPolicy(stackReleasePolicyNamesStackEndpoint, resources);
    expect(outcome.violations).toEqual([
      `key "${PARTIES.insurer.key}" release policy names "https://sharedweu.weu.attest.azure.net", not the stack's attestation endpoint ${ENDPOINT}.`,
    ]);
    expect(outcome.subjects).toEqual(["cleanroom-insurer-kek"]);
  });

  it("reads a deployed key's outputs, where the policy and key URI are top-level and vaultName is absent", async () => {
    const deployed = (party: keyof typeof PARTIES, authority: string) => (r: GraphResource) => ({
      ...r,
      outputs: {
        name: PARTIES[party].key,
        keyUri: `https://${PARTIES[party].vault}.vault.azure.net/keys/${PARTIES[party].key}`,
        kty: "RSA-HSM",
        keySize: 3072,
        releasePolicy: { ...confidentialNodePolicy(authority), immutable: false },
      },
    });
    let resources = replace(cleanRoom(), "cleanroom-bank-kek", deployed("bank", ENDPOINT));
    resources = replace(resources, "cleanroom-insurer-kek", deployed("insurer", "https://sharedweu.weu.attest.azure.net"));
    const outcome = await runPolicy(stackReleasePolicyNamesStackEndpoint, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^key "${PARTIES.insurer.key}" release policy names "https://sharedweu`))]);
    expect((await runPolicy(stackPartyOwnVault, resources)).violations).toEqual([]);
  });

  it("reports a stack that names two endpoints (provider and contract disagree)", async () => {
    const resources = replace(cleanRoom(), "cleanroom-attestation-provider", setOutput("attestUri", "https://other.neu.attest.azure.net"));
    const outcome = await runPolicy(stackReleasePolicyNamesStackEndpoint, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(/the stack names 2 different attestation endpoints: .*other\.neu.*attestUri of cleanroom-attestation-provider/)]);
    expect(outcome.subjects).toEqual([undefined]);
  });

  it("is not evaluated while the provider's attestUri is unknown (preview)", async () => {
    const resources = replace(cleanRoom(), "cleanroom-attestation-provider", setOutput("attestUri", UNKNOWN));
    const outcome = await runPolicy(stackReleasePolicyNamesStackEndpoint, resources);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toEqual([expect.stringMatching(/can't run policy 'stack-release-policy-names-stack-endpoint' during preview/)]);
  });

  it("is not applicable when nothing declares an endpoint", async () => {
    const outcome = await runPolicy(stackReleasePolicyNamesStackEndpoint, [resource("azure-native:keyvault:Key", "k", keyProps())]);
    expect(outcome.notApplicable).toEqual(["the stack declares no attestation endpoint"]);
  });
});

describe("stack-input-container-owner-writes", () => {
  it("reports another party's uploader with write access to an input container", async () => {
    const resources = [...cleanRoom(), grant("insurer-writes-bank", PARTIES.insurer.uploader, ROLE.blobContributor, containerScope(ACCOUNT, "input-bank"))];
    const outcome = await runPolicy(stackInputContainerOwnerWrites, resources);
    expect(outcome.violations).toEqual([
      expect.stringMatching(new RegExp(`^principal ${PARTIES.insurer.uploader} can write input container "input-bank" \\(Storage Blob Data Contributor .*\\) but is not one of party "bank"'s principals`)),
    ]);
    expect(outcome.subjects).toEqual(["insurer-writes-bank"]);
  });

  it("reports the enclave identity with a write role on an input container", async () => {
    const resources = replace(cleanRoom(), "cleanroom-workload-reads-bank", setOutput("roleDefinitionId", `/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/${ROLE.blobContributor}`));
    const outcome = await runPolicy(stackInputContainerOwnerWrites, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^the enclave identity ${WORKLOAD} can write input container "input-bank"`))]);
  });

  it("counts a Contributor at account scope as a write to every input container", async () => {
    const resources = [...cleanRoom(), grant("ops-contributor", "11111111-0000-4000-8000-000000000001", ROLE.contributor, accountScope(ACCOUNT))];
    const outcome = await runPolicy(stackInputContainerOwnerWrites, resources);
    expect(outcome.violations).toHaveLength(2);
    expect(outcome.violations.join("\n")).toMatch(/"input-bank".*\n.*"input-insurer"/);
  });

  it("reports a principal that both parties use (a shared pipeline) writing an input container", async () => {
    const shared = "11111111-0000-4000-8000-000000000006";
    const resources = [
      ...cleanRoom(),
      grant("shared-reads-bank-key", shared, ROLE.cryptoUser, keyScope(PARTIES.bank.vault, PARTIES.bank.key)),
      grant("shared-reads-insurer-key", shared, ROLE.cryptoUser, keyScope(PARTIES.insurer.vault, PARTIES.insurer.key)),
      grant("shared-writes-bank", shared, ROLE.blobContributor, containerScope(ACCOUNT, "input-bank")),
    ];
    const outcome = await runPolicy(stackInputContainerOwnerWrites, resources);
    expect(outcome.violations).toEqual([
      expect.stringMatching(new RegExp(`^principal ${shared} \\(which holds roles on the keys of bank, insurer\\) can write input container "input-bank"`)),
    ]);
    expect(outcome.subjects).toEqual(["shared-writes-bank"]);
  });

  it("accepts a party's own administrator writing its inputs, and ignores scopes elsewhere", async () => {
    const resources = [
      ...cleanRoom(),
      grant("bank-admin-writes", PARTIES.bank.admin, ROLE.blobContributor, containerScope(ACCOUNT, "input-bank")),
      grant("cluster-contributor", "11111111-0000-4000-8000-000000000002", ROLE.contributor, `${RG}/providers/Microsoft.ContainerService/managedClusters/demo-aks`),
    ];
    expect((await runPolicy(stackInputContainerOwnerWrites, resources)).violations).toEqual([]);
  });
});

describe("stack-release-role-enclave-only", () => {
  it("reports a release grant on a key to anyone but the kubelet identity, naming the key", async () => {
    const resources = [...cleanRoom(), grant("release-to-ops", "11111111-0000-4000-8000-000000000003", ROLE.release, keyScope(PARTIES.bank.vault, PARTIES.bank.key))];
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, resources);
    expect(outcome.violations).toEqual([
      `principal 11111111-0000-4000-8000-000000000003 holds the release role on key "${PARTIES.bank.key}"; only the enclave's release identity (${KUBELET}) may release keys.`,
    ]);
  });

  it("accepts the identity of a Confidential ACI group (confidential-container mode), but not of a standard group", async () => {
    const principal = "11111111-0000-4000-8000-00000000aC1a".toLowerCase();
    const identityId = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/demo-workload`;
    const identity = resource("azure-native:managedidentity:UserAssignedIdentity", "cleanroom-enclave-identity", { id: identityId, principalId: principal });
    const group = (sku: string) =>
      resource("azure-native:containerinstance:ContainerGroup", "cleanroom-enclave-group", {
        sku,
        confidentialComputeProperties: sku === "Confidential" ? { ccePolicy: "cGFja2FnZSBwb2xpY3k=" } : undefined,
        // ARM's output form: a map from identity id to its ids.
        identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: { principalId: principal, clientId: "c" } } },
      });
    const release = [grant("bank-release-aci", principal, ROLE.release, keyScope(PARTIES.bank.vault, PARTIES.bank.key))];
    expect((await runPolicy(stackReleaseRoleEnclaveOnly, [...cleanRoom(), identity, group("Confidential"), ...release])).violations).toEqual([]);
    expect((await runPolicy(stackReleaseRoleEnclaveOnly, [...cleanRoom(), identity, group("Standard"), ...release])).violations).toEqual([
      expect.stringMatching(new RegExp(`^principal ${principal} holds the release role on key "${PARTIES.bank.key}"`)),
    ]);
  });

  it("reports a release grant at resource group scope as covering every key", async () => {
    const resources = [...cleanRoom(), grant("release-rg", WORKLOAD, ROLE.release, RG)];
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^principal ${WORKLOAD} holds the release role on keys "${PARTIES.bank.key}", "${PARTIES.insurer.key}"`))]);
  });

  it("reports a key-management role that includes release at resource group scope, covering every party's key", async () => {
    const resources = [...cleanRoom(), grant("ops-kv-admin", "11111111-0000-4000-8000-000000000005", ROLE.kvAdmin, RG)];
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, resources);
    expect(outcome.violations).toEqual([
      expect.stringMatching(
        new RegExp(`^principal 11111111-0000-4000-8000-000000000005 holds Key Vault Administrator \\(${ROLE.kvAdmin}\\) at ${RG}, which can release keys "${PARTIES.bank.key}", "${PARTIES.insurer.key}", and holds roles on the keys of several parties \\(bank, insurer\\)`),
      ),
    ]);
    expect(outcome.subjects).toEqual(["ops-kv-admin"]);
  });

  it("leaves a broad key-management grant alone when the vaults' own ids show they live elsewhere", async () => {
    const elsewhere = cleanRoom().map((r) => (r.type === "azure-native:keyvault:Vault" ? { ...r, outputs: { ...r.outputs, id: `/subscriptions/${SUB}/resourceGroups/party-rg/providers/Microsoft.KeyVault/vaults/${String(r.outputs.name)}` } } : r));
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, [...elsewhere, grant("ops-kv-admin", "11111111-0000-4000-8000-000000000005", ROLE.kvAdmin, RG)]);
    expect(outcome.violations).toEqual([]);
  });

  it("reports Crypto Officer on one party's vault for another party's uploader", async () => {
    const resources = [...cleanRoom(), grant("insurer-officer-on-bank", PARTIES.insurer.uploader, ROLE.cryptoOfficer, vaultScope(PARTIES.bank.vault))];
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, resources);
    expect(outcome.violations).toEqual([
      expect.stringMatching(new RegExp(`^principal ${PARTIES.insurer.uploader} holds Key Vault Crypto Officer .* which can release key "${PARTIES.bank.key}", and holds roles on the keys of several parties \\(bank, insurer\\)`)),
    ]);
    expect(outcome.subjects).toEqual(["insurer-officer-on-bank"]);
  });

  it("reports Crypto Officer held by an enclave identity, even on one vault", async () => {
    const resources = [...cleanRoom(), grant("workload-officer", WORKLOAD, ROLE.cryptoOfficer, vaultScope(PARTIES.bank.vault))];
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^the enclave identity ${WORKLOAD} holds Key Vault Crypto Officer .* can release key "${PARTIES.bank.key}"; the enclave may release keys only through the release role at key scope`))]);
  });

  it("is not evaluated while the cluster's kubelet identity is unknown (preview)", async () => {
    const resources = replace(cleanRoom(), "cleanroom-cluster-aks", setOutput("identityProfile.kubeletidentity.objectId", UNKNOWN));
    const outcome = await runPolicy(stackReleaseRoleEnclaveOnly, resources);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toHaveLength(1);
  });
});

describe("stack-enclave-no-privileged-roles", () => {
  it("reports Owner for the kubelet identity and Key Vault Administrator for the workload identity", async () => {
    const resources = [
      ...cleanRoom(),
      grant("kubelet-owner", KUBELET, ROLE.owner, RG),
      grant("workload-kv-admin", WORKLOAD, ROLE.kvAdmin, vaultScope(PARTIES.bank.vault)),
      grant("someone-else-owner", "11111111-0000-4000-8000-000000000004", ROLE.owner, RG),
    ];
    const outcome = await runPolicy(stackEnclaveNoPrivilegedRoles, resources);
    expect(outcome.violations).toEqual([
      expect.stringMatching(new RegExp(`^the kubelet identity ${KUBELET} holds Owner \\(8e3af657`)),
      expect.stringMatching(new RegExp(`^the enclave workload identity ${WORKLOAD} holds Key Vault Administrator`)),
    ]);
    expect(outcome.subjects).toEqual(["kubelet-owner", "workload-kv-admin"]);
  });

  it("reports Key Vault Data Access Administrator, which can grant itself Key Vault Administrator", async () => {
    const resources = [...cleanRoom(), grant("workload-kv-access-admin", WORKLOAD, "8b54135c-b56d-4d72-a534-26097cfdc8d8", vaultScope(PARTIES.bank.vault))];
    const outcome = await runPolicy(stackEnclaveNoPrivilegedRoles, resources);
    expect(outcome.violations).toEqual([expect.stringMatching(new RegExp(`^the enclave workload identity ${WORKLOAD} holds Key Vault Data Access Administrator`))]);
  });

  it("follows the configured list of forbidden roles", async () => {
    const resources = [...cleanRoom(), grant("kubelet-owner", KUBELET, ROLE.owner, RG)];
    const outcome = await runPolicy(stackEnclaveNoPrivilegedRoles, resources, { forbiddenRoleDefinitionIds: [ROLE.kvAdmin] });
    expect(outcome.violations).toEqual([]);
  });

  it("finds the workload identity through the service account annotation alone", async () => {
    const resources = cleanRoom().filter((r) => r.type !== "azure-native:managedidentity:FederatedIdentityCredential");
    resources.push(grant("workload-contributor", WORKLOAD, ROLE.contributor, RG));
    expect((await runPolicy(stackEnclaveNoPrivilegedRoles, resources)).violations).toEqual([expect.stringMatching(/enclave workload identity .* holds Contributor/)]);
  });
});

describe("unknown values during preview", () => {
  const violating = {
    "stack-party-own-vault": () =>
      replace(cleanRoom(), "cleanroom-workload-contract", setOutput("data", { "contract.json": UNKNOWN })).concat(
        resource("azure-native:storage:BlobContainer", "input-auditor", withName(containerProps("input-auditor"), "input-auditor")),
      ),
    "stack-input-container-owner-writes": () => [...cleanRoom(), grant("insurer-writes-unknown", PARTIES.insurer.uploader, ROLE.blobContributor, UNKNOWN)],
    "stack-release-role-enclave-only": () => [...cleanRoom(), grant("release-to-unknown", UNKNOWN, ROLE.release, keyScope(PARTIES.bank.vault, PARTIES.bank.key))],
    "stack-enclave-no-privileged-roles": () => [...cleanRoom(), grant("kubelet-unknown-role", KUBELET, ROLE.owner, UNKNOWN)],
  } as const;

  it.each(Object.entries(violating))("%s: the decisive value unknown is not a violation", async (name, build) => {
    const policy = stackPolicies.find((p) => p.name === name)!;
    const outcome = await runPolicy(policy, build());
    expect(outcome.violations).toEqual([]);
    expect(outcome.notEvaluated).toEqual([expect.stringMatching(new RegExp(`can't run policy '${name}' during preview`))]);
  });
});
