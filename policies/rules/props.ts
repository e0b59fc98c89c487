// Reading props the way the engine hands them over (wrapped in unknownCheckingProxy).
import { UnknownValueError } from "@pulumi/policy";
import type { Props } from "./policy.ts";

/**
 * A string prop used only to name a resource in a message. An unknown value (preview) falls back to
 * the next key or the Pulumi name instead of suppressing the verdict: a label is not evidence.
 */
export function knownString(props: Props, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    try {
      const value: unknown = props[key];
      if (typeof value === "string" && value !== "") return value;
    } catch (err) {
      if (!(err instanceof UnknownValueError)) throw err;
    }
  }
  return undefined;
}

/** `Key Vault "bank-286e95a4"`: the physical name when known, else the Pulumi resource name. */
export function resourceLabel(kind: string, props: Props, nameKeys: readonly string[], resourceName: string): string {
  return `${kind} "${knownString(props, nameKeys) ?? resourceName}"`;
}

/** Case-insensitive string equality for ARM enum values ("Premium" and "premium" are the same SKU). */
export function sameText(value: unknown, expected: string): boolean {
  return typeof value === "string" && value.toLowerCase() === expected.toLowerCase();
}

/** "key=value" -> {key, value}; a bare key matches any value. */
export function parseLabelSelector(selector: string): { key: string; value?: string } {
  const i = selector.indexOf("=");
  return i < 0 ? { key: selector } : { key: selector.slice(0, i), value: selector.slice(i + 1) };
}
