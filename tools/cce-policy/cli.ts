// `npm run cce-policy -- --stack <name> [--check] [--confcom]`: writes confcom's input for a
// confidential-container stack to stacks/cce-policy/<stack>.confcom-input.json (checked in, so a
// pull request shows what the policy fixes), prints the pinned confcom command, and with --confcom
// runs it and compares the result with the stack's enclave.ccePolicy. Exit 0 ok, 1 finding, 2 usage.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { PINNED_CONFCOM_VERSION } from "../../components/enclave-container-spec.ts";
import { ccePolicyHostdata, decodeCcePolicy } from "../../enclave-app/src/protocol/index.ts";
import { parseStackConfig, StackConfigError, toCleanRoomArgs } from "../../stacks/config.ts";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { azConfcom, CONFCOM_INSTALL, confcomCommand, type ConfcomRunner } from "./confcom.ts";
import { confcomInput, ConfcomInputError } from "./confcom-input.ts";
import { PolicySubjectError, stackGroupContainers } from "./stack-containers.ts";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

const REPO = resolve(import.meta.dirname, "../..");

interface CliOptions {
  stack: string;
  stackFile?: string;
  out?: string;
  check?: boolean;
  confcom?: boolean;
}

export function inputFileFor(stack: string): string {
  return join(REPO, "stacks", "cce-policy", `${stack}.confcom-input.json`);
}

/** Checked-in placeholders (this repository's example) say so in their first line; confcom never writes that. */
export function isPlaceholderPolicy(ccePolicy: string): boolean {
  return /^# PLACEHOLDER/.test(decodeCcePolicy(ccePolicy));
}

function command(io: CliIo): Command {
  return new Command("cce-policy")
    .description("Write az confcom's input for a confidential-container stack, from the same container spec the stack deploys.")
    .requiredOption("--stack <name>", "stack whose config (stacks/Pulumi.<name>.yaml) describes the container group")
    .option("--stack-file <file>", "stack config file (default: stacks/Pulumi.<stack>.yaml)")
    .option("--out <file>", "where to write confcom's input (default: stacks/cce-policy/<stack>.confcom-input.json)")
    .option("--check", "write nothing; fail when the checked-in input is not what the config gives")
    .option("--confcom", `also run az confcom ${PINNED_CONFCOM_VERSION} when installed and compare its policy with the stack's enclave.ccePolicy`)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}

/** Runs the CLI and resolves to its exit code; never calls process.exit. */
export async function runCcePolicyCli(argv: readonly string[], io: CliIo = processIo, confcom: ConfcomRunner = azConfcom): Promise<number> {
  let opts: CliOptions;
  try {
    opts = command(io).parse([...argv], { from: "user" }).opts<CliOptions>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const stackFile = resolve(opts.stackFile ?? join(REPO, "stacks", `Pulumi.${opts.stack}.yaml`));
  if (!existsSync(stackFile)) {
    io.stderr(`cce-policy: no stack file ${stackFile}\n`);
    return 2;
  }
  let text: string;
  let ccePolicy: string | undefined;
  try {
    const config = parseStackConfig(stackFileToPulumiConfig(stackFile));
    ccePolicy = config.enclave?.ccePolicy;
    text = `${JSON.stringify(confcomInput(stackGroupContainers(toCleanRoomArgs(config))), null, 2)}\n`;
  } catch (err) {
    if (err instanceof StackConfigError || err instanceof PolicySubjectError || err instanceof ConfcomInputError) {
      io.stderr(`cce-policy: stack ${opts.stack}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const out = resolve(opts.out ?? inputFileFor(opts.stack));
  const shown = relative(process.cwd(), out) || out;
  if (opts.check) {
    const current = existsSync(out) ? readFileSync(out, "utf8") : undefined;
    if (current !== text) {
      io.stderr(`cce-policy: ${shown} is ${current === undefined ? "missing" : "out of date"}; run npm run cce-policy -- --stack ${opts.stack}\n`);
      return 1;
    }
    io.stdout(`${shown} is up to date\n`);
  } else {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    io.stdout(`wrote ${shown}\n`);
  }
  io.stdout(
    `generate the policy with az confcom ${PINNED_CONFCOM_VERSION} (install: ${CONFCOM_INSTALL.join(" ")}):\n  ${confcomCommand(shown).join(" ")} > policy.b64\n` +
      `then: pulumi config set --path enclave.ccePolicy "$(cat policy.b64)" && pulumi config set --path enclave.confcomVersion ${PINNED_CONFCOM_VERSION}\n`,
  );
  if (!opts.confcom) return 0;

  const version = await confcom.version();
  if (version === undefined) {
    io.stdout(`az confcom is not installed: policy not regenerated (install: ${CONFCOM_INSTALL.join(" ")})\n`);
    return 0;
  }
  if (version !== PINNED_CONFCOM_VERSION) {
    io.stderr(`cce-policy: az confcom ${version} is installed, this project pins ${PINNED_CONFCOM_VERSION}: a different release can produce a different policy hash\n`);
    return 1;
  }
  if (ccePolicy !== undefined && ccePolicy !== "" && isPlaceholderPolicy(ccePolicy)) {
    io.stdout(`stack ${opts.stack}: enclave.ccePolicy is a checked-in placeholder for images that do not exist; not compared\n`);
    return 0;
  }
  const generated = await confcom.generate(out);
  const hostdata = ccePolicyHostdata(generated);
  if (ccePolicy === undefined || ccePolicy === "") {
    io.stderr(`cce-policy: stack ${opts.stack} has no enclave.ccePolicy; confcom generated one with hostdata ${hostdata}\n`);
    return 1;
  }
  const pinned = ccePolicyHostdata(ccePolicy);
  if (pinned !== hostdata) {
    io.stderr(`cce-policy: stack ${opts.stack}: enclave.ccePolicy (hostdata ${pinned}) is not what confcom generates for this config (hostdata ${hostdata}); regenerate and check it in\n`);
    return 1;
  }
  io.stdout(`stack ${opts.stack}: enclave.ccePolicy is what confcom ${version} generates (hostdata ${hostdata})\n`);
  return 0;
}
