import { describe, expect, it } from "vitest";
import { IssueList, formatPath, joinPath } from "../../enclave-app/src/protocol/issues.ts";

describe("protocol issue helpers", () => {
  it("build paths the way every protocol checker reports them", () => {
    expect(formatPath(["datasets", 1, "owner"])).toBe("datasets[1].owner");
    expect(joinPath("", "attestation")).toBe("attestation");
    expect(joinPath("anyOf", 0)).toBe("anyOf[0]");
    expect(joinPath("anyOf[0]", "allOf")).toBe("anyOf[0].allOf");
  });

  it("drop a repeated path and rule by default, keep every occurrence on request, in order", () => {
    const unique = new IssueList();
    unique.add("a", "type", "first");
    unique.push({ path: "a", rule: "type", message: "second" });
    unique.addAll([{ path: "a", rule: "other", message: "third" }]);
    expect(unique.items).toEqual([
      { path: "a", rule: "type", message: "first" },
      { path: "a", rule: "other", message: "third" },
    ]);
    const all = new IssueList({ keepDuplicates: true });
    all.add("a", "type", "first");
    all.add("a", "type", "second");
    expect(all.items.map((i) => i.message)).toEqual(["first", "second"]);
  });
});
