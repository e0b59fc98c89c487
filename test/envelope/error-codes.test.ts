// The envelope's one list of integrity failures covers every code its errors can carry: each code
// raised anywhere in enclave-app/src/envelope is classified, and the integrity ones are exactly
// those that mean tampered, truncated or swapped data (what the runtime reports as DATASET_INTEGRITY).
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ENVELOPE_ERROR_CODES, EnvelopeError, INTEGRITY_FAILURE_CODES, isIntegrityFailure } from "../../enclave-app/src/envelope/index.ts";

const ENVELOPE_DIR = resolve(import.meta.dirname, "../../enclave-app/src/envelope");

/** Codes passed to `new EnvelopeError(` (possibly on the next line) or to a helper that builds one. */
async function raisedCodes(): Promise<Set<string>> {
  const codes = new Set<string>();
  for (const file of await readdir(ENVELOPE_DIR)) {
    if (!file.endsWith(".ts") || file === "errors.ts") continue;
    const text = await readFile(join(ENVELOPE_DIR, file), "utf8");
    for (const m of text.matchAll(/EnvelopeError\(\s*"([A-Z_]+)"/g)) codes.add(m[1]!);
  }
  return codes;
}

describe("envelope error codes", () => {
  it("every code an envelope module raises is a known, classified code", async () => {
    const raised = await raisedCodes();
    expect(raised.size).toBeGreaterThan(5);
    for (const code of raised) expect(ENVELOPE_ERROR_CODES).toContain(code);
  });

  it("the integrity list is the tamper/swap/truncation codes, and only those", () => {
    expect([...INTEGRITY_FAILURE_CODES].sort()).toEqual(
      [
        "AUTH_TAG_MISMATCH",
        "DIGEST_MISMATCH",
        "KEY_PREFIX_MISMATCH",
        "KEY_UNWRAP_FAILED",
        "LENGTH_MISMATCH",
        "NONCE_INVALID",
        "REGION_OUT_OF_ORDER",
        "REGION_TOO_LARGE",
        "TRAILING_DATA",
        "TRUNCATED",
      ].sort(),
    );
    for (const code of INTEGRITY_FAILURE_CODES) expect(ENVELOPE_ERROR_CODES).toContain(code);
  });

  it("classifies errors by code", () => {
    expect(isIntegrityFailure(new EnvelopeError("AUTH_TAG_MISMATCH", "x"))).toBe(true);
    expect(isIntegrityFailure(new EnvelopeError("OPTIONS_INVALID", "x"))).toBe(false);
    expect(isIntegrityFailure(new Error("x"))).toBe(false);
    expect(isIntegrityFailure(undefined)).toBe(false);
  });
});
