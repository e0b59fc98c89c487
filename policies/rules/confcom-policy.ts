// Reading a container security policy as `az confcom acipolicygen` writes it: `package policy`, a
// couple of future.keywords imports, and top-level assignments only — data (api_version, fragments,
// containers, external_processes, the allow_* flags) whose values are JSON (compact on one line, or
// pretty-printed over many; Rego's trailing commas and `raw strings` are read too), and enforcement
// points delegated to Microsoft's framework (`mount_device := data.framework.mount_device`).
//
// This is not a Rego interpreter. It reads exactly that subset and throws on anything else — a rule
// body, a `default`, a function, an `if`, a comprehension, an operator — because a policy it cannot
// read completely is a policy whose effect it would be guessing at. Judging what was read is
// cce-policy-check.ts's job.
import { CCE_ENFORCEMENT_POINTS } from "../../enclave-app/src/protocol/index.ts";

/** A reference such as data.framework.mount_device, kept apart from the JSON data around it. */
export class RegoRef {
  readonly path: readonly string[];
  constructor(path: readonly string[]) {
    this.path = path;
  }
  toString(): string {
    return this.path.join(".");
  }
}

export type RegoValue = null | boolean | number | string | RegoRef | RegoValue[] | { [key: string]: RegoValue };

export interface RegoAssignment {
  name: string;
  value: RegoValue;
  /** 1-based line of the assignment's name. */
  line: number;
}

export interface ConfcomRego {
  packageName: string;
  imports: string[];
  /** In source order; each name at most once. */
  assignments: RegoAssignment[];
}

export class ConfcomRegoError extends Error {
  readonly code = "CCE_POLICY_UNREADABLE" as const;
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = "ConfcomRegoError";
    this.line = line;
  }
}

/** Names confcom assigns data to (older confcom versions wrote the *_svn spellings). */
export const CONFCOM_DATA_NAMES: ReadonlySet<string> = new Set([
  "api_version",
  "framework_version",
  "api_svn",
  "framework_svn",
  "fragments",
  "containers",
  "external_processes",
  "allow_properties_access",
  "allow_dump_stacks",
  "allow_runtime_logging",
  "allow_environment_variable_dropping",
  "allow_unencrypted_scratch",
  "allow_capability_dropping",
  // The spelling of confcom's enforcement-point documentation.
  "allow_capabilities_dropping",
]);

/** The enforcement points confcom delegates to the framework; a policy missing one is not confcom's. */
export const ENFORCEMENT_POINTS = CCE_ENFORCEMENT_POINTS;

/** `reason` is no enforcement point: the framework calls it to word a denial, and confcom always writes this. */
export const REASON_RULE = "reason";

/** Imports confcom writes; an import of anything in data could alias what a reference means. */
const ALLOWED_IMPORTS = /^(future\.keywords(\.(every|in|if|contains))?|rego\.v1)$/;

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const JSON_STRING = /"(?:[^"\\\n\r]|\\.)*"/y;
const KEYWORDS = new Map<string, RegoValue>([
  ["true", true],
  ["false", false],
  ["null", null],
]);

class Reader {
  private pos = 0;
  private readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  line(at = this.pos): number {
    let n = 1;
    for (let i = 0; i < at && i < this.text.length; i++) if (this.text[i] === "\n") n++;
    return n;
  }

  fail(message: string, at = this.pos): never {
    throw new ConfcomRegoError(this.line(at), message);
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? "";
  }

