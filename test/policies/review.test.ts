// The offline review end to end: `npm run review` on both example stacks (no violation, exit 0), on
// the insecure fixture (every expected finding, exit 1), with policy config that changes the exit
// code, and with usage errors (exit 2). Each program run is started once and shared by the tests.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runReviewCli } from "../../policies/review/cli.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { EXPECTED_FINDINGS } from "../fixtures/policies/insecure/expected.ts";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runReviewCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const tmp = mkdtempSync(join(tmpdir(), "cleanroom-review-test-"));
const configFile = (name: string, doc: unknown) => {
  const path = join(tmp, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
};
const INSECURE = ["--stack", "insecure", "--program", "test/fixtures/policies/insecure"];

// Each is one run of a program under mocks (about 3 s and 0.4 GB): queued one after another at load,
// so the suite never holds several at once, and shared by the tests below.
let queue: Promise<unknown> = Promise.resolve();
function queued(args: string[]): Promise<CliRun> {
  const run = queue.then(() => cli(args));
  queue = run.catch(() => undefined);
  return run;
}

const runs = {
  fraud: queued(["--stack", "fraud-bank-insurer", "--out", join(tmp, "fraud.md")]),
  rare: queued(["--stack", "rare-disease-hospitals"]),
  aci: queued(["--stack", "fraud-bank-insurer-aci"]),
  insecure: queued(INSECURE),
  insecureAdvisory: queued([...INSECURE, "--config", configFile("advisory.json", { all: "advisory" })]),
  insecureUnwritableOut: queued([...INSECURE, "--out", join(tmp, "no-such-directory", "report.md")]),
  fraudSharedOnly: queued([
    "--stack",
    "fraud-bank-insurer",
    "--config",
    configFile("shared-only.json", { "key-release-policy-attested": { allowedAuthorities: ["https://sharedweu.weu.attest.azure.net"] } }),
  ]),
};

/** The violation rows of a report: [policy, level, resource name]. */
function findings(markdown: string): [string, string, string][] {
  return [...markdown.matchAll(/^\| `([a-z0-9-]+)` \| (mandatory|advisory) \| `([^`]+)` \(/gm)].map((m) => [m[1]!, m[2]!, m[3]!]);
}

describe("review of the example stacks", () => {
  it.each([
    ["fraud-bank-insurer", "fraud"],
    ["rare-disease-hospitals", "rare"],
  ] as const)("%s: every policy passes, nothing is left unevaluated, exit 0", async (stack, key) => {
    const run = await runs[key];
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`## Policy review: stack \`${stack}\``);
    expect(run.stdout).toContain("**PASS**: no mandatory violations, 0 advisory");
    expect(run.stdout).toMatch(/### Violations\n\nNone\./);
    expect(run.stdout).not.toContain("Not evaluated");
    expect(run.stdout).toMatch(/34 policies \(31 mandatory, 3 advisory, 0 disabled\) over \d+ resources of program `stacks\/`/);
    expect(run.stdout).toMatch(/\| `kubernetes:batch\/v1:Job` \| 1 \|/);
  });

  it("fraud-bank-insurer-aci (confidential-container): every policy passes; the group's identity is the release identity", async () => {
    const run = await runs.aci;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("**PASS**: no mandatory violations, 0 advisory");
    expect(run.stdout).toMatch(/\| `azure-native:containerinstance:ContainerGroup` \| 1 \|/);
    expect(run.stdout).not.toContain("kubernetes:batch/v1:Job");
    // Its ccePolicy (the placeholder in confcom's shape) is read and its hostdata compared, not skipped.
    expect(run.stdout).not.toContain("Not evaluated");
    expect(run.stdout).toMatch(/34 policies \(31 mandatory, 3 advisory, 0 disabled\)/);
  });

  it("writes the report to --out as well", async () => {
    const run = await runs.fraud;
    expect(readFileSync(join(tmp, "fraud.md"), "utf8")).toBe(run.stdout);
  });
});

