/**
 * Azurite (Microsoft's storage emulator) as a child process on loopback, for the local clean room
 * and the interoperability tests. Blob service only, in memory, on a random port.
 *
 * The child is started through a tiny launcher that exits when the IPC channel to this process
 * closes, so even a parent killed with SIGKILL does not leave an emulator running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export interface AzuriteInstance {
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  accountName: string;
  accountKey: string;
  connectionString: string;
  stop(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Parent folder of the emulator's temporary working directory. Default: the OS temp dir. */
  workDir?: string;
  /** How long to wait for the "listens on" line. Default 30 s. */
  startTimeoutMs?: number;
}

export class AzuriteError extends Error {
  readonly code: "AZURITE_NOT_INSTALLED" | "AZURITE_START_FAILED" | "AZURITE_START_TIMEOUT";
  constructor(code: AzuriteError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AzuriteError";
    this.code = code;
  }
}

/** The emulator's fixed, publicly documented development account. */
export const DEV_ACCOUNT_NAME = "devstoreaccount1";
export const DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const LISTENS_ON = /listens on (https?:\/\/[^\s]+)/;
// Azurite's SIGTERM handler waits for idle keep-alive sockets to time out (seconds); its data is
// in memory only, so after a short grace period it is simply killed.
const STOP_GRACE_MS = 500;

/** Locates azurite's blob entry point from its package.json "bin" map, wherever npm hoisted it. */
export function resolveAzuriteBlobEntry(fromDir: string = process.cwd()): string {
  const requireFrom = createRequire(join(resolve(fromDir), "noop.js"));
  let packageJsonPath: string;
  try {
    packageJsonPath = requireFrom.resolve("azurite/package.json");
  } catch (error) {
    throw new AzuriteError("AZURITE_NOT_INSTALLED", "the azurite package is not installed (it is a devDependency: run npm install)", { cause: error });
  }
  const packageJson = requireFrom(packageJsonPath) as { bin?: Record<string, string> };
  const bin = packageJson.bin?.["azurite-blob"];
  if (bin === undefined) throw new AzuriteError("AZURITE_NOT_INSTALLED", `${packageJsonPath} declares no "azurite-blob" bin`);
  return join(dirname(packageJsonPath), bin);
}

export function connectionStringFor(blobEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`;
}

// Runs azurite's entry as if it were the main script and dies with its parent (IPC disconnect).
const LAUNCHER = [
  "const entry = process.argv[1];",
  // The working directory is this emulator's own temp dir: remove it when orphaned.
  "process.on('disconnect', () => { try { require('fs').rmSync(process.cwd(), { recursive: true, force: true }); } finally { process.exit(0); } });",
  "process.argv = [process.argv[0], entry, ...process.argv.slice(2)];",
  "require(entry);",
].join("\n");

function azuriteArgs(): string[] {
  // --location cannot be combined with --inMemoryPersistence (azurite rejects it); the working
  // directory, a fresh temp dir, is where it would put anything it writes.
  return ["--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent"];
}

interface Running {
  child: ChildProcess;
  dir: string;
}

const running = new Set<Running>();
let exitHooksInstalled = false;

function killNow(entry: Running): void {
  if (entry.child.exitCode === null && entry.child.signalCode === null) entry.child.kill("SIGKILL");
  rmSync(entry.dir, { recursive: true, force: true });
  running.delete(entry);
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", () => {
    for (const entry of [...running]) killNow(entry);
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = (): void => {
      for (const entry of [...running]) killNow(entry);
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      child.removeListener("exit", onExit);
      resolvePromise(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolvePromise(true);
    };
    child.once("exit", onExit);
  });
}

export async function startAzurite(opts: StartAzuriteOptions = {}): Promise<AzuriteInstance> {
  const entry = resolveAzuriteBlobEntry();
  const parent = opts.workDir ?? tmpdir();
  await mkdir(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, "azurite-"));
  const child = spawn(process.execPath, ["-e", LAUNCHER, entry, ...azuriteArgs()], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    env: { ...process.env, AZURITE_ACCOUNTS: undefined },
  });
  const record: Running = { child, dir };
  running.add(record);
  installExitHooks();

  // Keep the last output for error messages; azurite is --silent, so this stays small.
  let recent = "";
  const remember = (data: Buffer): void => {
    recent = (recent + data.toString("utf8")).slice(-2_000);
  };
  child.stdout!.on("data", remember);
  child.stderr!.on("data", remember);

  let blobEndpoint: string;
  try {
    const address = await new Promise<string>((resolvePromise, reject) => {
      const timeoutMs = opts.startTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        reject(new AzuriteError("AZURITE_START_TIMEOUT", `Azurite did not report "listens on" within ${timeoutMs} ms; last output: ${recent.trim() || "(none)"}`));
      }, timeoutMs);
      const onData = (): void => {
        const match = LISTENS_ON.exec(recent);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          child.stdout!.removeListener("data", onData);
          resolvePromise(match[1]);
        }
      };
      child.stdout!.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new AzuriteError("AZURITE_START_FAILED", `could not start Azurite: ${error.message}`, { cause: error }));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new AzuriteError("AZURITE_START_FAILED", `Azurite exited during start-up (${signal ?? `code ${code}`}); last output: ${recent.trim() || "(none)"}`));
      });
    });
    const port = new URL(address).port;
    blobEndpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT_NAME}`;
  } catch (error) {
    killNow(record);
    throw error;
  }

  // From here on the emulator must not keep the parent alive; exit hooks and the IPC watchdog stop it.
  child.removeAllListeners("exit");
  child.unref();
  child.channel?.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();

  let stopping: Promise<void> | undefined;
  return {
    blobEndpoint,
    accountName: DEV_ACCOUNT_NAME,
    accountKey: DEV_ACCOUNT_KEY,
    connectionString: connectionStringFor(blobEndpoint),
    stop(): Promise<void> {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          if (!(await waitForExit(child, STOP_GRACE_MS))) {
            child.kill("SIGKILL");
            await waitForExit(child, STOP_GRACE_MS);
          }
        }
        running.delete(record);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
