import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Pulumi mocks and the local clean room hold process-wide state; files run in separate forks.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The summary reporter prints `tests: N passed, N failed, N skipped` as the very last line.
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
