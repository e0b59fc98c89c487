// The closing line CI logs rely on: vitest runs in a child process over fixture test files with
// known outcomes, and the last line of its output must count them.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summaryLine } from "../helpers/summary-reporter.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");
const CONFIG = join(ROOT, "test", "fixtures", "summary-reporter", "vitest.config.ts");

function runVitest(filters: string[]): Promise<{ code: number | null; stdout: string }> {
  // A child run must not think it is a worker of this run.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")));
  const child = spawn(process.execPath, [VITEST, "run", "--config", CONFIG, ...filters], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

function lastLine(output: string): string | undefined {
  return output.split("\n").filter((line) => line.trim().length > 0).at(-1);
}

describe("summary reporter", () => {
  it("ends a passing run with its counts", async () => {
    const run = await runVitest(["passing"]);
    expect(run.code).toBe(0);
    expect(lastLine(run.stdout)).toBe("tests: 3 passed, 0 failed, 0 skipped");
  });

  it("ends a failing run with the failure count: failed tests plus a suite whose setup failed; skip and todo as skipped", async () => {
    const run = await runVitest([]);
    expect(run.code).toBe(1);
    // mixed: 2 passed, 1 failed, 1 skipped + 1 todo; passing: 3 passed; broken-hook: setup failure, its test skipped.
    expect(lastLine(run.stdout)).toBe("tests: 5 passed, 2 failed, 3 skipped");
  });

  it("formats exactly `tests: N passed, N failed, N skipped`", () => {
    expect(summaryLine({ passed: 529, failed: 0, skipped: 1 })).toBe("tests: 529 passed, 0 failed, 1 skipped");
  });
});
