// The program loaded exactly as `pulumi up` loads it: Pulumi's runner imports stacks/ under Node 24
// (no transpiler), config from PULUMI_CONFIG, engine replaced by mocks. Fails if the program cannot
// load under Node 24 (a ".js" specifier, a non-erasable TypeScript construct, a second export...).
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { contractHash, decodeReleasePolicy, partySignersMismatch, verifyApprovals } from "../../enclave-app/src/protocol/index.ts";
import { EXAMPLES } from "../../stacks/examples/collaborations.ts";
import { OPEN_ENV_VARS } from "../../components/enclave-container-spec.ts";
import { readConfig } from "../../enclave-app/src/runtime/config.ts";
import type { ConfcomInput } from "../../tools/cce-policy/confcom-input.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { AzureTypes, K8sTypes } from "../helpers/pulumi.ts";
import { isSerializedSecret } from "../../tools/pulumi-mocks/report.ts";
import { REPO_ROOT, runProgramUnderMocks, type ProgramRunResult } from "../../tools/pulumi-mocks/run-program.ts";
import { PINNED_CONFCOM_VERSION } from "../../components/enclave-container-spec.ts";

const NS = "confidential-clean-room";
const configOf = (stack: string) => stackFileToPulumiConfig(join(REPO_ROOT, `stacks/Pulumi.${stack}.yaml`));
const count = (r: ProgramRunResult, type: string) => r.report!.resources.filter((x) => x.type === type).length;
// Each example stack's unmodified run is shared by the tests that inspect it (one child process each).
const exampleRuns = new Map<string, Promise<ProgramRunResult>>();
const runExample = (stack: string) => {
  if (!exampleRuns.has(stack)) exampleRuns.set(stack, runProgramUnderMocks({ stack, config: configOf(stack) }));
  return exampleRuns.get(stack)!;
};

const isContainerMode = (stack: string) => configOf(stack)[`${NS}:isolationMode`] === "confidential-container";
const NODE_EXAMPLES = EXAMPLES.filter((e) => !isContainerMode(e.stack));
const CONTAINER_EXAMPLES = EXAMPLES.filter((e) => isContainerMode(e.stack));
const ContainerGroupType = "azure-native:containerinstance:ContainerGroup";

describe.each(NODE_EXAMPLES.map((e) => [e.stack, e] as const))("pulumi program, stack %s", (stack, example) => {
  it("loads through Pulumi's runner under Node 24 and registers the whole clean room including the enclave job", async () => {
    const run = await runExample(stack);
    expect(run.status, run.stderr).toBe(0);
    const report = run.report!;
    const parties = Object.keys(example.parties).length;
    expect(report.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.name).toBe(`confidential-clean-room-${stack}`);
    expect(count(run, "cleanroom:index:CleanRoom")).toBe(1);
    expect(count(run, AzureTypes.vault)).toBe(parties);
    expect(count(run, AzureTypes.key)).toBe(parties);
    expect(count(run, AzureTypes.cluster)).toBe(1);
    expect(count(run, AzureTypes.agentPool)).toBe(1);
    expect(count(run, AzureTypes.storageAccount)).toBe(1);
    expect(count(run, AzureTypes.container)).toBe(parties + 1);
    expect(count(run, K8sTypes.job)).toBe(1);
    expect(count(run, K8sTypes.networkPolicy)).toBe(1);
    expect(new Set(report.urns).size).toBe(report.urns.length);

    const outputs = report.stackOutputs!;
    expect(outputs.phase).toBe("approved");
    expect(isSerializedSecret(outputs.kubeconfig)).toBe(true);
    const contract = JSON.parse(outputs.contract as string);
    expect(outputs.contractHash).toBe(contractHash(contract));
    const approvals = JSON.parse(configOf(stack)[`${NS}:approvals`]!);
    expect((await verifyApprovals(contract, approvals)).ok).toBe(true);
    const job = report.resources.find((r) => r.type === K8sTypes.job)!;
    expect(job.inputs.metadata.name).toMatch(new RegExp(`^cleanroom-${(outputs.contractHash as string).slice(0, 12)}-[0-9a-f]{12}-1$`));
    expect(job.inputs.metadata.annotations["pulumi.com/replaceUnready"]).toBe("true");
    const cm = report.resources.find((r) => r.type === K8sTypes.configMap)!;
    expect(JSON.parse(cm.inputs.data["contract.json"])).toEqual(contract);
    const partyOutputs = outputs.parties as Record<string, { keyId: string; vaultUri: string }>;
    for (const p of contract.parties) expect(partyOutputs[p.name]!.keyId).toBe(p.kek.keyId);
    expect(outputs.resultLocation).toBe(`${outputs.blobEndpoint}/output/${outputs.contractHash}/`);
  });
});

