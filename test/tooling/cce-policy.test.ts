// tools/cce-policy: confcom's input is written from the stack config through the same container
// spec the stack deploys; it fixes everything but the contract-, run- and identity-specific values,
// so the policy hash does not depend on the contract (which can then pin it).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { PINNED_CONFCOM_VERSION } from "../../components/enclave-container-spec.ts";
import { ccePolicyHostdata } from "../../enclave-app/src/protocol/index.ts";
import { EXAMPLES } from "../../stacks/examples/collaborations.ts";
import { inputFileFor, runCcePolicyCli } from "../../tools/cce-policy/cli.ts";
import type { ConfcomInput } from "../../tools/cce-policy/confcom-input.ts";
import type { ConfcomRunner } from "../../tools/cce-policy/confcom.ts";

const NS = "confidential-clean-room";
const STACK = "fraud-bank-insurer-aci";
const tmp = mkdtempSync(join(tmpdir(), "cleanroom-cce-policy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const exampleConfig = (): Record<string, unknown> =>
  (parse(readFileSync(new URL(`../../stacks/Pulumi.${STACK}.yaml`, import.meta.url), "utf8")) as { config: Record<string, unknown> }).config;

let files = 0;
function stackFile(config: Record<string, unknown>): string {
  const path = join(tmp, `Pulumi.variant-${++files}.yaml`);
  writeFileSync(path, stringify({ config }));
  return path;
}

async function cli(argv: string[], confcom?: ConfcomRunner): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCcePolicyCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, confcom);
  return { code, stdout, stderr };
}

