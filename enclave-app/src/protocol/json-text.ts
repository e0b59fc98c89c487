// The one reader of JSON documents: every document the product reads (contract, approvals,
// encryption metadata, receipts, stack config values, Key Vault and attestation responses, CLI
// inputs) goes through parseJsonStrict, so each has exactly one meaning. JSON.parse keeps the last of
// two members with the same key; a reviewer reading the first and a hash covering the last would
// disagree about what was approved. Depth and size are bounded so a hostile document fails with a
// named error instead of a stack overflow or an out-of-memory.
//
// Errors never quote the input: when the file given by mistake is a plaintext dataset or a key, an
// excerpt would put its content into an error message or a log. Paths name keys, never values.
import { parse as parseAst, type ObjectNode, type ValueNode } from "@humanwhocodes/momoa";

/** Nesting bound for documents: far above any document the product writes (a contract nests ~6 deep). */
export const DEFAULT_JSON_MAX_DEPTH = 64;
/** Size bound when a reader names none. */
export const DEFAULT_JSON_MAX_BYTES = 1024 * 1024;
/** Above this the AST parser that locates duplicates could itself exhaust the stack. */
const DEPTH_CEILING = 1000;

/** The size bound of each document type (bytes of UTF-8); docs/protocol.md lists them. */
export const JSON_MAX_BYTES = {
  contract: 1024 * 1024,
  approvals: 256 * 1024,
  encryptionMetadata: 64 * 1024,
  receipt: 1024 * 1024,
  stackConfigValue: 1024 * 1024,
  /** Key Vault, attestation and release-tool responses (a release response carries a certificate chain). */
  serviceResponse: 1024 * 1024,
  /** A JWS or JWT header or payload segment, decoded. */
  tokenSegment: 256 * 1024,
  /** A JWK, a release policy, a small CLI input. */
  smallDocument: 64 * 1024,
} as const;

export type JsonErrorCode = "JSON_SYNTAX" | "JSON_DUPLICATE_KEY" | "JSON_TOO_DEEP" | "JSON_TOO_LARGE";

/** A document refused by parseJsonStrict; `document` is the reader's name for it, `path` where (when known). */
export class JsonDocumentError extends Error {
  readonly code: JsonErrorCode;
  readonly document: string;
  readonly path: string | undefined;

  constructor(code: JsonErrorCode, document: string, message: string, path?: string) {
    super(message);
    this.name = "JsonDocumentError";
    this.code = code;
    this.document = document;
    this.path = path;
  }
}

export interface ParseJsonOptions {
  /** What the document is, for the error ("contract", "encryption metadata of party bank"). */
  what: string;
  maxBytes?: number;
  maxDepth?: number;
}

// V8 writes `, "<excerpt>" is not valid JSON`, or `, "<excerpt>"... is not valid JSON` when it cut the excerpt.
const QUOTED_EXCERPT = /, ".*" ?(?:\.\.\. )?is not valid JSON$/s;
// V8's other form for a whole short input: `"<input>" is not valid JSON`.
const WHOLE_INPUT = /^".*" is not valid JSON$/s;
// `Unexpected token 'b'` quotes one character of the input; a character of a key is still a character of it.
const QUOTED_TOKEN = /Unexpected token '.+?'/s;

/** JSON.parse's message with any quoted excerpt of the input removed (positions are kept). */
export function jsonSyntaxProblem(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (WHOLE_INPUT.test(message)) return "not valid JSON (input excerpt withheld)";
  const withoutExcerpt = QUOTED_EXCERPT.test(message) ? message.replace(QUOTED_EXCERPT, " (input excerpt withheld)") : message;
  return withoutExcerpt.replace(QUOTED_TOKEN, "Unexpected token");
}

/**
 * Parses one JSON document, refusing a key given twice in any object (naming its path), nesting
 * deeper than `maxDepth`, text longer than `maxBytes` and anything JSON.parse refuses. The value is
 * JSON.parse's own (so `__proto__` is an ordinary own key, numbers and strings are decoded alike).
 */
