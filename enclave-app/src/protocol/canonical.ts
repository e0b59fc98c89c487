import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { CanonicalJsonError } from "./errors.ts";

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: object members sorted by UTF-16
 * code units, no whitespace, ECMAScript number formatting. Two documents that differ only in key
 * order or formatting have the same canonical text, hence the same hash.
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new CanonicalJsonError(`value has no canonical JSON form: ${(err as Error).message}`);
  }
  if (text === undefined) {
    throw new CanonicalJsonError("value has no canonical JSON form: it is undefined, a function or a symbol");
  }
  return text;
}

/** Lowercase hex SHA-256; strings are hashed as UTF-8. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
