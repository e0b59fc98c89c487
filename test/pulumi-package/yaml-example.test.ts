// examples/yaml/: a whole collaboration as a Pulumi YAML program using the component package. Without
// the Pulumi CLI (and so without Pulumi YAML's own type checker), the program is checked against the
// schema the package's provider infers, its values against the package's input rules, and the
// package's CleanRoom is constructed in process under mocks with exactly those values.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/index.js";
import * as entry from "../../pulumi-package/index.ts";
import { CleanRoom } from "../../pulumi-package/index.ts";
import { loadCleanRoomInputs } from "../../pulumi-package/inputs.ts";
import { planCleanRoom } from "../../components/index.ts";
import { checkYamlProgram, type YamlProgram } from "../../tools/pulumi-package/schema-check.ts";
import { PACKAGE_DIR, type PackageSchema } from "../../tools/pulumi-package/provider-process.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { instantiateTemplate, promptsWithoutDefault, readTemplateSection, type Instantiated } from "../../tools/pulumi-template/instantiate.ts";
import { AzureTypes, setupPulumiMocks, valueOf } from "../helpers/pulumi.ts";

const EXAMPLE_DIR = join(REPO_ROOT, "examples/yaml");
const readProgram = (): YamlProgram => parse(readFileSync(join(EXAMPLE_DIR, "Pulumi.yaml"), "utf8")) as YamlProgram;
const mocks = setupPulumiMocks({ stack: "example" });
let schema: PackageSchema;

beforeAll(async () => {
  // The schema as the plugin runner's componentProviderHost infers it: the same ComponentProvider,
  // named after pulumi-package/package.json, given the component classes the entry exports.
  const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { name: string };
  const components = getPulumiComponents(entry);
  schema = JSON.parse(await new ComponentProvider({ name: manifest.name, dirname: PACKAGE_DIR, components }).getSchema()) as PackageSchema;
});

/** Config values of a stack file ("<project>:<key>" -> value). */
const stackConfig = (file: string) => (parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> }).config;

/** The room's properties with `${config}` references replaced by the stack's values (or the defaults), as Pulumi YAML does. */
function resolvedProperties(program: YamlProgram, stack: Record<string, unknown>): Record<string, unknown> {
  const valueOf = (key: string) => stack[`${program.name}:${key}`] ?? program.config?.[key]?.default;
  const resolve = (v: unknown): unknown => {
    if (typeof v === "string") {
      const m = /^\$\{([A-Za-z0-9_]+)\}$/.exec(v);
      return m ? valueOf(m[1]!) : v;
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    return v;
  };
  return resolve(program.resources!.room!.properties) as Record<string, unknown>;
}
const exampleProperties = () => resolvedProperties(readProgram(), stackConfig(join(EXAMPLE_DIR, "Pulumi.example.yaml")));

describe("examples/yaml, the Pulumi YAML program", () => {
  it("is a YAML project that uses the package from this repository", () => {
    const program = readProgram();
    expect(program.runtime).toBe("yaml");
    expect(program.packages?.cleanroom).toBe("../../pulumi-package");
    expect(program.resources!.room!.type).toBe("cleanroom:CleanRoom");
  });

  it("matches the schema: every property known and well typed, every required input given, outputs that exist", () => {
    expect(checkYamlProgram(readProgram(), schema)).toEqual([]);
  });

  it("the checker catches what Pulumi YAML's type checker would: unknown property, wrong enum, wrong type, missing input, unknown output", () => {
    const program = readProgram();
    const props = program.resources!.room!.properties!;
    const broken: YamlProgram = {
      ...program,
      resources: {
        room: {
          ...program.resources!.room!,
          properties: {
            ...Object.fromEntries(Object.entries(props).filter(([k]) => k !== "sql")),
            isolationMode: "confidential-vm",
            privacy: { ...(props.privacy as object), minGroupSize: "10" },
            parties: [{ ...(props.parties as object[])[0], admins: [{ objectId: "x", kind: "Group" }] }, (props.parties as object[])[1]],
            region: "westeurope",
            tenantId: "${tenant}",
          },
        },
      },
      outputs: { endpoint: "${room.clusterEndpoint}" },
    };
    const paths = checkYamlProgram(broken, schema).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "resources.room.properties.isolationMode",
        "resources.room.properties.privacy.minGroupSize",
        "resources.room.properties.parties[0].admins[0].kind",
        "resources.room.properties.region",
        "resources.room.properties.tenantId",
        "resources.room.properties.sql",
        "outputs.endpoint",
      ]),
    );
  });

  it("passes the package's input rules (the program's config parser): a valid phase-1 collaboration", () => {
    const loaded = loadCleanRoomInputs(exampleProperties());
    const plan = planCleanRoom(loaded.args);
    expect(plan.phase).toBe("awaiting-contract-inputs");
    expect(plan.pendingContractInputs).toEqual(expect.arrayContaining(["parties.bank.kekPublicKey", "datasets.insurer_claims.ciphertextSha256"]));
    expect(plan.parties.map((p) => p.name)).toEqual(["bank", "insurer"]);
  });

  it("constructs the package's CleanRoom in process under mocks: vaults, keys, cluster and storage, no enclave yet", async () => {
    const room = new CleanRoom("room", exampleProperties() as never);
    expect(await valueOf(room.phase)).toBe("awaiting-contract-inputs");
    await mocks.settle();
    expect(mocks.all(AzureTypes.vault)).toHaveLength(2);
    expect(mocks.all(AzureTypes.key)).toHaveLength(2);
    expect(mocks.all(AzureTypes.cluster)).toHaveLength(1);
    expect(mocks.all(AzureTypes.storageAccount)).toHaveLength(1);
    expect(mocks.all("kubernetes:batch/v1:Job")).toHaveLength(0);
    const parties = await valueOf(room.parties);
    expect(Object.keys(parties)).toEqual(["bank", "insurer"]);
    expect(parties.insurer!.uploadPrefix).toMatch(/^https:\/\/[a-z0-9]+\.blob\.core\.windows\.net\/input-insurer\/$/);
  });
});

