// Confidential-container mode under mocks: the Confidential ACI group, its delegated subnet, the
// identity that alone may release each party's key, the hostdata pin, and the waiter that makes
// `pulumi up` end with the enclave's exit.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { decodeReleasePolicy } from "../../enclave-app/src/protocol/index.ts";
import { BuiltInRoles, CleanRoom, planCleanRoom, validateCleanRoomArgs, type CleanRoomArgs } from "../../components/index.ts";
import { ccePolicyHostdata } from "../../enclave-app/src/protocol/index.ts";
import {
  enclaveContainerGroupName,
  validateEnclaveContainerGroupArgs,
  validateEnclaveContainerOptions,
} from "../../components/enclave-container-group.ts";
import { armContainerGroupReader, CONTAINER_GROUP_READER_SYMBOL, waitForEnclaveExit, EnclaveRunFailedError, type ContainerGroupReader, type ContainerGroupView } from "../../components/enclave-run.ts";
import { validateNetworkArgs } from "../../components/network.ts";
import { PINNED_CONFCOM_VERSION } from "../../components/enclave-container-spec.ts";
import { AzureTypes, DEFAULT_SUBSCRIPTION, K8sTypes, fakeGuid, roleGuid, setupPulumiMocks, valueOf } from "../helpers/pulumi.ts";
import { approvedArgs, completeArgs, phase1Args } from "./fixtures.ts";

const mocks = setupPulumiMocks();
const require = createRequire(import.meta.url);
const { terminatedContainerGroupReader } = require("../../tools/pulumi-mocks/mocks.cjs") as { terminatedContainerGroupReader(codes?: Record<string, number>): ContainerGroupReader };
// The mocks play ARM for the CleanRoom's default waiter too, as tools/pulumi-mocks/preload.cjs does for program runs.
(globalThis as Record<symbol, unknown>)[CONTAINER_GROUP_READER_SYMBOL] = terminatedContainerGroupReader();

const REGO = "package policy\n\napi_version := \"0.10.0\"\n\ncontainers := []\n";
const CCE_POLICY = Buffer.from(REGO).toString("base64");
const HOSTDATA = createHash("sha256").update(REGO).digest("hex");
const SKR = `mcr.microsoft.com/aci/skr@sha256:${"cd".repeat(32)}`;
const IDENTITY = fakeGuid("principal", DEFAULT_SUBSCRIPTION, "fraud-overlap-workload");
const KUBELET = fakeGuid("principal", DEFAULT_SUBSCRIPTION, "fraud-overlap-kubelet");
const ContainerGroupType = "azure-native:containerinstance:ContainerGroup";

const aci = (enclave: Partial<CleanRoomArgs["enclave"]> = {}): Partial<CleanRoomArgs> => ({
  isolationMode: "confidential-container",
  enclave: { ccePolicy: CCE_POLICY, skrSidecarImage: SKR, ...enclave },
  // There is no cluster to administer, and no Job to size, in this mode.
  clusterAdminGroupObjectIds: undefined,
  cluster: undefined,
  workload: undefined,
});
const rules = (args: CleanRoomArgs) => validateCleanRoomArgs(args).map((i) => `${i.path}:${i.rule}`);

describe("ccePolicyHostdata", () => {
  it("is sha256 (hex) of the base64-decoded policy, as confcom prints it", () => {
    expect(ccePolicyHostdata(CCE_POLICY)).toBe(HOSTDATA);
  });
});

