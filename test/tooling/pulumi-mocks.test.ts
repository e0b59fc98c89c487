// The shared program launcher's own contract, beyond what the program tests and the review exercise:
// a run that does not finish within its time limit is killed and reported with a typed error naming it.
import { describe, expect, it } from "vitest";
import { ProgramRunError, runProgramUnderMocks } from "../../tools/pulumi-mocks/run-program.ts";

describe("runProgramUnderMocks", () => {
  it("kills a run that exceeds its time limit and rejects with PROGRAM_RUN_TIMEOUT naming the program and stack", async () => {
    const error = await runProgramUnderMocks({ stack: "fraud-bank-insurer", config: {}, timeoutMs: 50 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ProgramRunError);
    expect((error as ProgramRunError).code).toBe("PROGRAM_RUN_TIMEOUT");
    expect((error as ProgramRunError).message).toBe("the program stacks/ for stack fraud-bank-insurer did not finish within 50 ms");
  });
});
