// Runs a Pulumi program the way `pulumi up` loads it — Pulumi's own Node runner
// (node_modules/@pulumi/pulumi/cmd/run/index.js) on the program directory, Node 24 stripping the
// types, config from PULUMI_CONFIG — with the engine replaced by the mocks that preload.cjs installs.
// The one launcher behind the program tests and the offline policy review.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { MockRunReport } from "./report.ts";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const PRELOAD = fileURLToPath(new URL("./preload.cjs", import.meta.url));
const PULUMI_RUNNER = join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run/index.js");
const DEFAULT_TIMEOUT_MS = 120_000;

export interface ProgramRunOptions {
  /** Project root (where Pulumi.yaml and node_modules are): the runner's working directory. Default REPO_ROOT. */
  root?: string;
  /** Program directory relative to the project root. Default "stacks/" (Pulumi.yaml main). */
  programDir?: string;
  /** Default "confidential-clean-room" (Pulumi.yaml name). */
  project?: string;
  stack: string;
  /** PULUMI_CONFIG: "<namespace>:<key>" -> string (structured values as JSON). */
  config: Record<string, string>;
  /** More environment for the program, e.g. CLEANROOM_MOCK_ATTEST_URI. */
  env?: Record<string, string>;
  /** Default 120 s; the child is killed after it. */
  timeoutMs?: number;
}

export interface ProgramRunResult {
  /** The runner's exit status (null when killed by a signal). */
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived: the program's diagnostics in order. */
  log: string;
  /** Absent when the runner died before its exit handler could write it. */
  report?: MockRunReport;
}

export type ProgramRunErrorCode = "PROGRAM_RUN_TIMEOUT" | "PROGRAM_RUN_SPAWN_FAILED";

export class ProgramRunError extends Error {
  readonly code: ProgramRunErrorCode;
  constructor(code: ProgramRunErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProgramRunError";
    this.code = code;
  }
}

/**
 * Runs the program in a child process and resolves with its exit status, output and the mock report,
 * whether or not the program succeeded; rejects with ProgramRunError only when it could not run to
 * an end (timeout, spawn failure).
 */
export async function runProgramUnderMocks(opts: ProgramRunOptions): Promise<ProgramRunResult> {
  const programDir = opts.programDir ?? "stacks/";
  const root = opts.root ?? REPO_ROOT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dir = mkdtempSync(join(tmpdir(), "cleanroom-program-"));
  const reportFile = join(dir, "report.json");
  try {
    const child = spawn(
      process.execPath,
      [
        "--require",
        PRELOAD,
        opts.root ? join(root, "node_modules/@pulumi/pulumi/cmd/run/index.js") : PULUMI_RUNNER,
        "--monitor=127.0.0.1:1",
        "--project",
        opts.project ?? "confidential-clean-room",
        "--stack",
        opts.stack,
        "--pwd",
        ".",
        programDir,
      ],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? dir,
          PULUMI_CONFIG: JSON.stringify(opts.config),
          CLEANROOM_MOCK_OUT: reportFile,
          ...opts.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let log = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      log += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      log += d.toString();
    });
    const status = await new Promise<number | null>((resolveStatus, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new ProgramRunError("PROGRAM_RUN_TIMEOUT", `the program ${programDir} for stack ${opts.stack} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on("error", (err) => {
        clearTimeout(timer);
        reject(new ProgramRunError("PROGRAM_RUN_SPAWN_FAILED", `could not start Pulumi's runner for ${programDir}: ${err.message}`, { cause: err }));
      });
      // "close", not "exit": the output streams are drained by then.
      child.on("close", (code) => {
        clearTimeout(timer);
        resolveStatus(code);
      });
    });
    const report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, "utf8")) as MockRunReport) : undefined;
    return { status, stdout, stderr, log, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
