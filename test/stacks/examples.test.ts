import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { contractHash, verifyApprovals } from "../../enclave-app/src/protocol/index.ts";
import { cleanRoomContract } from "../../components/index.ts";
import { loadStackConfig } from "../../stacks/config.ts";
import { EXAMPLES } from "../../stacks/examples/collaborations.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { generateExamples } from "../../stacks/examples/generate.ts";
import { REPO_ROOT } from "../helpers/pulumi-runner.ts";

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

describe("example fixtures", () => {
  it("are marked test-only", () => {
    for (const e of EXAMPLES) {
      const fixture = JSON.parse(readFileSync(join(REPO_ROOT, `test/fixtures/stacks/${e.stack}.test-only.json`), "utf8"));
      expect(fixture.warning).toMatch(/TEST ONLY/);
    }
  });
});
