// The plan (names, release policies, the contract) is computed once per program run: the config
// loader checks the config with it, the approval check and CleanRoom reuse it.
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CleanRoom, planComputationCount } from "../../components/index.ts";
import { CONTAINER_GROUP_READER_SYMBOL, type ContainerGroupReader } from "../../components/enclave-run.ts";
import { prepareCleanRoomArgs } from "../../stacks/collaboration.ts";
import { loadStackConfig } from "../../stacks/config.ts";
import { EXAMPLES } from "../../stacks/examples/collaborations.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { setupPulumiMocks } from "../helpers/pulumi.ts";

const mocks = setupPulumiMocks();
// The mocks play ARM for the container group's waiter, as tools/pulumi-mocks/preload.cjs does for program runs.
const { terminatedContainerGroupReader } = createRequire(import.meta.url)("../../tools/pulumi-mocks/mocks.cjs") as { terminatedContainerGroupReader(): ContainerGroupReader };
(globalThis as Record<symbol, unknown>)[CONTAINER_GROUP_READER_SYMBOL] = terminatedContainerGroupReader();

describe.each(EXAMPLES.map((e) => e.stack))("a program run of %s", (stack) => {
  it("computes the plan once and hands the same one to CleanRoom", async () => {
    const raw = stackFileToPulumiConfig(join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`));
    const before = planComputationCount();
    const loaded = loadStackConfig(raw);
    const args = await prepareCleanRoomArgs(loaded, { providerName: (p) => `${p}-subscription` });
    const room = new CleanRoom(`plan-once-${stack}`, args);
    await mocks.settle();
    expect(planComputationCount() - before).toBe(1);
    expect(room.plan.contractHash).toBe(loaded.plan.contractHash);
    expect(room.phase).toBe("approved");
    expect(loaded.plan.phase).toBe("awaiting-approvals");
  });
});
