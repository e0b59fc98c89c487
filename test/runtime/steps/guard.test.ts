import { describe, expect, it } from "vitest";
import { PrivacyError } from "../../../enclave-app/src/runtime/errors.ts";
import { guard } from "../../../enclave-app/src/runtime/steps/guard.ts";
import { recordingReporter } from "./step-helpers.ts";

const result = {
  columns: [{ name: "region", type: "VARCHAR" }, { name: "n", type: "BIGINT" }],
  rows: [["north", "12"], ["south", "3"], ["east", null]],
};

describe("guard step", () => {
  it("applies the contract's privacy rules and reports released and suppressed rows, never values", async () => {
    const { reporter, events, names } = recordingReporter();
    const guarded = await guard({ result, privacy: { minGroupSize: 10, countColumn: "n", allowedColumns: ["region", "n"] } }, reporter);
    expect(guarded).toMatchObject({ rowsReleased: 1, rowsSuppressed: 2, rows: [["north", "12"]] });
    expect(names()).toEqual(["privacy:start", "privacy:done", "privacy:applied"]);
    expect(events.at(-1)).toMatchObject({ rows: 1, detail: "2 row(s) suppressed below k=10" });
    expect(JSON.stringify(events)).not.toMatch(/north|south/);
  });

  it("refuses a column that is not allow-listed", async () => {
    const err = await guard({ result, privacy: { minGroupSize: 2, countColumn: "n", allowedColumns: ["n"] } }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrivacyError);
    expect(err).toMatchObject({ code: "PRIVACY_REFUSED", step: "privacy" });
  });
});