export function parseJsonStrict(text: string, opts: ParseJsonOptions): unknown {
  const what = opts.what;
  const maxBytes = opts.maxBytes ?? DEFAULT_JSON_MAX_BYTES;
  const maxDepth = opts.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > DEPTH_CEILING) {
    throw new RangeError(`parseJsonStrict: maxDepth must be an integer from 1 to ${DEPTH_CEILING}, got ${maxDepth}`);
  }
  // Cheap first: UTF-16 length bounds the UTF-8 length from below (up to 3 bytes per unit above it).
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes)) {
    throw new JsonDocumentError("JSON_TOO_LARGE", what, `${what} is larger than ${maxBytes} bytes, the bound for this document`);
  }
  const { members, deepAt } = scanStructure(text, maxDepth);
  if (deepAt !== undefined) {
    throw new JsonDocumentError(
      "JSON_TOO_DEEP",
      what,
      `${what} nests deeper than ${maxDepth} levels (at ${lineColumn(text, deepAt)}), the bound for this document`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonDocumentError("JSON_SYNTAX", what, `${what} is not valid JSON: ${jsonSyntaxProblem(error)}`);
  }
  // Every member of valid JSON has exactly one ':' outside strings; when the parsed value holds as
  // many keys, no key was dropped. Only otherwise is the (slower) AST built to name the duplicate.
  if (countKeys(value) !== members) throw duplicateError(text, what);
  return value;
}

/**
 * One pass over the text outside strings: the number of ':' (members) and the offset where the
 * nesting first exceeds `maxDepth`. Syntax is left to JSON.parse, so this only has to be right for
 * valid JSON and must not overflow for anything.
 */
function scanStructure(text: string, maxDepth: number): { members: number; deepAt: number | undefined } {
  let depth = 0;
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x3a /* : */) members++;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return { members, deepAt: i };
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return { members, deepAt: undefined };
}

function countKeys(value: unknown): number {
  if (Array.isArray(value)) {
    let n = 0;
    for (const element of value) n += countKeys(element);
    return n;
  }
  if (value !== null && typeof value === "object") {
    let n = 0;
    for (const key of Object.keys(value)) n += 1 + countKeys((value as Record<string, unknown>)[key]);
    return n;
  }
  return 0;
}

function duplicateError(text: string, what: string): JsonDocumentError {
  let found: ReturnType<typeof findDuplicate>;
  try {
    found = findDuplicate(parseAst(text).body, []);
  } catch {
    found = undefined;
  }
  // Unreachable for valid JSON (the counts differ only when a key repeats); kept as a refusal, not a pass.
  if (found === undefined) return new JsonDocumentError("JSON_DUPLICATE_KEY", what, `${what} gives a key twice`);
  const objectPath = renderPath(found.at);
  const where = objectPath === "" ? "at the top level" : `in ${objectPath}`;
  return new JsonDocumentError(
    "JSON_DUPLICATE_KEY",
    what,
    `${what} gives the key ${renderKey(found.key)} twice ${where} (line ${found.line}); a document must have one meaning, so every key may appear once`,
    renderPath([...found.at, found.key]),
  );
}

type Segment = string | number;

function findDuplicate(node: ValueNode, at: Segment[]): { at: Segment[]; key: string; line: number } | undefined {
  if (node.type === "Array") {
    for (let i = 0; i < node.elements.length; i++) {
      const found = findDuplicate(node.elements[i]!.value, [...at, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (node.type !== "Object") return undefined;
  return findDuplicateMember(node, at);
}

function findDuplicateMember(node: ObjectNode, at: Segment[]): { at: Segment[]; key: string; line: number } | undefined {
  const seen = new Set<string>();
  for (const member of node.members) {
    // The decoded key: "a" and "\u0061" are the same key to JSON.parse, so they are here.
    const key = member.name.type === "String" ? member.name.value : member.name.name;
    if (seen.has(key)) return { at, key, line: member.loc.start.line };
    seen.add(key);
  }
  for (const member of node.members) {
    const key = member.name.type === "String" ? member.name.value : member.name.name;
    const found = findDuplicate(member.value, [...at, key]);
    if (found) return found;
  }
  return undefined;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const KEY_SHOWN = 64;

/** A key as a path shows it: plain when identifier-like, else JSON-quoted; long keys cut (they are input too). */
function renderKey(key: string): string {
  const shown = key.length > KEY_SHOWN ? `${key.slice(0, KEY_SHOWN)}…` : key;
  return IDENTIFIER.test(shown) ? `"${shown}"` : JSON.stringify(shown);
}

function renderPath(segments: readonly Segment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const shown = segment.length > KEY_SHOWN ? `${segment.slice(0, KEY_SHOWN)}…` : segment;
      out += IDENTIFIER.test(shown) ? (out === "" ? shown : `.${shown}`) : `[${JSON.stringify(shown)}]`;
    }
  }
  return out;
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