const TEMPLATE_DIR = join(REPO_ROOT, "templates/collaboration-yaml");
const TEMPLATE_ANSWERS: Record<string, string> = {
  collaboration: "acme-overlap",
  tenantId: "45533932-df55-4be7-845e-097da063d0a6",
  enclaveImage: "ghcr.io/acme/cleanroom-enclave@sha256:57c4cc573ef5737af759a181f4bdf5081f1e78ead35c12d21c90726f1ec35d64",
  clusterAdminGroupObjectId: "37ed9b44-4fdd-4505-8c9c-c536d9a24444",
  partyAAdminGroup: "df886ba1-5c55-4a21-8f3e-790db540434a",
  partyAUploader: "f64dfd16-ddab-4c69-828e-9a852420d8c3",
  partyBAdminGroup: "39f3a415-25d2-4b19-8286-d995cebd8955",
  partyBUploader: "6757d8b9-41d8-48e6-89fc-8c14bffd1d2a",
};

describe("templates/collaboration-yaml, a pulumi new template for Pulumi YAML teams", () => {
  let target: string;
  let instance: Instantiated;
  beforeAll(() => {
    target = mkdtempSync(join(tmpdir(), "cleanroom-yaml-template-"));
    instance = instantiateTemplate({
      templateDir: TEMPLATE_DIR,
      targetDir: target,
      projectName: "acme-overlap",
      description: "Customer overlap between Acme Bank and Acme Insurance",
      stack: "dev",
      answers: TEMPLATE_ANSWERS,
    });
  });
  afterAll(() => rmSync(target, { recursive: true, force: true }));

  it("prompts for every config key the program declares, each described; the answers cover exactly the prompts without a default", () => {
    const template = readTemplateSection(TEMPLATE_DIR);
    const program = parse(readFileSync(join(TEMPLATE_DIR, "Pulumi.yaml"), "utf8")) as YamlProgram;
    for (const key of Object.keys(program.config!)) expect(template.config, key).toHaveProperty(key);
    for (const [key, prompt] of Object.entries(template.config!)) expect(prompt.description, key).toBeTruthy();
    expect(promptsWithoutDefault(template).sort()).toEqual(Object.keys(TEMPLATE_ANSWERS).sort());
  });

  it("instantiates into a YAML project that matches the package's schema", () => {
    const program = parse(readFileSync(join(target, "Pulumi.yaml"), "utf8")) as YamlProgram & { template?: unknown };
    expect(program.name).toBe("acme-overlap");
    expect(program.template).toBeUndefined();
    expect(checkYamlProgram(program, schema)).toEqual([]);
  });

  it("with the prompted values, passes the package's input rules and constructs a phase-1 clean room under mocks", async () => {
    const program = parse(readFileSync(join(target, "Pulumi.yaml"), "utf8")) as YamlProgram;
    const properties = resolvedProperties(program, stackConfig(instance.stackFile));
    expect(planCleanRoom(loadCleanRoomInputs(properties).args).parties.map((p) => p.name)).toEqual(["bank", "insurer"]);
    mocks.reset();
    const room = new CleanRoom("templated", properties as never);
    expect(await valueOf(room.phase)).toBe("awaiting-contract-inputs");
    await mocks.settle();
    expect(mocks.all(AzureTypes.vault).map((v) => v.inputs.tags.cleanroom_party).sort()).toEqual(["bank", "insurer"]);
    expect(mocks.find(AzureTypes.resourceGroup, "templated-rg")?.inputs.resourceGroupName).toBe("acme-overlap-rg");
  });
});
