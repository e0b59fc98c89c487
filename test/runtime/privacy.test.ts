// The privacy guard's exact behaviour, and the CSV a recipient receives.
import { describe, expect, it } from "vitest";
import { PrivacyError } from "../../enclave-app/src/runtime/errors.ts";
import { applyPrivacyRules } from "../../enclave-app/src/runtime/privacy/guard.ts";
import { toCsv } from "../../enclave-app/src/runtime/sql/csv.ts";
import type { SqlResult } from "../../enclave-app/src/runtime/sql/runner.ts";

const rules = { minGroupSize: 3, countColumn: "n", allowedColumns: ["region", "n", "total"] };

function result(rows: SqlResult["rows"], columns = [{ name: "region", type: "VARCHAR" }, { name: "n", type: "BIGINT" }]): SqlResult {
  return { columns, rows };
}

function refusal(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof PrivacyError) return err.rule;
    throw err;
  }
  return undefined;
}

describe("applyPrivacyRules", () => {
  it("drops exactly the rows whose count is below k or NULL and counts them", () => {
    const out = applyPrivacyRules(result([["a", "1"], ["b", "2"], ["c", "3"], ["d", "50"], ["e", null], ["f", 4], ["g", "9007199254740993"]]), rules);
    expect(out.rows).toEqual([["c", "3"], ["d", "50"], ["f", 4], ["g", "9007199254740993"]]);
    expect(out.rowsReleased).toBe(4);
    expect(out.rowsSuppressed).toBe(3);
  });

  it("refuses a column outside the allow-list, naming it", () => {
    const columns = [{ name: "region", type: "VARCHAR" }, { name: "n", type: "BIGINT" }, { name: "email", type: "VARCHAR" }];
    expect(refusal(() => applyPrivacyRules(result([["a", "5", "x@y"]], columns), rules))).toBe("column-not-allowed");
    expect(() => applyPrivacyRules(result([], columns), rules)).toThrow(/"email" are not in privacy.allowedColumns/);
  });

  it("refuses when the count column is missing or not an integer", () => {
    expect(refusal(() => applyPrivacyRules(result([["a"]], [{ name: "region", type: "VARCHAR" }]), rules))).toBe("count-column-missing");
    expect(refusal(() => applyPrivacyRules(result([["a", 3.5]], [{ name: "region", type: "VARCHAR" }, { name: "n", type: "DOUBLE" }]), rules))).toBe(
      "count-column-not-integer",
    );
  });

  it("refuses duplicate output column names", () => {
    const columns = [{ name: "n", type: "BIGINT" }, { name: "n", type: "BIGINT" }];
    expect(refusal(() => applyPrivacyRules(result([["5", "5"]], columns), rules))).toBe("duplicate-column");
  });

  it("never quotes row values in a refusal", () => {
    const columns = [{ name: "secret", type: "VARCHAR" }, { name: "n", type: "BIGINT" }];
    try {
      applyPrivacyRules(result([["Alice Smith", "10"]], columns), rules);
    } catch (err) {
      expect((err as Error).message).not.toContain("Alice");
    }
  });
});

describe("toCsv", () => {
  it("writes a header and RFC 4180 fields", () => {
    const csv = toCsv({
      columns: [{ name: "region", type: "VARCHAR" }, { name: "n", type: "BIGINT" }, { name: "note", type: "VARCHAR" }],
      rows: [["North, upper", "3", 'say "hi"'], ["South", 4, null]],
    });
    expect(csv).toBe('region,n,note\n"North, upper",3,"say ""hi"""\nSouth,4,\n');
  });
});
