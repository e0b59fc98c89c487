/**
 * CLI output plumbing: files that appear complete or not at all, and the mapping from typed
 * errors to exit codes and one-line messages.
 */
import { randomBytes } from "node:crypto";
import type { WriteStream } from "node:fs";
import { open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export const EXIT_OK = 0;
/** Verification or decryption failed: the data, its key or its approval does not check out. */
export const EXIT_VERIFICATION_FAILED = 1;
/** The command line or an input file is unusable. */
export const EXIT_USAGE = 2;

export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "CliError";
    this.code = code;
    this.exitCode = opts.exitCode ?? EXIT_USAGE;
  }
}

/**
 * A file written to a temporary name beside its target (same filesystem, so the rename is atomic)
 * and renamed over the target only on commit. Created with mode 0600: it may hold plaintext.
 */
export class AtomicFile {
  readonly target: string;
  readonly tempPath: string;
  readonly stream: WriteStream;
  #state: "open" | "committed" | "aborted" = "open";

  private constructor(target: string, tempPath: string, handle: FileHandle) {
    this.target = target;
    this.tempPath = tempPath;
    // flush: the stream fsyncs before it closes the descriptor, so the rename publishes durable data.
    this.stream = handle.createWriteStream({ flush: true }) as unknown as WriteStream;
  }

  static async create(target: string): Promise<AtomicFile> {
    // Caught here rather than by the final rename, which would fail with a bare EISDIR after all the work.
    if ((await stat(target).catch(() => undefined))?.isDirectory()) {
      throw new CliError("OUTPUT_UNWRITABLE", `output ${target} is a directory; --out must name a file`);
    }
    const tempPath = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    // "wx": never follow or reuse an existing file at the temporary name.
    const handle = await open(tempPath, "wx", 0o600).catch((error: NodeJS.ErrnoException) => {
      throw new CliError("OUTPUT_UNWRITABLE", `cannot create output beside ${target}: ${error.code ?? error.message}`, { cause: error });
    });
    return new AtomicFile(target, tempPath, handle);
  }

  /** Ends the stream if still open, waits until it is fsynced and closed, and renames it into place. */
  async commit(): Promise<void> {
    if (this.#state !== "open") throw new Error(`AtomicFile for ${this.target} is already ${this.#state}`);
    await closeStream(this.stream);
    await rename(this.tempPath, this.target);
    this.#state = "committed";
  }

  /** Discards the temporary file. Safe to call in any state; never throws. */
  async abort(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "aborted";
    if (!this.stream.closed) {
      const closed = new Promise<void>((resolvePromise) => this.stream.once("close", () => resolvePromise()));
      this.stream.destroy();
      await closed;
    }
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}

function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed) {
    return stream.errored === null ? Promise.resolve() : Promise.reject(stream.errored);
  }
  return new Promise((resolvePromise, reject) => {
    stream.once("error", reject);
    stream.once("close", () => (stream.errored === null ? resolvePromise() : reject(stream.errored)));
    if (!stream.writableEnded) stream.end();
  });
}

/**
 * Runs `produce` against fresh temporary files for all targets and commits them all, or none:
 * on failure every temporary file is removed and targets already renamed are removed again.
 */
export async function writeFilesAtomically<T>(targets: string[], produce: (files: AtomicFile[]) => Promise<T>): Promise<T> {
  const files: AtomicFile[] = [];
  const committed: string[] = [];
  try {
    for (const target of targets) files.push(await AtomicFile.create(target));
    const result = await produce(files);
    for (const file of files) {
      await file.commit();
      committed.push(file.target);
    }
    return result;
  } catch (error) {
    await Promise.all(files.map((file) => file.abort()));
    await Promise.all(committed.map((target) => rm(target, { force: true }).catch(() => undefined)));
    throw error;
  }
}

/** Error codes (from any module) that mean the input was unusable rather than failing verification. */
const INPUT_ERROR_CODES = new Set([
  "METADATA_MALFORMED",
  "METADATA_UNSUPPORTED",
  "REGION_TOO_LARGE",
  "OPTIONS_INVALID",
  "KEY_INVALID",
  "CONTRACT_INVALID",
  "ENOENT",
  "EACCES",
  "EISDIR",
  "ENOTDIR",
  "EEXIST",
]);

/** commander's own error codes for help/version output, which are not failures. */
const COMMANDER_SUCCESS_CODES = new Set(["commander.helpDisplayed", "commander.version", "commander.help"]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  const code = errorCode(error);
  if (code !== undefined && COMMANDER_SUCCESS_CODES.has(code)) return EXIT_OK;
  if (code?.startsWith("commander.")) return EXIT_USAGE;
  const explicit = (error as { exitCode?: unknown } | null)?.exitCode;
  if (typeof explicit === "number" && Number.isInteger(explicit) && explicit > 0) return explicit;
  if (code !== undefined && INPUT_ERROR_CODES.has(code)) return EXIT_USAGE;
  return EXIT_VERIFICATION_FAILED;
}

/** One line for stderr: "cleanroom: CODE: message" (first line of the message only). */
export function formatError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split("\n", 1)[0] ?? "";
  if (code?.startsWith("commander.")) return `cleanroom: ${firstLine.replace(/^error: /, "")} (see cleanroom --help)`;
  return code === undefined ? `cleanroom: ${firstLine}` : `cleanroom: ${code}: ${firstLine}`;
}
