// The one set of helpers that build `{path, rule, message}` issue lists: the protocol's checkers
// (contract schema and semantics, attestation requirements, release-policy grammar) and the
// components' argument validators both use them; the enclave runtime, the CLI and the stack config
// read those lists.
import type { ValidationIssue } from "./types.ts";

export type PathSegment = string | number;

/** `["datasets", 1, "owner"]` -> `"datasets[1].owner"`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out;
}

export function joinPath(base: string, child: PathSegment): string {
  if (typeof child === "number") return `${base}[${child}]`;
  return base === "" ? child : `${base}.${child}`;
}

/** A path reported by a nested checker, placed under `prefix`: ("enclave", "resources.cpu") -> "enclave.resources.cpu". */
export function prefixPath(prefix: string, path: string): string {
  if (!prefix) return path;
  if (!path) return prefix;
  return path.startsWith("[") ? `${prefix}${path}` : `${prefix}.${path}`;
}

/**
 * Collects issues in order. By default a second issue with the same path and rule is dropped (the
 * schema and the semantic pass may both see one problem); `keepDuplicates` keeps every one, for
 * checkers that report each occurrence.
 */
export class IssueList {
  readonly items: ValidationIssue[] = [];
  readonly #seen = new Set<string>();
  readonly #keepDuplicates: boolean;

  constructor(opts: { keepDuplicates?: boolean } = {}) {
    this.#keepDuplicates = opts.keepDuplicates ?? false;
  }

  add(path: string, rule: string, message: string): void {
    const key = `${path}\u0000${rule}`;
    if (!this.#keepDuplicates && this.#seen.has(key)) return;
    this.#seen.add(key);
    this.items.push({ path, rule, message });
  }

  push(issue: ValidationIssue): void {
    this.add(issue.path, issue.rule, issue.message);
  }

  addAll(issues: Iterable<ValidationIssue>): void {
    for (const issue of issues) this.push(issue);
  }

  /** The issues of a nested checker, their paths placed under `prefix`. */
  addUnder(prefix: string, issues: Iterable<ValidationIssue>): void {
    for (const issue of issues) this.add(prefixPath(prefix, issue.path), issue.rule, issue.message);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
