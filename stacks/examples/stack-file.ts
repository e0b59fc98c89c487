// Reading and writing Pulumi.<stack>.yaml the way the engine hands config to the program: every value
// under `config:` becomes one PULUMI_CONFIG entry, strings as they are and structured values as JSON.
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";

export interface StackFile {
  config: Record<string, unknown>;
}

/** PULUMI_CONFIG-style map (key -> string) from a stack file. */
export function stackFileToPulumiConfig(path: string): Record<string, string> {
  const doc = parse(readFileSync(path, "utf8")) as StackFile;
  return configToPulumiConfig(doc.config ?? {});
}

export function configToPulumiConfig(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

/**
 * The stack file's text: a comment header, then `config:`. Deterministic for the same values: a value
 * shared by reference is written out in full each time (no YAML anchors), so the text does not
 * depend on how the config object happens to be assembled.
 */
export function renderStackFile(header: string, config: Record<string, unknown>): string {
  const body = stringify({ config }, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
  return `${header.split("\n").map((l) => (l ? `# ${l}` : "#")).join("\n")}\n${body}`;
}
