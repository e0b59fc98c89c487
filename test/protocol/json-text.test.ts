import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonDocumentError, jsonSyntaxProblem, parseJsonStrict } from "../../enclave-app/src/protocol/index.ts";

function refusal(text: string, opts: Partial<Parameters<typeof parseJsonStrict>[1]> = {}): JsonDocumentError {
  try {
    parseJsonStrict(text, { what: "contract", ...opts });
  } catch (error) {
    expect(error).toBeInstanceOf(JsonDocumentError);
    return error as JsonDocumentError;
  }
  throw new Error("expected the document to be refused");
}

describe("parseJsonStrict: one meaning per document", () => {
  it("refuses a key given twice at the top level, naming the key and the document", () => {
    const e = refusal('{"sql": "SELECT 1", "version": 1, "sql": "SELECT secret FROM rows"}');
    expect(e.code).toBe("JSON_DUPLICATE_KEY");
    expect(e.document).toBe("contract");
    expect(e.path).toBe("sql");
    expect(e.message).toMatch(/^contract gives the key "sql" twice at the top level/);
    expect(e.message).not.toContain("SELECT");
  });

  it("names the path of a duplicate deep inside arrays and objects", () => {
    const doc = JSON.stringify({ datasets: [{ name: "a", owner: "bank" }, { name: "b", owner: "insurer" }] }).replace(
      '"name":"b"',
      '"name":"b","name":"c"',
    );
    const e = refusal(doc);
    expect(e.code).toBe("JSON_DUPLICATE_KEY");
    expect(e.path).toBe("datasets[1].name");
    expect(e.message).toContain("in datasets[1]");
    expect(e.message).not.toMatch(/"b"|"c"/);
  });

  it("treats escaped and plain spellings of one key as the same key, as JSON.parse does", () => {
    expect(refusal('{"KeyId": "x", "\\u004beyId": "y"}').path).toBe("KeyId");
  });

  it("quotes a key that is not identifier-like in the path", () => {
    expect(refusal('{"a": {"x y": 1, "x y": 2}}').path).toBe('a["x y"]');
  });

  it("refuses `__proto__` given twice and keeps a single one as a plain own key without touching prototypes", () => {
    expect(refusal('{"__proto__": {"a": 1}, "__proto__": {"b": 2}}').path).toBe("__proto__");
    const value = parseJsonStrict('{"__proto__": {"polluted": true}}', { what: "receipt" }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect((value as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("refuses nesting deeper than the bound with JSON_TOO_DEEP, also 100,000 levels deep (no stack overflow)", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const e = refusal(deep, { maxBytes: 1_000_000 });
    expect(e.code).toBe("JSON_TOO_DEEP");
    expect(e.message).toMatch(/contract nests deeper than 64 levels \(at line 1, column 65\)/);
    const objects = '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000);
    expect(refusal(objects, { maxBytes: 1_000_000 }).code).toBe("JSON_TOO_DEEP");
  });

  it("counts brackets inside strings as text, not nesting", () => {
    const value = { s: "[[[[[[[[[[{{{{{{{{{{\\\"[[[[" };
    expect(parseJsonStrict(JSON.stringify(value), { what: "x", maxDepth: 2 })).toEqual(value);
  });

  it("accepts exactly maxDepth levels and refuses one more", () => {
    expect(parseJsonStrict("[[[1]]]", { what: "x", maxDepth: 3 })).toEqual([[[1]]]);
    expect(refusal("[[[[1]]]]", { maxDepth: 3 }).code).toBe("JSON_TOO_DEEP");
  });

  it("refuses a document above its size bound in UTF-8 bytes before parsing it", () => {
    expect(parseJsonStrict('"abc"', { what: "x", maxBytes: 5 })).toBe("abc");
    const e = refusal('"abcd"', { what: "encryption metadata", maxBytes: 5 });
    expect(e.code).toBe("JSON_TOO_LARGE");
    expect(e.message).toBe("encryption metadata is larger than 5 bytes, the bound for this document");
    // "é" is 2 bytes of UTF-8: 4 UTF-16 units but 5 bytes.
    expect(parseJsonStrict('"é"', { what: "x", maxBytes: 4 })).toBe("é");
    expect(refusal('"éé"', { maxBytes: 5 }).code).toBe("JSON_TOO_LARGE");
  });

  it("refuses invalid JSON with JSON_SYNTAX without quoting the input", () => {
    const e = refusal("bank,secret-customer-42,1000.00\n");
    expect(e.code).toBe("JSON_SYNTAX");
    expect(e.message).toMatch(/^contract is not valid JSON: /);
    expect(e.message).not.toMatch(/bank|secret|customer/);
    for (const bad of ["", '{"a":1,}', '{"a":"x\ty"}', "NaN", '{"a":1}{"b":2}', "\ufeff{}"]) expect(refusal(bad).code).toBe("JSON_SYNTAX");
  });

  it("returns what JSON.parse returns for valid documents", () => {
    const docs = [
      '{"version":1,"datasets":[{"name":"a","schema":[{"name":"x","type":"INTEGER"}]}],"sql":"SELECT 1"}',
      '  [1, -0, 1.5e-7, 1e400, 12345678901234567890123, true, false, null, "\\u00e9\\/\\ud83d\\ude00"]\n',
      '{"": 1, "a": {}, "b": [], "c": [{}, {"": {"": null}}], "1": 1, "01": 2}',
      '"just a string"',
      "42",
      '{"a:b": "c:d", "e": "\\":"}',
    ];
    for (const doc of docs) expect(parseJsonStrict(doc, { what: "x" })).toEqual(JSON.parse(doc));
  });

  it("round-trips any JSON value equal to JSON.parse (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        expect(parseJsonStrict(text, { what: "x" })).toStrictEqual(JSON.parse(text));
      }),
    );
  });

  it("rejects an unusable depth option instead of silently weakening the bound", () => {
    expect(() => parseJsonStrict("1", { what: "x", maxDepth: 0 })).toThrow(RangeError);
    expect(() => parseJsonStrict("1", { what: "x", maxDepth: 100_000 })).toThrow(/maxDepth must be an integer from 1 to 1000/);
  });
});

describe("jsonSyntaxProblem", () => {
  it("removes every quoted excerpt of the input from JSON.parse's message", () => {
    for (const text of ["bank,42,secret", "secret", '{"a": secret}', "[1, 2, secretvalue-and-more-and-more-and-more-text]"]) {
      let message = "";
      try {
        JSON.parse(text);
      } catch (error) {
        message = jsonSyntaxProblem(error);
      }
      expect(message).not.toMatch(/secret|bank/);
    }
  });
});
