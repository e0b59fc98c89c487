import { formatSeconds } from "./table.ts";

export interface StepRecord {
  name: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface Progress {
  /** Updates the current step's progress line (only drawn on a TTY). */
  update(done: number, total: number, unit?: string): void;
}

/**
 * Runs the demo's steps one after another, timing each and printing one line per step on the
 * log stream. Long steps get a live progress line when the stream is a terminal; on a pipe
 * (tests, CI) only the final lines appear, so logs stay diffable.
 */
export class StepRunner {
  readonly records: StepRecord[] = [];
  readonly #log: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #started = performance.now();

  constructor(log: NodeJS.WritableStream & { isTTY?: boolean }) {
    this.#log = log;
  }

  async run<T>(name: string, fn: (progress: Progress) => Promise<T> | T, describe?: (value: T) => string): Promise<T> {
    const start = performance.now();
    const tty = this.#log.isTTY === true;
    let lastDraw = 0;
    const progress: Progress = {
      update: (done, total, unit = "") => {
        if (!tty) return;
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
        this.#log.write(`\r  … ${name}: ${pct}% (${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}${unit ? ` ${unit}` : ""})\x1b[K`);
      },
    };
    if (tty) this.#log.write(`  … ${name}`);
    try {
      const value = await fn(progress);
      const ms = Math.round(performance.now() - start);
      const detail = describe?.(value);
      this.records.push({ name, ms, ok: true, ...(detail !== undefined ? { detail } : {}) });
      this.#line("ok  ", name, ms, detail);
      return value;
    } catch (err) {
      const ms = Math.round(performance.now() - start);
      this.records.push({ name, ms, ok: false, detail: "failed" });
      this.#line("FAIL", name, ms, "failed");
      throw err;
    }
  }

  get totalMs(): number {
    return Math.round(performance.now() - this.#started);
  }

  #line(status: string, name: string, ms: number, detail?: string): void {
    const prefix = this.#log.isTTY === true ? "\r\x1b[K" : "";
    this.#log.write(`${prefix}  ${status}  ${name.padEnd(50)} ${formatSeconds(ms).padStart(8)}${detail ? `  ${detail}` : ""}\n`);
  }
}
