// A runner-neutral closing line for CI logs: after vitest's own summary, one plain line
//   tests: N passed, N failed, N skipped
// that a log scraper can read without knowing vitest's format (no colours, always last).
import type { Reporter, TestModule, Vitest } from "vitest/node";

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts the run's tests by result. Skipped includes `todo`. A test module that failed outside any
 * test (a collection error, a failing `beforeAll`/`afterAll`) and each unhandled error count as one
 * failure each, so the line never reads "0 failed" for a run that failed.
 */
export function countTests(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): TestCounts {
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of modules) {
    let failedTests = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") counts.passed += 1;
      else if (state === "failed") failedTests += 1;
      else if (state === "skipped") counts.skipped += 1;
    }
    counts.failed += failedTests;
    if (failedTests === 0 && !module.ok()) counts.failed += 1;
  }
  counts.failed += unhandledErrors.length;
  return counts;
}

export function summaryLine(counts: TestCounts): string {
  return `tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export default class SummaryReporter implements Reporter {
  #vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.#vitest = vitest;
  }

  // Registered after the default reporter, whose summary is printed synchronously in its own
  // onTestRunEnd, so this line comes out last.
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const line = summaryLine(countTests(testModules, unhandledErrors));
    if (this.#vitest) this.#vitest.logger.log(line);
    else process.stdout.write(`${line}\n`);
  }
}
