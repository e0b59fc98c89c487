// `npm run review -- --stack <name> [--out report.md] [--config policy-config.json]`: reviews one
// stack offline and exits 0 (no mandatory violation), 1 (mandatory violations, or the stack could
// not be evaluated) or 2 (usage error).
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { ReviewError } from "./errors.ts";
import { reviewStack } from "./review.ts";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

interface CliOptions {
  stack: string;
  out?: string;
  config?: string;
  program?: string;
  stackFile?: string;
}

function command(io: CliIo): Command {
  return new Command("review")
    .description("Run a stack's Pulumi program under mocks and evaluate the clean-room policy pack on it, without a cloud account or the Pulumi CLI.")
    .requiredOption("--stack <name>", "stack to review (its config is read from Pulumi.<name>.yaml)")
    .option("--out <file>", "also write the Markdown report to this file")
    .option("--config <file>", "policy pack config, as for pulumi preview --policy-pack-config")
    .option("--program <dir>", "program directory relative to the repository root", "stacks")
    .option("--stack-file <file>", "stack config file (default: <program>/Pulumi.<stack>.yaml)")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
}

/** Writes the --out copy; a path that cannot be written is a usage error, not a crash. */
function writeReport(path: string, markdown: string): void {
  try {
    writeFileSync(resolve(path), markdown);
  } catch (err) {
    throw new ReviewError("REVIEW_USAGE", `cannot write the report to --out ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Runs the CLI and resolves to its exit code; never calls process.exit. */
export async function runReviewCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let opts: CliOptions;
  try {
    opts = command(io).parse([...argv], { from: "user" }).opts<CliOptions>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  try {
    const result = await reviewStack({ stack: opts.stack, programDir: opts.program, stackFile: opts.stackFile, policyConfigFile: opts.config });
    io.stdout(result.markdown);
    if (opts.out) writeReport(opts.out, result.markdown);
    return result.exitCode;
  } catch (err) {
    if (err instanceof ReviewError) {
      io.stderr(`review: ${err.code}: ${err.message}\n`);
      return err.isUsageError ? 2 : 1;
    }
    throw err;
  }
}
