import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { contractHash, verifyApprovals } from "../../enclave-app/src/protocol/index.ts";
import { cleanRoomContract } from "../../components/index.ts";
import { loadStackConfig } from "../../stacks/config.ts";
import { EXAMPLES } from "../../stacks/examples/collaborations.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { generateExamples } from "../../stacks/examples/generate.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { fraudDefinition, rareDiseaseDefinition, type ScenarioDefinition } from "../../enclave-app/src/demo/scenarios/index.ts";

/** The demo scenario each example is generated from. */
const SCENARIO_OF: Record<string, ScenarioDefinition> = {
  "fraud-bank-insurer": fraudDefinition,
  "rare-disease-hospitals": rareDiseaseDefinition,
  "fraud-bank-insurer-aci": fraudDefinition,
};

/** Relative .ts imports of a module, followed transitively; returns repo-relative paths. */
function moduleClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [join(REPO_ROOT, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+\.ts)"/g)) {
      pending.push(join(dirname(file), match[1]!));
    }
  }
  return new Set([...seen].map((file) => relative(REPO_ROOT, file)));
}

describe.each(EXAMPLES.map((e) => [e.stack, e] as const))("example stack %s", (stack, example) => {
  const file = join(REPO_ROOT, `stacks/Pulumi.${stack}.yaml`);

  it("has approvals from every dataset owner that verify against the contract the program builds", async () => {
    const { args, approvals } = loadStackConfig(stackFileToPulumiConfig(file));
    const contract = cleanRoomContract(args);
    expect(contract).toBeDefined();
    const report = await verifyApprovals(contract!, approvals);
    expect(report.invalid).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.approved).toEqual(Object.keys(example.parties).sort());
    expect(readFileSync(file, "utf8")).toContain(`# Contract hash: ${contractHash(contract!)}`);
  });

  it("would fail verification if anything in the contract changed", async () => {
    const { args, approvals } = loadStackConfig(stackFileToPulumiConfig(file));
    const changed = cleanRoomContract({ ...args, privacy: { ...args.privacy, minGroupSize: args.privacy.minGroupSize - 1 } })!;
    const report = await verifyApprovals(changed, approvals);
    expect(report.ok).toBe(false);
    expect(report.invalid.map((i) => i.party).sort()).toEqual(Object.keys(example.parties).sort());
  });

  it("carries the demo scenario's SQL, dataset schemas, privacy rules and recipients", () => {
    const { args } = loadStackConfig(stackFileToPulumiConfig(file));
    const scenario = SCENARIO_OF[stack]!;
    expect(args.sql).toBe(scenario.sql);
    expect(args.privacy).toEqual(scenario.privacy);
    expect(args.recipients).toEqual(scenario.recipients);
    expect(args.datasets.map((d) => ({ name: d.name, owner: d.owner, schema: d.schema }))).toEqual(
      scenario.datasets.map((d) => ({ name: d.name, owner: d.owner, schema: d.schema })),
    );
  });

  it("uses KEK public keys of the configured size and pins only versionless key ids", () => {
    const { args } = loadStackConfig(stackFileToPulumiConfig(file));
    const contract = cleanRoomContract(args)!;
    for (const p of args.parties) {
      expect(Buffer.from(p.kekPublicKey!.n!, "base64url").length * 8).toBe(p.keySize ?? 3072);
    }
    for (const p of contract.parties) expect(p.kek.keyId).toMatch(/^https:\/\/[a-z0-9-]+\.vault\.azure\.net\/keys\/[a-z0-9-]+$/);
  });
});

describe("example generator", () => {
  it("reproduces the committed stack files from collaborations.ts and the test-only keys (--check)", async () => {
    expect(await generateExamples(true)).toBe(true);
  });
});

describe("program boundary", () => {
  it("the stack program imports nothing from the demo; only the example generator does", () => {
    const program = moduleClosure("stacks/index.ts");
    expect(program).toContain("stacks/config.ts");
    expect([...program].filter((path) => path.includes("enclave-app/src/demo/"))).toEqual([]);
    const generator = moduleClosure("stacks/examples/generate.ts");
    expect([...generator].filter((path) => path.includes("enclave-app/src/demo/")).sort()).toEqual([
      "enclave-app/src/demo/scenarios/fraud.ts",
      "enclave-app/src/demo/scenarios/rare-disease.ts",
      "enclave-app/src/demo/scenarios/types.ts",
    ]);
  });
});

describe("example fixtures", () => {
  it("are marked test-only", () => {
    for (const e of EXAMPLES) {
      const fixture = JSON.parse(readFileSync(join(REPO_ROOT, `test/fixtures/stacks/${e.stack}.test-only.json`), "utf8"));
      expect(fixture.warning).toMatch(/TEST ONLY/);
    }
  });
});
