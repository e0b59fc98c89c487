// Runs the real program entry point the way `pulumi up` does — Pulumi's own runner
// (node_modules/@pulumi/pulumi/cmd/run/index.js) on `stacks/`, Node 24 stripping the types — with the
// engine replaced by the mocks preloaded from pulumi-preload.cjs.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { RecordedResource } from "./pulumi.ts";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface RunnerReport {
  exitCode: number;
  resources: RecordedResource[];
  calls: { token: string }[];
  urns: string[];
  stackOutputs?: Record<string, unknown>;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  report?: RunnerReport;
}

export async function runProgramUnderMocks(opts: {
  stack: string;
  config: Record<string, string>;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "cleanroom-runner-"));
  const out = join(dir, "report.json");
  try {
    const child = spawn(
      process.execPath,
      [
        "--require",
        join(REPO_ROOT, "test/helpers/pulumi-preload.cjs"),
        join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run/index.js"),
        "--monitor=127.0.0.1:1",
        "--project",
        "confidential-clean-room",
        "--stack",
        opts.stack,
        "--pwd",
        ".",
        "stacks/",
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? dir,
          PULUMI_CONFIG: JSON.stringify(opts.config),
          CLEANROOM_MOCK_OUT: out,
          ...opts.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`program run for ${opts.stack} timed out; stderr: ${stderr}`));
      }, opts.timeoutMs ?? 90_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolvePromise(code);
      });
    });
    const report = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as RunnerReport) : undefined;
    return { status, stdout, stderr, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pulumi's serialized secret marker (what the engine stores for a secret stack output). */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSerializedSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG;
}
