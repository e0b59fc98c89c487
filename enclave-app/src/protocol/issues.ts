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

/** Collects issues without duplicates (the schema and the semantic pass may both see one problem). */
export class IssueList {
  readonly items: ValidationIssue[] = [];
  readonly #seen = new Set<string>();

  add(path: string, rule: string, message: string): void {
    const key = `${path}\u0000${rule}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.items.push({ path, rule, message });
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
