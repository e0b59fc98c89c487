/** A dependency-free progress bar on stderr for long encrypt/decrypt runs. */

export const PROGRESS_THRESHOLD_BYTES = 64 * 1024 * 1024;

export interface ProgressDecisionInput {
  /** Input size in bytes, when known. */
  totalBytes: number | undefined;
  /** Whether stderr is a terminal. */
  isTTY: boolean;
  env?: Record<string, string | undefined>;
  threshold?: number;
}

/**
 * Only for big inputs on an interactive terminal: never in pipes, CI logs or when asked not to, so
 * that scripted use sees nothing but its own output.
 */
export function shouldShowProgress(input: ProgressDecisionInput): boolean {
  const env = input.env ?? {};
  if (!input.isTTY) return false;
  if (env["CI"] === "true" || env["CLEANROOM_NO_PROGRESS"] === "1" || env["TERM"] === "dumb") return false;
  if (input.totalBytes === undefined) return false;
  return input.totalBytes > (input.threshold ?? PROGRESS_THRESHOLD_BYTES);
}

export function renderProgress(done: number, total: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * width);
  const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mib(done)}/${mib(total)} MiB`;
}

export interface ProgressReporter {
  update(doneBytes: number): void;
  /** Completes the bar on success; on failure just ends the line so the error starts on its own. */
  finish(success?: boolean): void;
}

const NO_PROGRESS: ProgressReporter = { update() {}, finish() {} };

export function createProgress(
  stream: { write(text: string): unknown; isTTY?: boolean },
  totalBytes: number | undefined,
  opts: { env?: Record<string, string | undefined>; label?: string; intervalMs?: number } = {},
): ProgressReporter {
  const env = opts.env ?? process.env;
  if (!shouldShowProgress({ totalBytes, isTTY: stream.isTTY === true, env }) || totalBytes === undefined) return NO_PROGRESS;
  const interval = opts.intervalMs ?? 100;
  const label = opts.label === undefined ? "" : `${opts.label} `;
  let last = 0;
  let shown = false;
  return {
    update(doneBytes: number): void {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      shown = true;
      stream.write(`\r${label}${renderProgress(doneBytes, totalBytes)}`);
    },
    finish(success = true): void {
      if (!shown) return;
      stream.write(success ? `\r${label}${renderProgress(totalBytes, totalBytes)}\n` : "\n");
    },
  };
}
