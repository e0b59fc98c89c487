/**
 * The one way a CLI command writes files. Every output is checked before any work starts (not an
 * input of the same command, not a symlink, not an existing file unless `force`), written to a
 * temporary file beside it (created exclusively, mode 0600, fsynced) and moved into place only when
 * the command succeeded. Several outputs of one command appear together or not at all, and a file
 * replaced under `force` is restored if the command fails after all.
 */
import { randomBytes } from "node:crypto";
import type { Stats, WriteStream } from "node:fs";
import { link, lstat, open, realpath, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "./output.ts";

/** A file the command writes; `label` is how the message names it ("--out", "metadata output"). */
export interface OutputTarget {
  path: string;
  label: string;
}

/** A file the command reads; no output may be the same file. */
export interface InputFile {
  path: string;
  label: string;
}

export interface OutputPlan {
  outputs: OutputTarget[];
  inputs: InputFile[];
  /** Replace existing regular files (never symlinks, directories or inputs). */
  force: boolean;
}

const describe = (file: { path: string; label: string }): string => `${file.label} ${file.path}`;

const lstatOrUndefined = (path: string): Promise<Stats | undefined> =>
  lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new CliError("OUTPUT_UNWRITABLE", `cannot inspect ${path}: ${error.code ?? error.message}`, { cause: error });
  });

/** The canonical path of a file that may not exist yet: its directory resolved, its name kept. */
async function canonicalPath(path: string): Promise<string> {
  const absolute = resolve(path);
  const real = await realpath(absolute).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  return join(parent, basename(absolute));
}

/**
 * Both checks are needed: the path comparison catches `./a` vs `a` and symlinked directories, the
 * device and inode catch hard links and case-insensitive filesystems.
 */
async function sameFile(a: string, b: string): Promise<boolean> {
  if ((await canonicalPath(a)) === (await canonicalPath(b))) return true;
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Refuses the plan if an output would destroy something: an input, a file reached through a
 * symlink, an existing file without `force`. Run before the work and again just before commit.
 */
export async function checkOutputs(plan: OutputPlan): Promise<void> {
  for (const output of plan.outputs) {
    for (const input of plan.inputs) {
      if (await sameFile(output.path, input.path)) {
        throw new CliError("OUTPUT_IS_INPUT", `${describe(output)} is the same file as ${describe(input)}; writing it would destroy the input, choose another output path`);
      }
    }
    const info = await lstatOrUndefined(output.path);
    if (info === undefined) continue;
    if (info.isSymbolicLink()) {
      // Even with --force: replacing a link the user may think of as the file, or following it to a
      // file elsewhere, are both surprises; the user removes the link or names the real file.
      throw new CliError("OUTPUT_IS_SYMLINK", `${describe(output)} is a symbolic link; refusing to write through it (also with --force), name the file itself`);
    }
    if (info.isDirectory()) {
      throw new CliError("OUTPUT_UNWRITABLE", `output ${output.path} is a directory; ${output.label} must name a file`);
    }
    if (!info.isFile()) {
      throw new CliError("OUTPUT_UNWRITABLE", `${describe(output)} exists and is not a regular file`);
    }
    if (!plan.force) {
      throw new CliError("OUTPUT_EXISTS", `${describe(output)} already exists; pass --force to replace it`);
    }
  }
}

/** One output being written: a temporary file beside its target (same filesystem, so rename is atomic). */
class PendingFile {
  readonly target: OutputTarget;
  readonly tempPath: string;
  readonly stream: WriteStream;

  private constructor(target: OutputTarget, tempPath: string, handle: FileHandle) {
    this.target = target;
    this.tempPath = tempPath;
    // flush: the stream fsyncs before it closes the descriptor, so the rename publishes durable data.
    this.stream = handle.createWriteStream({ flush: true }) as unknown as WriteStream;
  }

  static async create(target: OutputTarget): Promise<PendingFile> {
    const tempPath = temporaryName(target.path, "tmp");
    // "wx": never follow or reuse whatever sits at the temporary name. 0600: it may hold plaintext.
    const handle = await open(tempPath, "wx", 0o600).catch((error: NodeJS.ErrnoException) => {
      throw new CliError("OUTPUT_UNWRITABLE", `cannot create output beside ${target.path}: ${error.code ?? error.message}`, { cause: error });
    });
    return new PendingFile(target, tempPath, handle);
  }

  /** Ends the stream if still open and waits until it is fsynced and closed. */
  finish(): Promise<void> {
    const stream = this.stream;
    if (stream.closed) return stream.errored === null ? Promise.resolve() : Promise.reject(stream.errored);
    return new Promise((resolvePromise, reject) => {
      stream.once("error", reject);
      stream.once("close", () => (stream.errored === null ? resolvePromise() : reject(stream.errored)));
      if (!stream.writableEnded) stream.end();
    });
  }

  /** Closes the stream without waiting for pending data and removes the temporary file; never throws. */
  async discard(): Promise<void> {
    if (!this.stream.closed) {
      // Whatever the stream still fails at once discarded (a write queued before destroy) is moot.
      this.stream.on("error", () => undefined);
      const closed = new Promise<void>((resolvePromise) => this.stream.once("close", () => resolvePromise()));
      this.stream.destroy();
      await closed;
    }
    await rm(this.tempPath, { force: true }).catch(() => undefined);
  }
}

function temporaryName(target: string, kind: "tmp" | "bak"): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.${kind}`);
}

/** Filesystems without hard links (some network and FAT mounts) answer with one of these. */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

const unwritable = (target: string, error: unknown): CliError =>
  new CliError("OUTPUT_UNWRITABLE", `cannot move the output into place at ${target}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });

/** What was done to publish one file, so it can be undone. */
interface Published {
  target: string;
  /** Hard link to (or, without hard links, the moved) file that was replaced, when there was one. */
  backup?: string;
}

/**
 * Publishes one finished temporary file. Without force, link() fails if anything appeared at the
 * target since the check, so a file created meanwhile is never clobbered; with force, the old file
 * is kept under a backup name until every output of the command is in place.
 */
async function publish(file: PendingFile, force: boolean): Promise<Published> {
  const target = file.target.path;
  if (!force) {
    try {
      await link(file.tempPath, target);
      // The published name stays; the temporary one goes now or with the other temporaries on failure.
      await rm(file.tempPath, { force: true }).catch(() => undefined);
      return { target };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code === "EEXIST") throw new CliError("OUTPUT_EXISTS", `${describe(file.target)} appeared while the command ran; pass --force to replace it`, { cause: error });
      if (!NO_HARD_LINKS.has(code)) throw unwritable(target, error);
      // No hard links here: the check just before commit is the best this filesystem allows.
    }
    await rename(file.tempPath, target).catch((error: unknown) => {
      throw unwritable(target, error);
    });
    return { target };
  }
  let backup: string | undefined;
  let moved = false;
  if ((await lstatOrUndefined(target)) !== undefined) {
    backup = temporaryName(target, "bak");
    // A second name for the old file, so the target never stops existing and can be put back.
    await link(target, backup).catch(async (error: NodeJS.ErrnoException) => {
      if (!NO_HARD_LINKS.has(error.code ?? "")) throw unwritable(target, error);
      await rename(target, backup!).catch((renameError: unknown) => {
        throw unwritable(target, renameError);
      });
      moved = true;
    });
  }
  try {
    await rename(file.tempPath, target);
  } catch (error) {
    // A failed rename changed nothing: the old file is still at the target, unless it was moved away.
    if (backup !== undefined) await (moved ? rename(backup, target) : rm(backup, { force: true })).catch(() => undefined);
    throw unwritable(target, error);
  }
  return backup === undefined ? { target } : { target, backup };
}

/** Puts the replaced file back (or removes the new one if nothing was replaced); never throws. */
async function undo(published: Published): Promise<void> {
  if (published.backup !== undefined) {
    await rename(published.backup, published.target).catch(() => undefined);
  } else {
    await rm(published.target, { force: true }).catch(() => undefined);
  }
}

/** Makes the renames durable: the directory entry is what a crash would otherwise lose. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r").catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close().catch(() => undefined);
}

/**
 * Checks the plan, runs `produce` against one fresh stream per output (in the order of
 * `plan.outputs`), and publishes all outputs only if it resolved. On any failure every temporary
 * file is removed, outputs already published are withdrawn and replaced files restored.
 */
export async function writeOutputs<T>(plan: OutputPlan, produce: (streams: WriteStream[]) => Promise<T>): Promise<T> {
  await checkOutputs(plan);
  const files: PendingFile[] = [];
  const published: Published[] = [];
  try {
    for (const target of plan.outputs) files.push(await PendingFile.create(target));
    const result = await produce(files.map((file) => file.stream));
    for (const file of files) await file.finish();
    // Something may have appeared at a target (or become a link) while the work ran.
    await checkOutputs(plan);
    for (const file of files) published.push(await publish(file, plan.force));
    await Promise.all(published.map((p) => (p.backup === undefined ? undefined : rm(p.backup, { force: true }).catch(() => undefined))));
    await Promise.all([...new Set(plan.outputs.map((o) => dirname(resolve(o.path))))].map(syncDirectory));
    return result;
  } catch (error) {
    await Promise.all(files.map((file) => file.discard()));
    for (const p of published.reverse()) await undo(p);
    throw error;
  }
}