describe("confidential-container settings validation", () => {
  it("accepts the mode with a policy and a pinned SKR sidecar", () => {
    expect(rules(phase1Args(aci()))).toEqual([]);
  });

  it("requires the enclave settings in container mode and forbids them in node mode", () => {
    expect(rules(phase1Args({ isolationMode: "confidential-container" }))).toContain("enclave:required");
    expect(rules(phase1Args({ enclave: { ccePolicy: CCE_POLICY, skrSidecarImage: SKR } }))).toContain("enclave:container-mode-only");
  });

  it("names the property and the rule for each bad value", () => {
    const issues = validateEnclaveContainerOptions({
      ccePolicy: "not base64!",
      skrSidecarImage: "mcr.microsoft.com/aci/skr:2.7",
      runAttempt: 0,
      resources: { cpu: 4, memoryInGB: 16 },
    }).map((i) => `${i.path}:${i.rule}`);
    expect(issues).toEqual(
      expect.arrayContaining(["ccePolicy:cce-policy", "skrSidecarImage:image-not-pinned", "runAttempt:range", "resources.cpu:range", "resources.memoryInGB:range"]),
    );
    expect(validateEnclaveContainerOptions({ ccePolicy: Buffer.from("not rego").toString("base64"), skrSidecarImage: SKR })[0]!.message).toMatch(/package policy/);
    expect(rules(phase1Args(aci({ skrSidecarImage: "docker.io/someone/skr@sha256:" + "ab".repeat(32) })))).toContain("enclave.skrSidecarImage:image-not-pinned");
  });

  it("checks the container subnet against the address space and the node subnet", () => {
    const r = (prefix: string) => validateNetworkArgs({ resourceGroupName: "-", location: "westeurope", vnetName: "x-vnet", containerSubnet: { prefix } }).map((i) => `${i.path}:${i.rule}`);
    expect(r("10.40.16.0/24")).toEqual([]);
    expect(r("10.40.1.0/24")).toContain("containerSubnet.prefix:subnet-overlap");
    expect(r("10.99.0.0/24")).toContain("containerSubnet.prefix:subnet-outside-vnet");
    expect(r("10.40.16.0/29")).toContain("containerSubnet.prefix:subnet-too-small");
  });

  it("rejects a group whose policy does not hash to the contract's hostdata", async () => {
    const args = await approvedArgs(aci());
    const plan = planCleanRoom(args);
    const other = Buffer.from(`${REGO}# changed\n`).toString("base64");
    const issues = validateEnclaveContainerGroupArgs({
      ccePolicy: other,
      skrSidecarImage: SKR,
      resourceGroupName: "rg",
      location: "westeurope",
      groupName: plan.enclaveContainerGroupName!,
      contract: plan.contract!,
      approvals: args.approvals!,
      storage: { blobEndpoint: "https://x.blob.core.windows.net", inputContainerIds: {}, outputContainerName: "output", outputContainerId: "id" },
      subnetId: "s",
      identity: { id: "i", clientId: "c", principalId: "p" },
    }).map((i) => `${i.path}:${i.rule}`);
    expect(issues).toEqual(["ccePolicy:hostdata-mismatch"]);
  });
});

describe("planCleanRoom in confidential-container mode", () => {
  it("pins hostdata = sha256(decoded ccePolicy) in the attestation requirements, every release policy and the contract", () => {
    const plan = planCleanRoom(completeArgs(aci()));
    expect(plan.attestationRequirements).toEqual({ authority: plan.attestation.endpoint, mode: "confidential-container", hostdata: HOSTDATA, confcomVersion: PINNED_CONFCOM_VERSION });
    expect(plan.contract!.attestation.hostdata).toBe(HOSTDATA);
    for (const p of plan.parties) {
      const allOf = p.kek.releasePolicy.anyOf[0]!.allOf;
      expect(allOf).toContainEqual({ claim: "x-ms-sevsnpvm-hostdata", equals: HOSTDATA });
      expect(allOf).toContainEqual({ claim: "x-ms-compliance-status", equals: "azure-compliant-uvm" });
      expect(allOf).toContainEqual({ claim: "x-ms-sevsnpvm-is-debuggable", equals: false });
    }
  });

  it("refuses the cluster's and the Job's settings, which nothing would read in this mode", () => {
    const args = completeArgs({ ...aci(), clusterAdminGroupObjectIds: ["2c9b1f6e-54d1-4a0b-9d6e-3c1f0f4b7a11"], cluster: { upgradeChannel: "stable" }, workload: { activeDeadlineSeconds: 60 } });
    expect(rules(args)).toEqual(expect.arrayContaining(["clusterAdminGroupObjectIds:node-mode-only", "cluster:node-mode-only", "workload:node-mode-only"]));
    expect(rules(completeArgs(aci()))).toEqual([]);
    // ... while confidential-node mode still needs its administrators.
    expect(rules(completeArgs({ clusterAdminGroupObjectIds: undefined }))).toContain("clusterAdminGroupObjectIds:required");
  });

  it("names the group after the contract and the run attempt (default 1), so a re-run is a new group", () => {
    const first = planCleanRoom(completeArgs(aci()));
    const second = planCleanRoom(completeArgs(aci({ runAttempt: 2 })));
    expect(first.enclaveContainerGroupName).toBe(`fraud-overlap-${first.contractHash!.slice(0, 12)}-r1`);
    expect(second.enclaveContainerGroupName).toBe(enclaveContainerGroupName("fraud-overlap", second.contractHash!, 2));
    // The attempt is not part of the contract: the approvals stay valid for a re-run.
    expect(second.contractHash).toBe(first.contractHash);
    expect(enclaveContainerGroupName("a".repeat(40), "f".repeat(64), 999).length).toBeLessThanOrEqual(63);
  });
});