/** The confcom input for a config, written to a temporary file. */
async function inputFor(config: Record<string, unknown>): Promise<ConfcomInput> {
  const out = join(tmp, `input-${++files}.json`);
  const r = await cli(["--stack", "variant", "--stack-file", stackFile(config), "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(readFileSync(out, "utf8")) as ConfcomInput;
}

const envOf = (input: ConfcomInput, container: string) =>
  Object.fromEntries(input.containers.find((c) => c.name === container)!.properties.environmentVariables.map((e) => [e.name, e]));

describe("npm run cce-policy", () => {
  it.each(EXAMPLES.filter((e) => e.stack.endsWith("-aci")).map((e) => e.stack))("the checked-in input of %s is what its config gives", async (stack) => {
    const r = await cli(["--stack", stack, "--check"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("is up to date");
  });

  it("fixes both image digests, the command, storage, output, attestation endpoint, sizes and mounts; leaves open only the run id and client id", async () => {
    const config = exampleConfig();
    const input = JSON.parse(readFileSync(inputFileFor(STACK), "utf8")) as ConfcomInput;
    const [enclave, skr] = input.containers;
    expect(enclave!.properties.image).toBe(config[`${NS}:enclaveImage`]);
    expect(skr!.properties.image).toBe((config[`${NS}:enclave`] as { skrSidecarImage: string }).skrSidecarImage);
    for (const c of input.containers) expect(c.properties.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(enclave!.properties.command).toEqual(["node", "enclave-app/src/runtime/main.ts"]);
    const env = envOf(input, "enclave");
    expect(input.containers.flatMap((c) => c.properties.environmentVariables.filter((e) => e.regex).map((e) => `${e.name}=${e.value}`)).sort()).toEqual(["AZURE_CLIENT_ID=.*", "CLEANROOM_RUN_ID=.*"]);
    expect(env["CLEANROOM_STORAGE_URL"]!.value).toMatch(/^https:\/\/[a-z0-9]+\.blob\.core\.windows\.net$/);
    expect(env["CLEANROOM_OUTPUT_CONTAINER"]!.value).toBe("output");
    expect(env["CLEANROOM_ATTESTER"]!.value).toBe("sidecar");
    expect(env["CLEANROOM_MAA_ENDPOINT"]!.value).toMatch(/^https:\/\/[a-z0-9]+\.weu\.attest\.azure\.net$/);
    expect(env["CLEANROOM_MEMORY_LIMIT"]!.value).toBe("8192MB");
    expect(env["CLEANROOM_THREADS"]!.value).toBe("3");
    expect(env["CLEANROOM_PARTY_SIGNERS"]!.value).toMatch(/^bank=[\w-]{43},insurer=[\w-]{43}$/);
    expect(enclave!.properties.volumeMounts).toEqual([
      { name: "contract", mountPath: "/etc/cleanroom", mountType: "secret", readOnly: true },
      { name: "scratch", mountPath: "/scratch", mountType: "emptyDir", readOnly: false },
      { name: "tmp", mountPath: "/tmp", mountType: "emptyDir", readOnly: false },
    ]);
    // Nothing of the contract is in it: not its hash, not its SQL.
    const text = readFileSync(inputFileFor(STACK), "utf8");
    const approvals = config[`${NS}:approvals`] as Record<string, string>;
    expect(text).not.toContain(String(config[`${NS}:sql`]).slice(0, 40));
    expect(Object.keys(approvals).length).toBeGreaterThan(0);
    for (const jws of Object.values(approvals)) expect(text).not.toContain(jws.slice(0, 40));
  });

  it("does not change with the contract (SQL, approvals) but does with the parties' signing keys and the sizes", async () => {
    const base = await inputFor(exampleConfig());
    const otherSql = exampleConfig();
    otherSql[`${NS}:sql`] = `${String(otherSql[`${NS}:sql`])} -- revised`;
    delete otherSql[`${NS}:approvals`];
    expect(await inputFor(otherSql)).toEqual(base);

    const otherSigner = exampleConfig();
    const parties = otherSigner[`${NS}:parties`] as { name: string; signingKey: unknown }[];
    parties[0]!.signingKey = parties[1]!.signingKey;
    delete otherSigner[`${NS}:approvals`];
    expect(envOf(await inputFor(otherSigner), "enclave")["CLEANROOM_PARTY_SIGNERS"]).not.toEqual(envOf(base, "enclave")["CLEANROOM_PARTY_SIGNERS"]);

    const bigger = exampleConfig();
    (bigger[`${NS}:enclave`] as { resources?: unknown }).resources = { memoryInGB: 14 };
    delete bigger[`${NS}:approvals`];
    expect(envOf(await inputFor(bigger), "enclave")["CLEANROOM_MEMORY_LIMIT"]!.value).toBe("10240MB");
  });

  it("prints the pinned confcom command with stdio off and no debug mode", async () => {
    const r = await cli(["--stack", STACK, "--check"]);
    expect(r.stdout).toContain(`az extension add --name confcom --version ${PINNED_CONFCOM_VERSION}`);
    expect(r.stdout).toMatch(/az confcom acipolicygen -i \S+fraud-bank-insurer-aci\.confcom-input\.json --disable-stdio --print-policy/);
    expect(r.stdout).not.toContain("--debug-mode");
  });

  it("refuses a stack that is not in confidential-container mode, and names what is missing", async () => {
    const node = await cli(["--stack", "fraud-bank-insurer", "--out", join(tmp, "never.json")]);
    expect(node.code).toBe(1);
    expect(node.stderr).toMatch(/isolationMode: must be "confidential-container"/);
    const noSidecar = exampleConfig();
    (noSidecar[`${NS}:enclave`] as Record<string, unknown>).skrSidecarImage = "mcr.microsoft.com/aci/skr:latest";
    const r = await cli(["--stack", "variant", "--stack-file", stackFile(noSidecar), "--out", join(tmp, "never.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/enclave\.skrSidecarImage: .*must be mcr\.microsoft\.com\/aci\/skr@sha256/);
    expect((await cli(["--stack", "no-such-stack"])).code).toBe(2);
  });

  it("writes the input before a policy exists", async () => {
    const fresh = exampleConfig();
    delete (fresh[`${NS}:enclave`] as Record<string, unknown>).ccePolicy;
    delete fresh[`${NS}:approvals`];
    expect(await inputFor(fresh)).toEqual(await inputFor(exampleConfig()));
  });
});

describe("npm run cce-policy -- --confcom", () => {
  const realPolicy = (text: string) => Buffer.from(`package policy\n# ${text}\n`).toString("base64");
  const fake = (version: string | undefined, generated: string): ConfcomRunner & { inputs: string[] } => {
    const inputs: string[] = [];
    return { inputs, version: async () => version, generate: async (file) => (inputs.push(file), generated) };
  };
  const withPolicy = (policy: string) => {
    const config = exampleConfig();
    (config[`${NS}:enclave`] as Record<string, unknown>).ccePolicy = policy;
    return stackFile(config);
  };

  it("says so and succeeds when az confcom is not installed", async () => {
    const r = await cli(["--stack", STACK, "--check", "--confcom"], fake(undefined, ""));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("az confcom is not installed");
  });

  it("refuses another confcom release: it can produce another hash", async () => {
    const r = await cli(["--stack", STACK, "--check", "--confcom"], fake("1.2.6", ""));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`az confcom 1.2.6 is installed, this project pins ${PINNED_CONFCOM_VERSION}`);
  });

  it("does not compare the example's placeholder", async () => {
    const runner = fake(PINNED_CONFCOM_VERSION, realPolicy("x"));
    const r = await cli(["--stack", STACK, "--check", "--confcom"], runner);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("placeholder");
    expect(runner.inputs).toEqual([]);
  });

  it("accepts a checked-in policy that is what confcom generates, and refuses one that is not, naming both hashes", async () => {
    const policy = realPolicy("generated");
    const same = fake(PINNED_CONFCOM_VERSION, policy);
    const out = join(tmp, "confcom-input.json");
    const ok = await cli(["--stack", "variant", "--stack-file", withPolicy(policy), "--out", out, "--confcom"], same);
    expect(ok.code, ok.stderr).toBe(0);
    expect(same.inputs).toEqual([out]);
    expect(ok.stdout).toContain(ccePolicyHostdata(policy));

    const stale = realPolicy("stale");
    const r = await cli(["--stack", "variant", "--stack-file", withPolicy(stale), "--out", out, "--confcom"], fake(PINNED_CONFCOM_VERSION, policy));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`hostdata ${ccePolicyHostdata(stale)}`);
    expect(r.stderr).toContain(`hostdata ${ccePolicyHostdata(policy)}`);
  });
});

describe("the pull-request workflow", () => {
  it("checks every confidential-container stack's confcom input and policy, installing the pinned confcom", () => {
    const workflow = parse(readFileSync(new URL("../../.github/workflows/pull-request.yml", import.meta.url), "utf8")) as {
      jobs: Record<string, { steps: { run?: string }[] }>;
    };
    const scripts = workflow.jobs["cce-policy"]!.steps.map((s) => s.run ?? "").join("\n");
    expect(scripts).toContain('az extension add --name confcom --version "$version"');
    expect(scripts).toContain("PINNED_CONFCOM_VERSION");
    expect(scripts).toContain('grep -q \'isolationMode: confidential-container\' "$file"');
    expect(scripts).toContain('npm run --silent cce-policy -- --stack "$stack" --check --confcom');
    // the stacks it selects are the container-mode examples
    for (const e of EXAMPLES) {
      const text = readFileSync(new URL(`../../stacks/Pulumi.${e.stack}.yaml`, import.meta.url), "utf8");
      expect(text.includes("isolationMode: confidential-container"), e.stack).toBe(e.stack.endsWith("-aci"));
    }
  });
});
