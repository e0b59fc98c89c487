// Reading confcom's Rego subset: top-level assignments with JSON values (compact and pretty-printed),
// Rego's trailing commas and raw strings, references kept apart from data, and a refusal with the line
// for everything outside the subset.
import { describe, expect, it } from "vitest";
import {
  ConfcomRegoError,
  containsRef,
  delegatesToFramework,
  isConfcomReason,
  readConfcomRego,
  regoText,
  RegoRef,
  type ConfcomRego,
} from "../../policies/rules/confcom-policy.ts";
import { policyParts, regoOf } from "./cce-fixtures.ts";

const valueOf = (rego: ConfcomRego, name: string) => rego.assignments.find((a) => a.name === name)?.value;

function refusal(text: string): ConfcomRegoError {
  try {
    readConfcomRego(text);
  } catch (err) {
    if (err instanceof ConfcomRegoError) return err;
    throw err;
  }
  throw new Error("expected the policy to be refused");
}

describe("readConfcomRego", () => {
  it.each(["compact", "pretty"] as const)("reads a %s policy: package, imports, every assignment in order with its line", (layout) => {
    const parts = policyParts();
    const rego = readConfcomRego(regoOf(parts, layout));
    expect(rego.packageName).toBe("policy");
    expect(rego.imports).toEqual(["future.keywords.every", "future.keywords.in"]);
    expect(rego.assignments.map((a) => a.name).slice(0, 4)).toEqual(["api_version", "framework_version", "fragments", "containers"]);
    expect(valueOf(rego, "containers")).toEqual(parts.containers);
    expect(valueOf(rego, "fragments")).toEqual(parts.fragments);
    expect(valueOf(rego, "allow_dump_stacks")).toBe(false);
    expect(valueOf(rego, "api_version")).toBe("0.10.0");
    const mount = valueOf(rego, "mount_device");
    expect(mount).toBeInstanceOf(RegoRef);
    expect((mount as RegoRef).path).toEqual(["data", "framework", "mount_device"]);
    expect(rego.assignments.find((a) => a.name === "package")).toBeUndefined();
    expect(rego.assignments[0]!.line).toBe(6);
  });

  it("reads Rego's own literal forms: trailing commas, raw strings, comments, numbers, null, an assignment over several lines", () => {
    const rego = readConfcomRego(
      [
        "# generated",
        "package policy",
        "external_processes := [",
        '    {"command": ["ls", "-l"], "env_rules": [{"pattern": `PATH=/usr/bin`, "strategy": "string", "required": true},], "working_dir": "/"},  # trailing comma',
        "]",
        'x := {"n": -1.5e3, "none": null, "esc": "a\\"b\\u00e9"}',
        "y :=",
        "  true",
      ].join("\n"),
    );
    expect(valueOf(rego, "external_processes")).toEqual([{ command: ["ls", "-l"], env_rules: [{ pattern: "PATH=/usr/bin", strategy: "string", required: true }], working_dir: "/" }]);
    expect(valueOf(rego, "x")).toEqual({ n: -1500, none: null, esc: 'a"bé' });
    expect(valueOf(rego, "y")).toBe(true);
  });

  it("keeps a reference inside data apart, so the caller can tell data from delegation", () => {
    const rego = readConfcomRego('package policy\nreason := {"errors": data.framework.errors}\n');
    const reason = valueOf(rego, "reason")!;
    expect(isConfcomReason(reason)).toBe(true);
    expect(containsRef(reason)).toBe(true);
    expect(regoText(reason)).toBe('{"errors":data.framework.errors}');
  });

  it.each([
    ["no package", 'api_version := "0.10.0"\n', /line 1: "api_version" before the package statement/],
    ["two packages", "package policy\npackage other\n", /line 2: a second package statement/],
    ["a rule body", 'package policy\nmount_device := {"allowed": true} {\n  input.target\n}\n', /line 2: unexpected "\{" after the statement/],
    ["a default", "package policy\ndefault mount_device := {\"allowed\": true}\n", /line 2: "default" is not a top-level assignment/],
    ["an if", 'package policy\nmount_device := {"allowed": true} if { true }\n', /line 2: unexpected "if/],
    ["a plain = rule", "package policy\ncontainers = []\n", /line 2: "containers" is not a top-level assignment/],
    ["a function call", "package policy\ncreate_container := data.framework.f(input)\n", /line 2: "data\.framework\.f\(": only plain references/],
    ["an index", "package policy\ncreate_container := data.framework.rules[0]\n", /only plain references/],
    ["a with modifier", "package policy\ncreate_container := data.framework.create_container with input as {}\n", /line 2: unexpected "with input/],
    ["a set", 'package policy\nx := {"a", "b"}\n', /line 2: expected ":" but found ", /],
    ["an unterminated list", 'package policy\ncontainers := [{"id": "a"}\n', /expected "," or "]" in an array but found the end of the policy/],
    ["a name assigned twice", "package policy\nallow_dump_stacks := false\nallow_dump_stacks := true\n", /line 3: "allow_dump_stacks" is assigned twice/],
    ["a duplicate key", 'package policy\ncontainers := [{"id": "a", "id": "b"}]\n', /line 2: duplicate key "id"/],
    ["an import of data", "package policy\nimport data.framework as policy_framework\n", /line 2: import data\.framework: confcom imports only future\.keywords/],
    ["a bad escape", 'package policy\nx := "\\q"\n', /invalid escape/],
    ["an empty policy", "# nothing\n", /no package statement/],
  ])("refuses %s, naming the line", (_what, text, message) => {
    expect(refusal(text).message).toMatch(message);
  });
});

describe("delegatesToFramework", () => {
  it("is exactly data.framework.<the same name>", () => {
    expect(delegatesToFramework("mount_device", new RegoRef(["data", "framework", "mount_device"]))).toBe(true);
    expect(delegatesToFramework("mount_device", new RegoRef(["data", "framework", "unmount_device"]))).toBe(false);
    expect(delegatesToFramework("mount_device", new RegoRef(["data", "other", "mount_device"]))).toBe(false);
    expect(delegatesToFramework("mount_device", new RegoRef(["data", "framework", "mount_device", "allowed"]))).toBe(false);
    expect(delegatesToFramework("mount_device", { allowed: true })).toBe(false);
    expect(delegatesToFramework("mount_device", true)).toBe(false);
  });
});