interface DeployedContainer {
  name: string;
  image: string;
  command?: string[];
  environmentVariables: { name: string; value: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

describe.each(CONTAINER_EXAMPLES.map((e) => [e.stack, e] as const))("pulumi program, confidential-container stack %s", (stack, example) => {
  it("loads through Pulumi's runner under Node 24 and registers a Confidential ACI enclave instead of a cluster", async () => {
    const run = await runExample(stack);
    expect(run.status, run.stderr).toBe(0);
    const report = run.report!;
    const parties = Object.keys(example.parties).length;
    expect(report.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.name).toBe(`confidential-clean-room-${stack}`);
    expect(count(run, "cleanroom:index:CleanRoom")).toBe(1);
    expect(count(run, "cleanroom:index:EnclaveContainerGroup")).toBe(1);
    expect(count(run, AzureTypes.vault)).toBe(parties);
    expect(count(run, AzureTypes.key)).toBe(parties);
    expect(count(run, AzureTypes.cluster)).toBe(0);
    expect(count(run, AzureTypes.agentPool)).toBe(0);
    expect(report.resources.filter((r) => r.type.startsWith("kubernetes:"))).toHaveLength(0);
    expect(count(run, ContainerGroupType)).toBe(1);
    expect(new Set(report.urns).size).toBe(report.urns.length);

    const config = configOf(stack);
    const enclave = JSON.parse(config[`${NS}:enclave`]!);
    const hostdata = createHash("sha256").update(Buffer.from(enclave.ccePolicy, "base64")).digest("hex");
    const outputs = report.stackOutputs!;
    expect(outputs.phase).toBe("approved");
    expect(outputs.kubeconfig).toBeUndefined();
    expect(outputs.clusterName).toBeUndefined();
    expect(outputs.enclaveHostdata).toBe(hostdata);
    const contract = JSON.parse(outputs.contract as string);
    // The example keeps a dedicated attestation provider, so its policy hash is pinned as well.
    const { policyHash } = JSON.parse(config[`${NS}:attestation`]!);
    expect(contract.attestation).toEqual({ authority: outputs.attestationEndpoint, mode: "confidential-container", hostdata, policyHash, confcomVersion: enclave.confcomVersion });
    expect(enclave.confcomVersion).toBe(PINNED_CONFCOM_VERSION);
    expect(outputs.contractHash).toBe(contractHash(contract));
    expect((await verifyApprovals(contract, JSON.parse(config[`${NS}:approvals`]!))).ok).toBe(true);
    for (const k of report.resources.filter((r) => r.type === AzureTypes.key)) {
      expect(decodeReleasePolicy(k.inputs.properties.releasePolicy).anyOf[0]!.allOf).toContainEqual({ claim: "x-ms-sevsnpvm-hostdata", equals: hostdata });
    }
    const group = report.resources.find((r) => r.type === ContainerGroupType)!.inputs;
    expect(group.sku).toBe("Confidential");
    expect(group.restartPolicy).toBe("Never");
    expect(group.confidentialComputeProperties.ccePolicy).toBe(enclave.ccePolicy);
    expect(group.containerGroupName).toBe(`${stack}-${contract && (outputs.contractHash as string).slice(0, 12)}-r${enclave.runAttempt ?? 1}`);
    expect(group.containers.map((c: { image: string }) => c.image)).toEqual([contract.enclave.image, enclave.skrSidecarImage]);
    // The mocks play ARM: the waiter saw the enclave terminate with exit code 0.
    expect((outputs.enclaveContainerGroup as { run: { exitCode: number } }).run.exitCode).toBe(0);

    // The policy's subject is the deployed group: the checked-in confcom input (npm run cce-policy)
    // fixes every value the group sets, except the open ones, and mounts exactly its volumes.
    const input = JSON.parse(readFileSync(join(REPO_ROOT, "stacks", "cce-policy", `${stack}.confcom-input.json`), "utf8")) as ConfcomInput;
    expect(input.containers.map((c) => c.name)).toEqual(group.containers.map((c: { name: string }) => c.name));
    for (const [i, deployed] of (group.containers as DeployedContainer[]).entries()) {
      const measured = input.containers[i]!.properties;
      expect(measured.image).toBe(deployed.image);
      expect(measured.command).toEqual(deployed.command);
      expect(measured.environmentVariables.map((e) => e.name)).toEqual(deployed.environmentVariables.map((e) => e.name));
      for (const [j, e] of deployed.environmentVariables.entries()) {
        const rule = measured.environmentVariables[j]!;
        if (rule.regex) expect(Object.keys(OPEN_ENV_VARS)).toContain(e.name);
        else expect(rule.value, e.name).toBe(e.value);
      }
      expect((measured.volumeMounts ?? []).map((m) => [m.name, m.mountPath, m.readOnly])).toEqual((deployed.volumeMounts ?? []).map((m) => [m.name, m.mountPath, m.readOnly ?? false]));
    }
    // ... and the runtime reads what the group sets: the signers it pins are the contract's parties.
    const env = Object.fromEntries(group.containers[0].environmentVariables.map((e: { name: string; value: string }) => [e.name, e.value]));
    const runtime = readConfig(env);
    expect(runtime).toMatchObject({ attester: "sidecar", storageUrl: outputs.blobEndpoint, runId: group.containerGroupName, enclaveImage: contract.enclave.image });
    expect(partySignersMismatch(runtime.partySigners!, contract.parties)).toBeUndefined();
    const contractMount = group.containers[0].volumeMounts.find((m: { name: string }) => m.name === "contract");
    const secret = group.volumes.find((v: { name: string }) => v.name === "contract").secret as Record<string, string>;
    for (const file of [runtime.contractPath, runtime.approvalsPath]) {
      expect(file.startsWith(`${contractMount.mountPath}/`)).toBe(true);
      expect(Object.keys(secret)).toContain(file.slice(contractMount.mountPath.length + 1));
    }
    expect(JSON.parse(Buffer.from(secret[runtime.contractPath.slice(contractMount.mountPath.length + 1)]!, "base64").toString("utf8"))).toEqual(contract);
  });

  it("fails `pulumi up` when the enclave container exits non-zero", async () => {
    const run = await runProgramUnderMocks({ stack, config: configOf(stack), env: { CLEANROOM_MOCK_ENCLAVE_EXIT: "1" } });
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/terminated with exit code 1/);
  });
});

describe("pulumi program", () => {
  it("deploys a party's vault through its own subscription's provider (rare-disease example, hospital C)", async () => {
    const run = await runExample("rare-disease-hospitals");
    expect(run.status, run.stderr).toBe(0);
    const resources = run.report!.resources;
    const provider = resources.find((r) => r.type === AzureTypes.provider && r.name === "hospital-c-subscription")!;
    expect(provider.inputs.subscriptionId).toMatch(/^[0-9a-f-]{36}$/);
    const vault = resources.find((r) => r.type === AzureTypes.vault && r.name === "cleanroom-hospital-c-vault")!;
    expect(vault.provider).toContain("hospital-c-subscription");
    const release = resources.find((r) => r.name === "cleanroom-hospital-c-release")!;
    expect(release.inputs.scope).toMatch(new RegExp(`^/subscriptions/${provider.inputs.subscriptionId}/`));
  });

  it("phase 1: without keys, digests or approvals it creates everything but the workload and lists what is missing", async () => {
    const config = configOf("fraud-bank-insurer");
    delete config[`${NS}:approvals`];
    const parties = JSON.parse(config[`${NS}:parties`]!);
    for (const p of parties) {
      delete p.signingKey;
      delete p.kekPublicKey;
    }
    config[`${NS}:parties`] = JSON.stringify(parties);
    const datasets = JSON.parse(config[`${NS}:datasets`]!);
    for (const d of datasets) {
      delete d.ciphertextSha256;
      delete d.plaintextLength;
    }
    config[`${NS}:datasets`] = JSON.stringify(datasets);
    const run = await runProgramUnderMocks({ stack: "fraud-bank-insurer", config });
    expect(run.status, run.stderr).toBe(0);
    expect(count(run, K8sTypes.job)).toBe(0);
    expect(count(run, AzureTypes.key)).toBe(2);
    const outputs = run.report!.stackOutputs!;
    expect(outputs.phase).toBe("awaiting-contract-inputs");
    expect(outputs.pendingContractInputs).toEqual(expect.arrayContaining(["parties.bank.kekPublicKey", "datasets.insurer_claims.plaintextLength"]));
    const bank = (outputs.parties as Record<string, { keyId: string; keyName: string; vaultUri: string }>).bank!;
    expect(bank.keyId).toMatch(/^https:\/\/bank-[0-9a-f]{8}\.vault\.azure\.net\/keys\/bank-kek-rsa3072-[0-9a-f]{12}$/);
  });

  it("fails with one error naming the party whose approval does not verify", async () => {
    const config = configOf("fraud-bank-insurer");
    const approvals = JSON.parse(config[`${NS}:approvals`]!);
    config[`${NS}:approvals`] = JSON.stringify({ bank: approvals.bank, insurer: approvals.bank });
    const run = await runProgramUnderMocks({ stack: "fraud-bank-insurer", config });
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/approvals that do not verify: insurer/);
    expect(run.report!.resources.filter((r) => r.type.startsWith("azure-native:"))).toHaveLength(0);
  });

  it("fails with every config problem listed, before declaring any resource", async () => {
    const config = configOf("fraud-bank-insurer");
    config[`${NS}:recipients`] = JSON.stringify(["bank", "regulator"]);
    config[`${NS}:cluster`] = JSON.stringify({ enclavePool: { vmSize: "Standard_D4s_v5" } });
    const run = await runProgramUnderMocks({ stack: "fraud-bank-insurer", config });
    expect(run.status).not.toBe(0);
    const text = run.stderr + run.stdout;
    expect(text).toMatch(/confidential-clean-room:recipients\[1\]: recipient "regulator" is not one of the parties/);
    expect(text).toMatch(/confidential-clean-room:cluster\.enclavePool\.vmSize: "Standard_D4s_v5" is not a confidential VM size/);
    expect(run.report!.resources.filter((r) => r.type.startsWith("azure-native:"))).toHaveLength(0);
  });

  it("never creates a key whose release policy pins an attestation endpoint the deployed provider does not have", async () => {
    const run = await runProgramUnderMocks({
      stack: "fraud-bank-insurer",
      config: configOf("fraud-bank-insurer"),
      env: { CLEANROOM_MOCK_ATTEST_URI: "https://elsewhere.neu.attest.azure.net" },
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/attestUri "https:\/\/elsewhere\.neu\.attest\.azure\.net" but the release policies pin/);
    expect(run.report!.resources.filter((r) => r.type === AzureTypes.key)).toHaveLength(0);
    expect(run.report!.resources.filter((r) => r.type === K8sTypes.job)).toHaveLength(0);
  });
});
