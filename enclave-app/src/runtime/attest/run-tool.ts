// Runs an external tool without a shell, with a timeout and bounded output, and never echoes what it
// printed: the caller decides what (if anything) of stdout/stderr may reach a message.
import { spawn } from "node:child_process";

export interface ToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

export interface RunToolOptions {
  input?: string | Buffer;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  /** Cap for captured stdout/stderr bytes each (default 4 MiB). */
  maxOutputBytes?: number;
}

export class ToolLaunchError extends Error {
  readonly code: string;
  constructor(path: string, code: string, cause: unknown) {
    super(`cannot start ${path}: ${code}`, { cause });
    this.name = "ToolLaunchError";
    this.code = code;
  }
}

export function runTool(path: string, args: string[], opts: RunToolOptions): Promise<ToolResult> {
  const cap = opts.maxOutputBytes ?? 4 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { env: opts.env, stdio: ["pipe", "pipe", "pipe"], shell: false, windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      if (outBytes < cap) out.push(c);
      outBytes += c.length;
    });
    child.stderr.on("data", (c: Buffer) => {
      if (errBytes < cap) err.push(c);
      errBytes += c.length;
    });
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new ToolLaunchError(path, e.code ?? e.message, e));
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({ exitCode, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8"), timedOut });
    });
    // A tool that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on("error", () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Environment for tools that print secrets when tracing is on: drop every tracing switch. */
export function toolEnvironment(base: NodeJS.ProcessEnv, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined) continue;
    if (k === "SKR_TRACE_ON" || k === "SKR_DUMP_TOKENS" || k === "SKR_SHOW_DETAILS") continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}
