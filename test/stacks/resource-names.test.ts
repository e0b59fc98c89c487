// Every resource's URN (type and logical name, with its parent chain) is pinned per example stack:
// a refactor that renames a child would make `pulumi up` delete and recreate it (a purge-protected
// vault cannot be recreated under its name for 90 days, and its key would be lost to the parties).
// A deliberate rename updates the snapshot (`npx vitest run test/stacks/resource-names.test.ts -u`)
// and adds `aliases` to the renamed resource in the same change.
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CleanRoom } from "../../components/index.ts";
import { CONTAINER_GROUP_READER_SYMBOL, type ContainerGroupReader } from "../../components/enclave-run.ts";
import { prepareCleanRoomArgs } from "../../stacks/collaboration.ts";
import { loadStackConfig } from "../../stacks/config.ts";
import { EXAMPLES } from "../../stacks/examples/collaborations.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { setupPulumiMocks } from "../helpers/pulumi.ts";

const { terminatedContainerGroupReader } = createRequire(import.meta.url)("../../tools/pulumi-mocks/mocks.cjs") as { terminatedContainerGroupReader(): ContainerGroupReader };
(globalThis as Record<symbol, unknown>)[CONTAINER_GROUP_READER_SYMBOL] = terminatedContainerGroupReader();

describe.each(EXAMPLES.map((e) => e.stack))("resource names of %s", (stack) => {
  it("are the pinned ones", async () => {
    // A fresh mock engine per stack, named like it: URNs as `pulumi up` of that stack would make them.
    const mocks = setupPulumiMocks({ stack });
    const loaded = loadStackConfig(stackFileToPulumiConfig(join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`)));
    new CleanRoom("cleanroom", await prepareCleanRoomArgs(loaded, { providerName: (p) => `${p}-subscription` }));
    await mocks.settle();
    const urns = mocks.urns().sort();
    expect(urns.length).toBeGreaterThan(20);
    await expect(`${urns.join("\n")}\n`).toMatchFileSnapshot(join(REPO_ROOT, "test", "fixtures", "stacks", "resource-names", `${stack}.txt`));
  });
});
