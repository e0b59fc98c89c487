// The stack rules attribute vaults, keys and input containers to parties by the PARTY_TAG the
// components write, on the resources the real program registers (the fraud-bank-insurer example run
// under mocks): with every other clue removed — the PartyVault components, the contract, the
// input-<party> container names — the tags alone still tell whose each resource is, and without them
// the rules see parties without vaults or no input containers at all.
import { beforeAll, describe, expect, it } from "vitest";
import { PARTY_TAG } from "../../enclave-app/src/protocol/index.ts";
import { captureStack } from "../../policies/review/review.ts";
import { stackInputContainerOwnerWrites } from "../../policies/rules/stack/input-containers.ts";
import { stackPartyOwnVault } from "../../policies/rules/stack/party-vaults.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";
import { grantProps, resource, ROLE, runPolicy } from "./fixtures.ts";

const VAULT = "azure-native:keyvault:Vault";
const KEY = "azure-native:keyvault:Key";
const CONTAINER = "azure-native:storage:BlobContainer";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const PARTIES = ["bank", "insurer"];

let program: GraphResource[];
beforeAll(async () => {
  program = (await captureStack({ stack: "fraud-bank-insurer" })).resources;
});

const clone = (resources: GraphResource[]) => structuredClone(resources);
const ofType = (resources: GraphResource[], type: string) => resources.filter((r) => r.type === type);

/** Vaults and keys moved out of their PartyVault components, and the contract ConfigMap dropped. */
function withoutComponentsOrContract(resources: GraphResource[]): GraphResource[] {
  const room = resources.find((r) => r.type === "cleanroom:index:CleanRoom")!;
  return clone(resources)
    .filter((r) => r.type !== "cleanroom:index:PartyVault" && !(r.type === "kubernetes:core/v1:ConfigMap" && "contract.json" in ((r.outputs.data as object) ?? {})))
    .map((r) => (r.type === VAULT || r.type === KEY ? { ...r, parent: room.urn } : r));
}

/** Input containers renamed landing-<party> (and the grants on them re-scoped), so only their metadata says whose they are. */
function withNeutralContainerNames(resources: GraphResource[]): GraphResource[] {
  const rename = (text: string) => text.replace(/\/containers\/input-([a-z0-9-]+)$/, "/containers/landing-$1");
  return clone(resources).map((r) => {
    if (r.type === CONTAINER && typeof r.outputs.name === "string" && r.outputs.name.startsWith("input-")) {
      const name = r.outputs.name.replace(/^input-/, "landing-");
      return { ...r, inputs: { ...r.inputs, containerName: name }, outputs: { ...r.outputs, containerName: name, name } };
    }
    if (r.type === ROLE_ASSIGNMENT && typeof r.outputs.scope === "string") {
      return { ...r, inputs: { ...r.inputs, scope: rename(r.outputs.scope) }, outputs: { ...r.outputs, scope: rename(r.outputs.scope) } };
    }
    return r;
  });
}

const strip = (resources: GraphResource[], type: string, field: "tags" | "metadata") =>
  resources.map((r) => (r.type === type ? { ...r, outputs: { ...r.outputs, [field]: undefined } } : r));

describe("party attribution on the program's own resources", () => {
  it("tags each vault and key and labels each input container with its party", () => {
    for (const type of [VAULT, KEY]) {
      expect(ofType(program, type).map((r) => (r.outputs.tags as Record<string, string>)[PARTY_TAG]).sort(), type).toEqual(PARTIES);
    }
    const labelled = ofType(program, CONTAINER).filter((c) => c.outputs.metadata !== undefined);
    expect(labelled.map((c) => [c.outputs.name, (c.outputs.metadata as Record<string, string>)[PARTY_TAG]]).sort()).toEqual([
      ["input-bank", "bank"],
      ["input-insurer", "insurer"],
    ]);
  });

  it("finds every party's own vault by its tags alone", async () => {
    const resources = withoutComponentsOrContract(program);
    const outcome = await runPolicy(stackPartyOwnVault, resources);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([]);
    expect((await runPolicy(stackInputContainerOwnerWrites, resources)).violations).toEqual([]);

    const untagged = strip(strip(resources, VAULT, "tags"), KEY, "tags");
    expect((await runPolicy(stackPartyOwnVault, untagged)).violations).toEqual(
      PARTIES.map((p) => expect.stringMatching(new RegExp(`^party "${p}" has no Key Vault of its own`))),
    );
  });

  it("finds every input container by its metadata alone, and checks who may write it", async () => {
    const resources = withNeutralContainerNames(withoutComponentsOrContract(program));
    const outcome = await runPolicy(stackInputContainerOwnerWrites, resources);
    expect(outcome.violations).toEqual([]);
    expect(outcome.notApplicable).toEqual([]);
    expect((await runPolicy(stackPartyOwnVault, resources)).violations).toEqual([]);

    const landingBank = ofType(resources, ROLE_ASSIGNMENT).find((g) => String(g.outputs.scope).endsWith("/containers/landing-bank"))!;
    const intruder = "0f0f0f0f-1111-4222-8333-444444444444";
    const withIntruder = [...resources, resource(ROLE_ASSIGNMENT, "intruder", grantProps(intruder, ROLE.blobContributor, String(landingBank.outputs.scope)))];
    expect((await runPolicy(stackInputContainerOwnerWrites, withIntruder)).violations).toEqual([
      expect.stringMatching(new RegExp(`^principal ${intruder} can write input container "landing-bank" .* not one of party "bank"'s principals`)),
    ]);

    const unlabelled = strip(resources, CONTAINER, "metadata");
    expect((await runPolicy(stackInputContainerOwnerWrites, unlabelled)).notApplicable).toEqual([expect.stringMatching(/no input containers/)]);
  });
});
