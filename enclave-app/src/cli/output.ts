/**
 * CLI error plumbing: the mapping from typed errors to exit codes and one-line messages. Files are
 * written by ./safe-output.ts.
 */

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
