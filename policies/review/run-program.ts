// Runs a Pulumi program the way `pulumi up` loads it — Pulumi's Node runner on the program directory,
// Node 24 stripping the types — with the engine replaced by the project's mock harness
// (test/helpers/pulumi-preload.cjs and pulumi-mocks.cjs, the same mocks the program tests use), plus
// capture-graph.cjs, which records the resource graph the policies are evaluated on.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { GraphResource } from "./graph.ts";
import { ReviewError } from "./errors.ts";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const MOCK_PRELOAD = join(REPO_ROOT, "test/helpers/pulumi-preload.cjs");
const CAPTURE_PRELOAD = fileURLToPath(new URL("./capture-graph.cjs", import.meta.url));
const PULUMI_RUNNER = join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run/index.js");

export interface ProgramRunOptions {
  /** Program directory relative to the repository root, e.g. "stacks/". */
  programDir: string;
  project: string;
  stack: string;
  /** PULUMI_CONFIG: "<namespace>:<key>" -> string (structured values as JSON). */
  config: Record<string, string>;
  timeoutMs?: number;
}

export interface ProgramRun {
  resources: GraphResource[];
  /** The program's diagnostics (stderr and stdout), for error messages. */
  log: string;
}

/** Runs the program under mocks and returns its resource graph; throws ReviewError REVIEW_PROGRAM_FAILED when it does not complete. */
export async function runProgramForReview(opts: ProgramRunOptions): Promise<ProgramRun> {
  const dir = mkdtempSync(join(tmpdir(), "cleanroom-review-"));
  const graphFile = join(dir, "graph.json");
  try {
    const child = spawn(
      process.execPath,
      [
        "--require",
        MOCK_PRELOAD,
        "--require",
        CAPTURE_PRELOAD,
        PULUMI_RUNNER,
        "--monitor=127.0.0.1:1",
        "--project",
        opts.project,
        "--stack",
        opts.stack,
        "--pwd",
        ".",
        opts.programDir,
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? dir,
          PULUMI_CONFIG: JSON.stringify(opts.config),
          CLEANROOM_REVIEW_GRAPH_OUT: graphFile,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let log = "";
    child.stdout.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const status = await new Promise<number | null>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new ReviewError("REVIEW_PROGRAM_FAILED", `the program ${opts.programDir} for stack ${opts.stack} did not finish within ${opts.timeoutMs ?? 120_000} ms`));
      }, opts.timeoutMs ?? 120_000);
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolvePromise(code);
      });
    });
    if (status !== 0 || !existsSync(graphFile)) {
      throw new ReviewError(
        "REVIEW_PROGRAM_FAILED",
        `the program ${opts.programDir} failed for stack ${opts.stack} (exit ${String(status)}); nothing was evaluated:\n${programError(log)}`,
      );
    }
    const { resources } = JSON.parse(readFileSync(graphFile, "utf8")) as { resources: GraphResource[] };
    return { resources, log };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
