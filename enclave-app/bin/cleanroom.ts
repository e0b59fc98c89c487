#!/usr/bin/env node
/**
 * `cleanroom` entry point. Exit codes: 0 success, 1 verification or decryption failed, 2 unusable
 * command line or input. One line on stderr per failure; the stack only with CLEANROOM_DEBUG=1.
 */
import { exitCodeFor, formatError } from "../src/cli/output.ts";
import { buildProgram } from "../src/cli/program.ts";

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  const exitCode = exitCodeFor(error);
  if (exitCode !== 0) {
    process.stderr.write(`${formatError(error)}\n`);
    if (process.env["CLEANROOM_DEBUG"] === "1" && error instanceof Error && error.stack !== undefined) {
      process.stderr.write(`${error.stack}\n`);
    }
  }
  process.exitCode = exitCode;
}
