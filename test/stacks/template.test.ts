// The `pulumi new` template (Pulumi.yaml `template:`): instantiated into a temporary directory the way
// `pulumi new` does it (tools/pulumi-template/instantiate.ts), with an answer for every prompt that has
// no default, then the resulting project loaded through Pulumi's program runner under mocks: first as
// `pulumi new` leaves it (the program names the structured keys still to set), then after the
// documented `pulumi config set --path` step (a phase-1 clean room).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { REPO_ROOT, runProgramUnderMocks } from "../../tools/pulumi-mocks/run-program.ts";
import { filesWithPlaceholders, instantiateTemplate, promptsWithoutDefault, readTemplateSection, type Instantiated } from "../../tools/pulumi-template/instantiate.ts";
import { AzureTypes } from "../helpers/pulumi.ts";

const NEW_PROJECT = "acme-fraud";
const STACK = "dev";
const EXAMPLE = join(REPO_ROOT, "stacks/Pulumi.fraud-bank-insurer.yaml");
const exampleConfig = (parse(readFileSync(EXAMPLE, "utf8")) as { config: Record<string, unknown> }).config;
const fromExample = (key: string) => exampleConfig[`confidential-clean-room:${key}`];

// What a platform engineer types at the prompts that have no default.
const ANSWERS: Record<string, string> = {
  collaboration: "acme-fraud",
  tenantId: "45533932-df55-4be7-845e-097da063d0a6",
  enclaveImage: "ghcr.io/acme/cleanroom-enclave@sha256:57c4cc573ef5737af759a181f4bdf5081f1e78ead35c12d21c90726f1ec35d64",
  sql: fromExample("sql") as string,
};

let target: string;
let instance: Instantiated;

beforeAll(() => {
  target = mkdtempSync(join(tmpdir(), "cleanroom-template-"));
  instance = instantiateTemplate({
    templateDir: REPO_ROOT,
    targetDir: target,
    projectName: NEW_PROJECT,
    description: "Fraud overlap between Acme Bank and Acme Insurance",
    stack: STACK,
    answers: ANSWERS,
    // Not in a clone of the repository: ignored build and test output.
    exclude: [".cleanroom-tmp", "coverage"],
    nodeModules: join(REPO_ROOT, "node_modules"),
  });
});

afterAll(() => rmSync(target, { recursive: true, force: true }));

describe("the pulumi new template", () => {
  it("prompts with a description for every key; the answers here cover exactly the prompts without a default", () => {
    const template = readTemplateSection(REPO_ROOT);
    expect(template.description).toMatch(/clean room/);
    for (const [key, prompt] of Object.entries(template.config!)) expect(prompt.description, key).toBeTruthy();
    expect(promptsWithoutDefault(template).sort()).toEqual(Object.keys(ANSWERS).sort());
    expect(template.config!.location!.default).toBe(template.config!["azure-native:location"]!.default);
  });

  it("carries no placeholder text pulumi new would replace by accident", () => {
    expect(filesWithPlaceholders(REPO_ROOT, new Set([".git", "node_modules", ".cleanroom-tmp", "coverage"]))).toEqual([]);
  });

  it("instantiates into a project named after the answer, the template section dropped, prompts in the stack file", () => {
    const project = parse(readFileSync(join(target, "Pulumi.yaml"), "utf8")) as Record<string, any>;
    expect(project.name).toBe(NEW_PROJECT);
    expect(project.template).toBeUndefined();
    expect(project).toMatchObject({ main: "stacks/", stackConfigDir: "stacks", runtime: { name: "nodejs", options: { typescript: false } } });
    expect(instance.stackFile).toBe(join(target, "stacks", `Pulumi.${STACK}.yaml`));
    const config = (parse(readFileSync(instance.stackFile, "utf8")) as { config: Record<string, string> }).config;
    expect(config).toMatchObject({ [`${NEW_PROJECT}:collaboration`]: "acme-fraud", [`${NEW_PROJECT}:location`]: "westeurope", "azure-native:location": "westeurope" });
  });

  it("as pulumi new leaves it, loads under Pulumi's runner and names the structured keys still to set, under the new project's namespace", async () => {
    const run = await runProgramUnderMocks({ root: target, project: NEW_PROJECT, stack: STACK, config: stackFileToPulumiConfig(instance.stackFile) });
    expect(run.status).not.toBe(0);
    expect(run.log).toMatch(/stack configuration is invalid \(5 problems\)/);
    for (const key of ["parties", "datasets", "privacy", "recipients", "clusterAdminGroupObjectIds"]) {
      expect(run.log).toContain(`${NEW_PROJECT}:${key}: is required [required]`);
    }
    expect(run.report?.resources.filter((r) => r.type.startsWith("azure-native:")) ?? []).toEqual([]);
  });

  it("after `pulumi config set --path` for those keys, deploys a phase-1 clean room", async () => {
    const config = (parse(readFileSync(instance.stackFile, "utf8")) as { config: Record<string, unknown> }).config;
    const phase1Party = ({ signingKey: _s, kekPublicKey: _k, ...p }: Record<string, unknown>) => p;
    const phase1Dataset = ({ ciphertextSha256: _c, plaintextLength: _l, ...d }: Record<string, unknown>) => d;
    config[`${NEW_PROJECT}:parties`] = (fromExample("parties") as Record<string, unknown>[]).map(phase1Party);
    config[`${NEW_PROJECT}:datasets`] = (fromExample("datasets") as Record<string, unknown>[]).map(phase1Dataset);
    for (const key of ["privacy", "recipients", "clusterAdminGroupObjectIds"]) config[`${NEW_PROJECT}:${key}`] = fromExample(key);
    writeFileSync(instance.stackFile, stringify({ config }));

    const run = await runProgramUnderMocks({ root: target, project: NEW_PROJECT, stack: STACK, config: stackFileToPulumiConfig(instance.stackFile) });
    expect(run.status, run.log).toBe(0);
    const report = run.report!;
    expect(report.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.name).toBe(`${NEW_PROJECT}-${STACK}`);
    expect(report.resources.filter((r) => r.type === AzureTypes.vault)).toHaveLength(2);
    expect(report.resources.filter((r) => r.type === AzureTypes.cluster)).toHaveLength(1);
    expect(report.resources.find((r) => r.type === AzureTypes.resourceGroup)?.inputs.resourceGroupName).toBe("acme-fraud-rg");
    expect(report.stackOutputs!.phase).toBe("awaiting-contract-inputs");
    expect(report.stackOutputs!.pendingContractInputs).toEqual(expect.arrayContaining(["parties.bank.kekPublicKey", "datasets.bank_transactions.ciphertextSha256"]));
  });
});