  /** Skips spaces, tabs and comments; newlines too when `newlines`. */
  skip(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === " " || c === "\t" || c === "\r" || (newlines && c === "\n")) this.pos++;
      else if (c === "#") while (!this.atEnd() && this.peek() !== "\n") this.pos++;
      else return;
    }
  }

  sticky(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  ident(): string | undefined {
    return this.sticky(IDENT);
  }

  expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected "${c}" but found ${this.describeHere()}`);
    this.pos++;
  }

  describeHere(): string {
    if (this.atEnd()) return "the end of the policy";
    const rest = this.text.slice(this.pos, this.pos + 24).split("\n")[0]!;
    return rest === "" ? "a line break" : JSON.stringify(rest);
  }

  /** The rest of the line must be blank or a comment: nothing may follow a statement. */
  endOfStatement(): void {
    this.skip(false);
    if (this.atEnd()) return;
    if (this.peek() !== "\n") this.fail(`unexpected ${this.describeHere()} after the statement (confcom writes one assignment per statement)`);
    this.pos++;
  }

  dottedRef(first: string): string[] {
    const path = [first];
    while (this.peek() === ".") {
      this.pos++;
      const next = this.ident();
      if (!next) this.fail(`expected a name after "." but found ${this.describeHere()}`);
      path.push(next);
    }
    return path;
  }

  string(): string | undefined {
    const c = this.peek();
    if (c === '"') {
      const token = this.sticky(JSON_STRING);
      if (token === undefined) this.fail("unterminated or multi-line string");
      try {
        return JSON.parse(token) as string;
      } catch {
        this.fail(`invalid escape in string ${token}`);
      }
    }
    if (c === "`") {
      const end = this.text.indexOf("`", this.pos + 1);
      if (end < 0) this.fail("unterminated raw string");
      const value = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return value;
    }
    return undefined;
  }

  value(): RegoValue {
    this.skip(true);
    const start = this.pos;
    const c = this.peek();
    if (c === "[") return this.array();
    if (c === "{") return this.object();
    const s = this.string();
    if (s !== undefined) return s;
    const number = this.sticky(NUMBER);
    if (number !== undefined) return Number(number);
    const name = this.ident();
    if (name !== undefined) {
      if (KEYWORDS.has(name)) return KEYWORDS.get(name)!;
      const path = this.dottedRef(name);
      // A call, an index or a comprehension is computation, not data or a delegation.
      if (this.peek() === "(" || this.peek() === "[") this.fail(`"${path.join(".")}${this.peek()}": only plain references are read`);
      return new RegoRef(path);
    }
    return this.fail(`expected a value but found ${this.describeHere()}`, start);
  }

  private array(): RegoValue[] {
    this.expect("[");
    const out: RegoValue[] = [];
    for (;;) {
      this.skip(true);
      if (this.peek() === "]") break;
      out.push(this.value());
      this.skip(true);
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== "]") this.fail(`expected "," or "]" in an array but found ${this.describeHere()}`);
    }
    this.pos++;
    return out;
  }

  private object(): { [key: string]: RegoValue } {
    this.expect("{");
    const out: { [key: string]: RegoValue } = Object.create(null) as { [key: string]: RegoValue };
    for (;;) {
      this.skip(true);
      if (this.peek() === "}") break;
      const at = this.pos;
      const key = this.string();
      if (key === undefined) this.fail(`expected a string key in an object but found ${this.describeHere()} (sets and computed keys are not read)`);
      // Which of two values OPA would keep is exactly the kind of guess this reader refuses to make.
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(`duplicate key "${key}" in an object`, at);
      this.skip(true);
      this.expect(":");
      out[key] = this.value();
      this.skip(true);
      if (this.peek() === ",") this.pos++;
      else if (this.peek() !== "}") this.fail(`expected "," or "}" in an object but found ${this.describeHere()}`);
    }
    this.pos++;
    return { ...out };
  }
}

/**
 * Reads confcom's Rego subset. Throws ConfcomRegoError, naming the line, on anything outside it: no
 * or a second `package`, an import other than future.keywords/rego.v1, a statement that is not
 * `name := value`, a name assigned twice, a value that is neither JSON-like data nor a plain reference.
 */
export function readConfcomRego(text: string): ConfcomRego {
  // Typed explicitly, so TypeScript narrows after r.fail() (which never returns).
  const r: Reader = new Reader(text);
  let packageName: string | undefined;
  const imports: string[] = [];
  const assignments: RegoAssignment[] = [];
  const seen = new Set<string>();
  for (;;) {
    r.skip(true);
    if (r.atEnd()) break;
    const line = r.line();
    const word = r.ident();
    if (word === undefined) r.fail(`expected a statement but found ${r.describeHere()}`);
    r.skip(false);
    if (word === "package") {
      if (packageName !== undefined) r.fail("a second package statement");
      const name = r.ident();
      if (!name) r.fail("package without a name");
      packageName = r.dottedRef(name).join(".");
      r.endOfStatement();
      continue;
    }
    if (packageName === undefined) r.fail(`"${word}" before the package statement`);
    if (word === "import") {
      const first = r.ident();
      if (!first) r.fail("import without a path");
      const path = r.dottedRef(first).join(".");
      if (!ALLOWED_IMPORTS.test(path)) r.fail(`import ${path}: confcom imports only future.keywords (or rego.v1)`);
      imports.push(path);
      r.endOfStatement();
      continue;
    }
    if (!(r.peek() === ":" && r.sticky(/:=/y))) {
      r.fail(`"${word}" is not a top-level assignment "name := value" (rule bodies, defaults, functions and conditions are not read)`);
    }
    if (seen.has(word)) r.fail(`"${word}" is assigned twice`);
    seen.add(word);
    assignments.push({ name: word, value: r.value(), line });
    r.endOfStatement();
  }
  if (packageName === undefined) throw new ConfcomRegoError(1, "no package statement");
  return { packageName, imports, assignments };
}

/** Whether a value is exactly the delegation data.framework.<name>. */
export function delegatesToFramework(name: string, value: RegoValue): boolean {
  return value instanceof RegoRef && value.path.length === 3 && value.path[0] === "data" && value.path[1] === "framework" && value.path[2] === name;
}

/** confcom's `reason := {"errors": data.framework.errors}`. */
export function isConfcomReason(value: RegoValue): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof RegoRef) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "errors" && delegatesToFramework("errors", value.errors!);
}

/** Whether a value holds a reference anywhere (data assignments must be plain data). */
export function containsRef(value: RegoValue): boolean {
  if (value instanceof RegoRef) return true;
  if (Array.isArray(value)) return value.some(containsRef);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsRef);
  return false;
}

/** A value as a short Rego-ish text for messages: references bare, data as compact JSON, cut at `max`. */
export function regoText(value: RegoValue, max = 80): string {
  // U+2063 marks a reference in the JSON text (JSON.stringify leaves it unescaped), then the quotes go.
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof RegoRef ? `\u2063${v.toString()}\u2063` : v)).replace(/"\u2063([^\u2063]*)\u2063"/g, "$1");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
