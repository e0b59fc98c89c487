// The review's side of the shared program launcher (tools/pulumi-mocks): the resource graph of a
// program run under mocks, or one ReviewError that carries the program's own error message.
import { ProgramRunError, runProgramUnderMocks, type ProgramRunOptions } from "../../tools/pulumi-mocks/run-program.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";
import { ReviewError } from "./errors.ts";

export interface ProgramRun {
  resources: GraphResource[];
  /** The program's diagnostics (stderr and stdout), for error messages. */
  log: string;
}

/** Runs the program under mocks and returns its resource graph; throws ReviewError REVIEW_PROGRAM_FAILED when it does not complete. */
export async function runProgramForReview(opts: ProgramRunOptions & { programDir: string; project: string }): Promise<ProgramRun> {
  let run;
  try {
    run = await runProgramUnderMocks(opts);
  } catch (err) {
    if (err instanceof ProgramRunError) throw new ReviewError("REVIEW_PROGRAM_FAILED", err.message);
    throw err;
  }
  if (run.status !== 0 || !run.report) {
    throw new ReviewError(
      "REVIEW_PROGRAM_FAILED",
      `the program ${opts.programDir} failed for stack ${opts.stack} (exit ${String(run.status)}); nothing was evaluated:\n${programError(run.log)}`,
    );
  }
  return { resources: run.report.graph, log: run.log };
}

/**
 * The program's error as Pulumi's runner logs it ("error: ..." up to the first stack frame), without
 * colours, the stack trace or the error object's dump; the last lines of the log when there is none.
 */
export function programError(log: string): string {
  const lines = log.replace(/\u001b\[[0-9;]*m/g, "").trimEnd().split("\n");
  const start = lines.findIndex((l) => l.startsWith("error:"));
  if (start < 0) return lines.slice(-20).join("\n");
  const end = lines.findIndex((l, i) => i > start && /^\s+at\s/.test(l));
  return lines.slice(start, end < 0 ? start + 40 : end).join("\n");
}
