// The one set of helpers that build `{path, rule, message}` issue lists on the protocol side (contract
// schema and semantics, attestation requirements, release-policy grammar); the enclave runtime and the
// CLI read those lists. (components/validation.ts keeps the IaC side's own, for component args.)
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
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