describe("review of the insecure fixture", () => {
  it("reports every expected finding, and nothing else, and exits 1", async () => {
    const run = await runs.insecure;
    expect(run.code).toBe(1);
    const mandatory = EXPECTED_FINDINGS.filter((f) => f.level === "mandatory").length;
    expect(run.stdout).toContain(`**FAIL**: `);
    const reported = findings(run.stdout).map(([policy, level, resource]) => `${policy} ${level} ${resource}`);
    const expected = EXPECTED_FINDINGS.map((f) => `${f.policy} ${f.level} ${f.resource}`);
    expect(new Set(reported)).toEqual(new Set(expected));
    // aks-oidc-workload-identity reports OIDC and workload identity separately.
    expect(run.stdout).toContain(`**FAIL**: ${mandatory + 1} mandatory violations, ${EXPECTED_FINDINGS.length - mandatory} advisory`);
  });

  it("covers every policy of the pack at least once", async () => {
    const { policies } = await import("../../policies/rules/index.ts");
    const covered = new Set(EXPECTED_FINDINGS.map((f) => f.policy));
    expect(policies.filter((p) => !covered.has(p.name)).map((p) => p.name)).toEqual([]);
  });

  it("leaves the same workload outside the enclave's namespace alone", async () => {
    const run = await runs.insecure;
    expect(run.stdout).not.toMatch(/`debug-pod`/);
  });

  it("groups violations by severity with the resource and the fix", async () => {
    const run = await runs.insecure;
    expect(run.stdout.indexOf("#### Critical")).toBeLessThan(run.stdout.indexOf("#### High"));
    expect(run.stdout).toMatch(
      /\| `stack-release-role-enclave-only` \| mandatory \| `release-to-mallory` \(azure-native:authorization:RoleAssignment\)<br>`urn:pulumi:insecure::[^`]+::release-to-mallory` \| principal [0-9a-f-]+ holds the release role on key "carol-kek"; .* \| Remove release-role assignments/,
    );
  });
});

describe("enforcement levels from policy config", () => {
  it('turns the insecure fixture into a pass when "all" is advisory', async () => {
    const run = await runs.insecureAdvisory;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`**PASS**: no mandatory violations, ${EXPECTED_FINDINGS.length + 1} advisory`);
    expect(run.stdout).toContain("34 policies (0 mandatory, 34 advisory, 0 disabled)");
  });

  it("fails an example stack whose dedicated attestation provider a stricter allow-list excludes", async () => {
    const run = await runs.fraudSharedOnly;
    expect(run.code).toBe(1);
    expect(findings(run.stdout)).toEqual([
      ["key-release-policy-attested", "mandatory", "cleanroom-bank-kek"],
      ["key-release-policy-attested", "mandatory", "cleanroom-insurer-kek"],
    ]);
  });
});

describe("usage errors exit 2", () => {
  it("without --stack", async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/required option '--stack <name>' not specified/);
  });

  it("for a stack without a stack file", async () => {
    const run = await cli(["--stack", "no-such-stack"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'review: REVIEW_STACK_FILE_MISSING: no stack file stacks/Pulumi.no-such-stack.yaml for stack "no-such-stack"; create it (pulumi stack init) or pass --stack-file\n',
    );
  });

  it("for a policy config that breaks a schema, before the program runs", async () => {
    const run = await cli(["--stack", "fraud-bank-insurer", "--config", configFile("bad.json", { "keyvault-soft-delete": { minimumRetentionDays: "seven" } })]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/REVIEW_POLICY_CONFIG_INVALID: policy config is invalid:\n {2}- keyvault-soft-delete\.minimumRetentionDays: expected integer, got "seven"/);
  });

  it("for an --out file that cannot be written, after printing the report", async () => {
    const run = await runs.insecureUnwritableOut;
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("**FAIL**");
    expect(run.stderr).toBe(`review: REVIEW_USAGE: cannot write the report to --out ${join(tmp, "no-such-directory", "report.md")}: ENOENT\n`);
  });

  it("from the npm script's entry point as a process exit code", () => {
    const child = spawnSync(process.execPath, [join(REPO_ROOT, "policies/review/main.ts"), "--stack", "no-such-stack"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(child.status).toBe(2);
    expect(child.stderr).toMatch(/REVIEW_STACK_FILE_MISSING/);
  });
});

describe("a program that fails", () => {
  it("exits 1 with the program's error and evaluates nothing", async () => {
    const broken = join(tmp, "Pulumi.broken.yaml");
    writeFileSync(broken, "config:\n  confidential-clean-room:collaboration: x\n");
    const run = await cli(["--stack", "broken", "--stack-file", broken]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^review: REVIEW_PROGRAM_FAILED: the program stacks\/ failed for stack broken \(exit \d+\); nothing was evaluated:\nerror: .*\nStackConfigError: stack configuration is invalid .*\n {2}- confidential-clean-room:location: is required/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

afterAll(async () => {
  await queue;
  rmSync(tmp, { recursive: true, force: true });
});
