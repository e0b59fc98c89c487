/**
 * The `cleanroom` command line: one commander program, each command group registered by the module
 * that owns it (`register(program)`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { register as registerContract } from "./commands/contract.ts";
import { register as registerDecrypt } from "./commands/decrypt.ts";
import { register as registerEncrypt } from "./commands/encrypt.ts";
import { register as registerPolicy } from "./commands/policy.ts";
import { register as registerReceipt } from "./commands/receipt.ts";

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "..", "package.json"), "utf8")) as { version?: string };
  return packageJson.version ?? "0.0.0";
}

export function buildProgram(): Command {
  const program = new Command("cleanroom")
    .description("Confidential data clean room: encrypt datasets, approve contracts, check release policies, verify receipts")
    .version(packageVersion(), "-V, --version", "print the version")
    .showSuggestionAfterError()
    // Errors are thrown (not process.exit) so the bin prints one line and picks the exit code;
    // commands created below inherit both settings.
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  // Order of appearance in --help: a party's workflow from its data to a verified result.
  registerEncrypt(program);
  registerContract(program);
  registerPolicy(program);
  registerReceipt(program);
  registerDecrypt(program);
  // Commander lists only the top-level groups; people asked for `--help` want every command line.
  program.addHelpText("after", () => `\nEvery command (\`cleanroom <command> --help\` for its options):\n${commandLines(program).join("\n")}\n`);
  return program;
}

/**
 * `cleanroom <group> <command> <args> <mandatory options> [options]` for every leaf command, read
 * from the program itself so the list cannot drift from what is registered.
 */
export function commandLines(program: Command): string[] {
  const lines: string[] = [];
  const walk = (cmd: Command, path: string): void => {
    for (const sub of cmd.commands) {
      const name = `${path} ${sub.name()}`;
      if (sub.commands.length > 0) {
        walk(sub, name);
        continue;
      }
      const args = sub.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
      const mandatory = sub.options.filter((o) => o.mandatory).map((o) => o.flags);
      const optional = sub.options.some((o) => !o.mandatory) ? ["[options]"] : [];
      lines.push(`  ${[name, ...args, ...mandatory, ...optional].join(" ")}`);
    }
  };
  walk(program, program.name());
  return lines;
}