describe("CleanRoom in confidential-container mode (approved)", async () => {
  const args = await approvedArgs(aci({ runAttempt: 3 }));
  const room = new CleanRoom("room", args);
  await mocks.settle();
  const group = mocks.one(ContainerGroupType, "room-enclave-group").inputs;
  const aciSubnet = mocks.one(AzureTypes.subnet, "room-network-containers");
  const aciSubnetId = `/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/fraud-overlap-rg/providers/Microsoft.Network/virtualNetworks/fraud-overlap-vnet/subnets/containers`;

  it("creates no cluster and no Kubernetes resources; cluster outputs are undefined", () => {
    expect(mocks.all(AzureTypes.cluster)).toHaveLength(0);
    expect(mocks.all(AzureTypes.agentPool)).toHaveLength(0);
    expect(mocks.records.filter((r) => r.type.startsWith("kubernetes:") || r.type === K8sTypes.provider)).toHaveLength(0);
    expect(room.clusterName).toBeUndefined();
    expect(room.kubeconfig).toBeUndefined();
    expect(room.workload).toBeUndefined();
    expect(room.enclaveGroup).toBeDefined();
  });

  it("runs a Confidential, never-restarting Linux group under the configured policy, named with the attempt", () => {
    expect(group.sku).toBe("Confidential");
    expect(group.restartPolicy).toBe("Never");
    expect(group.osType).toBe("Linux");
    expect(group.confidentialComputeProperties).toEqual({ ccePolicy: CCE_POLICY });
    expect(group.containerGroupName).toBe(`fraud-overlap-${room.contractHash!.slice(0, 12)}-r3`);
    expect(group.ipAddress).toBeUndefined();
    expect(group.subnetIds).toEqual([{ id: aciSubnetId }]);
    expect(group.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [expect.stringMatching(/userAssignedIdentities\/fraud-overlap-workload$/)] });
  });

  it("pins both containers by digest: the contract's enclave image and the SKR sidecar", () => {
    const names = group.containers.map((c: { name: string }) => c.name);
    expect(names).toEqual(["enclave", "skr"]);
    const [enclave, skr] = group.containers;
    expect(enclave.image).toBe(room.contract!.enclave.image);
    expect(skr.image).toBe(SKR);
    for (const c of group.containers) expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it("gives the enclave the Job's CLEANROOM_* environment with the SKR sidecar as attester", () => {
    const env = Object.fromEntries(group.containers[0].environmentVariables.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.CLEANROOM_ATTESTER).toBe("sidecar");
    expect(env.CLEANROOM_SIDECAR_URL).toBe("http://localhost:8080");
    expect(env.CLEANROOM_CONTRACT).toBe("/etc/cleanroom/contract.json");
    expect(env.CLEANROOM_APPROVALS).toBe("/etc/cleanroom/approvals.json");
    expect(env.CLEANROOM_MAA_ENDPOINT).toBe(room.contract!.attestation.authority);
    expect(env.CLEANROOM_STORAGE_URL).toBe(room.blobEndpoint);
    expect(env.CLEANROOM_OUTPUT_CONTAINER).toBe("output");
    expect(env.CLEANROOM_RUN_ID).toBe(group.containerGroupName);
    expect(env.CLEANROOM_IMAGE).toBe(room.contract!.enclave.image);
    expect(env.AZURE_CLIENT_ID).toBe(fakeGuid("client", DEFAULT_SUBSCRIPTION, "fraud-overlap-workload"));
    expect(env.IMDS_CLIENT_ID).toBeUndefined();
    const contractVolume = group.volumes.find((v: { name: string }) => v.name === "contract");
    expect(JSON.parse(Buffer.from(contractVolume.secret["contract.json"], "base64").toString())).toEqual(room.contract);
  });

  it("delegates the group's subnet to ACI with the Key Vault and Storage service endpoints", () => {
    expect(aciSubnet.inputs.delegations).toEqual([{ name: "aci", serviceName: "Microsoft.ContainerInstance/containerGroups" }]);
    expect(aciSubnet.inputs.serviceEndpoints).toEqual([{ service: "Microsoft.KeyVault" }, { service: "Microsoft.Storage" }]);
  });

  it("gives that subnet outbound access to MAA and Entra ID through a NAT gateway with one static IP", () => {
    const nat = mocks.one("azure-native:network:NatGateway", "room-network-nat");
    const ip = mocks.one("azure-native:network:PublicIPAddress", "room-network-nat-ip");
    expect(nat.inputs).toMatchObject({ natGatewayName: "fraud-overlap-vnet-nat", sku: { name: "Standard" } });
    expect(ip.inputs).toMatchObject({ publicIpAddressName: "fraud-overlap-vnet-nat-ip", sku: { name: "Standard" }, publicIPAllocationMethod: "Static" });
    expect(nat.inputs.publicIpAddresses).toEqual([{ id: expect.stringMatching(/publicIPAddresses\/fraud-overlap-vnet-nat-ip$/) }]);
    expect(aciSubnet.inputs.natGateway).toEqual({ id: expect.stringMatching(/natGateways\/fraud-overlap-vnet-nat$/) });
    // The group itself stays without any inbound address.
    expect(group.ipAddress).toBeUndefined();
  });

  it("admits exactly that subnet through every vault's and the storage account's firewall", () => {
    for (const v of mocks.all(AzureTypes.vault)) {
      expect(v.inputs.properties.networkAcls.defaultAction).toBe("Deny");
      expect(v.inputs.properties.networkAcls.virtualNetworkRules).toEqual([{ id: aciSubnetId, ignoreMissingVnetServiceEndpoint: false }]);
    }
    const account = mocks.all(AzureTypes.storageAccount)[0]!.inputs;
    expect(account.networkRuleSet.defaultAction).toBe("Deny");
    expect(account.networkRuleSet.virtualNetworkRules).toEqual([{ virtualNetworkResourceId: aciSubnetId, action: "Allow" }]);
  });

  it("makes the group's identity the only holder of the release role, at key scope, on each party's key", () => {
    const rows = mocks.all(AzureTypes.roleAssignment).map((r) => ({ principal: r.inputs.principalId, role: roleGuid(r.inputs.roleDefinitionId), scope: r.inputs.scope as string }));
    const release = rows.filter((r) => r.role === BuiltInRoles.keyVaultCryptoServiceReleaseUser);
    expect(release).toHaveLength(2);
    expect(release.every((r) => r.principal === IDENTITY)).toBe(true);
    for (const r of release) expect(r.scope).toMatch(/\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/keys\/[^/]+$/);
    expect(new Set(release.map((r) => r.scope)).size).toBe(2);
    expect(rows.some((r) => r.principal === KUBELET)).toBe(false);
    // It reads each input and writes the output, as the workload identity does in node mode.
    const storage = rows.filter((r) => r.principal === IDENTITY && r.role !== BuiltInRoles.keyVaultCryptoServiceReleaseUser);
    expect(storage.filter((r) => r.role === BuiltInRoles.storageBlobDataReader).map((r) => r.scope.split("/").pop()).sort()).toEqual(["input-bank", "input-insurer"]);
    expect(storage.filter((r) => r.role === BuiltInRoles.storageBlobDataContributor).map((r) => r.scope.split("/").pop())).toEqual(["output"]);
    expect(storage).toHaveLength(3);
  });

  it("pins hostdata = sha256 of the configured policy in every key's release policy and in the contract", () => {
    for (const k of mocks.all(AzureTypes.key)) {
      const policy = decodeReleasePolicy(k.inputs.properties.releasePolicy);
      expect(policy.anyOf[0]!.allOf).toContainEqual({ claim: "x-ms-sevsnpvm-hostdata", equals: HOSTDATA });
    }
    expect(room.contract!.attestation).toEqual({ authority: room.plan.attestation.endpoint, mode: "confidential-container", hostdata: HOSTDATA, confcomVersion: PINNED_CONFCOM_VERSION });
    expect(room.enclaveGroup!.hostdata).toBe(HOSTDATA);
  });

  it("settles its run output only once the enclave container terminated with exit code 0", async () => {
    expect(room.enclaveGroup!.groupName).toBe(group.containerGroupName);
    expect(await valueOf(room.enclaveGroup!.run)).toMatchObject({ exitCode: 0 });
  });
});

describe("EnclaveContainerGroup waiter wiring", async () => {
  const { EnclaveContainerGroup } = await import("../../components/enclave-container-group.ts");
  const args = await approvedArgs({ ...aci(), collaboration: "waiter-test" });
  const plan = planCleanRoom(args);
  const seen: string[] = [];
  const reader: ContainerGroupReader = {
    async get(id) {
      seen.push(id);
      return terminatedContainerGroupReader().get(id);
    },
  };
  const g = new EnclaveContainerGroup("w", {
    ...args.enclave!,
    resourceGroupName: "waiter-rg",
    location: "westeurope",
    groupName: plan.enclaveContainerGroupName!,
    contract: plan.contract!,
    approvals: args.approvals!,
    storage: { blobEndpoint: plan.blobEndpoint, inputContainerIds: {}, outputContainerName: "output", outputContainerId: `/subscriptions/${DEFAULT_SUBSCRIPTION}/x` },
    subnetId: "subnet",
    identity: { id: "identity", clientId: "client", principalId: "principal" },
    reader,
  });

  it("polls the group ARM created and exposes the enclave's exit", async () => {
    const run = await valueOf(g.run);
    expect(run).toEqual({ exitCode: 0, finishTime: "2026-01-01T00:00:00Z", detailStatus: "Completed" });
    expect(seen).toEqual([`/subscriptions/${DEFAULT_SUBSCRIPTION}/resourceGroups/waiter-rg/providers/Microsoft.ContainerInstance/containerGroups/${plan.enclaveContainerGroupName}`]);
  });
});

/** A fake ARM that walks a group through the states Microsoft documents: Waiting -> Running -> Terminated. */
function scriptedReader(states: ContainerGroupView[]): ContainerGroupReader & { calls: number } {
  const r = {
    calls: 0,
    async get() {
      const view = states[Math.min(r.calls, states.length - 1)]!;
      r.calls++;
      return view;
    },
  };
  return r;
}
const view = (state: string, exitCode?: number, provisioningState = "Succeeded"): ContainerGroupView => ({
  properties: {
    provisioningState,
    containers: [
      { name: "skr", properties: { instanceView: { currentState: { state: "Running" } } } },
      { name: "enclave", properties: { instanceView: { currentState: { state, ...(exitCode !== undefined ? { exitCode } : {}), detailStatus: state === "Terminated" ? "Error" : "" } } } },
    ],
  },
});
const instant = { sleep: async () => {}, intervalMs: 1 };

describe("waitForEnclaveExit", () => {
  it("keeps polling while the enclave waits or runs, and resolves when it terminated with 0", async () => {
    const reader = scriptedReader([view("Waiting"), view("Running"), view("Running"), view("Terminated", 0)]);
    await expect(waitForEnclaveExit(reader, "/g", "enclave", instant)).resolves.toMatchObject({ exitCode: 0 });
    expect(reader.calls).toBe(4);
  });

  it("fails on a non-zero exit code, naming it", async () => {
    const reader = scriptedReader([view("Running"), view("Terminated", 1)]);
    const err = await waitForEnclaveExit(reader, "/g", "enclave", instant).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnclaveRunFailedError);
    expect((err as EnclaveRunFailedError).exitCode).toBe(1);
    expect((err as Error).message).toMatch(/terminated with exit code 1 \(Error\)/);
  });

  it("does not take the sidecar's state for the enclave's", async () => {
    const reader = scriptedReader([
      { properties: { containers: [{ name: "skr", properties: { instanceView: { currentState: { state: "Terminated", exitCode: 0 } } } }, { name: "enclave", properties: { instanceView: { currentState: { state: "Running" } } } }] } },
      view("Terminated", 2),
    ]);
    await expect(waitForEnclaveExit(reader, "/g", "enclave", instant)).rejects.toThrow(/exit code 2/);
  });

  it("fails when provisioning failed, and after the timeout", async () => {
    await expect(waitForEnclaveExit(scriptedReader([view("Waiting", undefined, "Failed")]), "/g", "enclave", instant)).rejects.toThrow(/provisioningState is Failed/);
    let t = 0;
    await expect(
      waitForEnclaveExit(scriptedReader([view("Running")]), "/g", "enclave", { ...instant, timeoutMs: 100, now: () => (t += 60) }),
    ).rejects.toThrow(/has not terminated after 0 s \(state: Running\)/);
  });
});

describe("armContainerGroupReader", () => {
  it("GETs the group through ARM with a bearer token and the stable API version", async () => {
    const requests: { url: string; auth: string | null }[] = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      requests.push({ url, auth: new Headers(init?.headers).get("authorization") });
      return new Response(JSON.stringify(view("Terminated", 0)), { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const reader = armContainerGroupReader({ getToken: async () => "tok", fetch: fakeFetch });
    await expect(waitForEnclaveExit(reader, "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerInstance/containerGroups/g", "enclave", instant)).resolves.toMatchObject({ exitCode: 0 });
    expect(requests).toEqual([
      { url: "https://management.azure.com/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerInstance/containerGroups/g?api-version=2023-05-01", auth: "Bearer tok" },
    ]);
  });

  it("turns an ARM error into a failed run", async () => {
    const reader = armContainerGroupReader({ getToken: async () => "tok", fetch: (async () => new Response("nope", { status: 404 })) as typeof fetch });
    await expect(reader.get("/g")).rejects.toThrow(/HTTP 404: nope/);
  });
});
