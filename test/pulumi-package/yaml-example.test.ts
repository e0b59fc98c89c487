// examples/yaml/: a whole collaboration as a Pulumi YAML program using the component package. Without
// the Pulumi CLI (and so without Pulumi YAML's own type checker), the program is checked against the
// schema the package's provider infers, its values against the package's input rules, and the
// package's CleanRoom is constructed in process under mocks with exactly those values.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
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

/** The room's properties with `${config}` references replaced by the example stack's values (or the defaults), as Pulumi YAML does. */
function resolvedProperties(program: YamlProgram): Record<string, unknown> {
  const stack = (parse(readFileSync(join(EXAMPLE_DIR, "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
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
    const loaded = loadCleanRoomInputs(resolvedProperties(readProgram()));
    const plan = planCleanRoom(loaded.args);
    expect(plan.phase).toBe("awaiting-contract-inputs");
    expect(plan.pendingContractInputs).toEqual(expect.arrayContaining(["parties.bank.kekPublicKey", "datasets.insurer_claims.ciphertextSha256"]));
    expect(plan.parties.map((p) => p.name)).toEqual(["bank", "insurer"]);
  });

  it("constructs the package's CleanRoom in process under mocks: vaults, keys, cluster and storage, no enclave yet", async () => {
    const room = new CleanRoom("room", resolvedProperties(readProgram()) as never);
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
