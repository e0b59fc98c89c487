// Policy pack config, read and reconciled as the Pulumi CLI does for --policy-pack-config
// (pkg/resource/analyzer/config.go): the file maps a policy name — or "all" — to an enforcement level
// string or to an object of properties with an optional enforcementLevel. Reconciling starts from
// each policy's default level and schema defaults, applies "all", then each policy's own entry, and
// validates the properties against the policy's config schema.
import { readFileSync } from "node:fs";
import type { EnforcementLevel, PolicyConfigSchema } from "@pulumi/policy";
import type { CleanRoomPolicy } from "../rules/index.ts";
import { ReviewError } from "./errors.ts";
import type { EffectivePolicyConfig } from "./evaluate.ts";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export interface GivenPolicyConfig {
  enforcementLevel?: EnforcementLevel;
  properties: Record<string, unknown>;
}

const isLevel = (v: unknown): v is EnforcementLevel => typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);

/** Parses a policy config document; throws ReviewError REVIEW_POLICY_CONFIG_INVALID naming the entry. */
export function parsePolicyConfig(text: string, source = "policy config"): Map<string, GivenPolicyConfig> {
  const result = new Map<string, GivenPolicyConfig>();
  if (text.trim() === "") return result;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `${source} is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `${source} must be a JSON object of policy name -> level or config object`);
  }
  for (const [name, value] of Object.entries(doc)) {
    if (typeof value === "string") {
      if (!isLevel(value)) throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `${source}: "${name}": "${value}" is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
      result.set(name, { enforcementLevel: value, properties: {} });
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { enforcementLevel, ...properties } = value as Record<string, unknown>;
      if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
        throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `${source}: "${name}".enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${ENFORCEMENT_LEVELS.join(", ")})`);
      }
      if (enforcementLevel === undefined && Object.keys(properties).length === 0) continue;
      result.set(name, { enforcementLevel: enforcementLevel as EnforcementLevel | undefined, properties });
    } else {
      throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `${source}: "${name}": ${JSON.stringify(value)} must be an enforcement level string or an object`);
    }
  }
  return result;
}

export function readPolicyConfigFile(path: string): Map<string, GivenPolicyConfig> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `cannot read policy config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parsePolicyConfig(text, path);
}

type JsonSchema = PolicyConfigSchema["properties"][string];

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "null":
      return value === null;
    default:
      return true;
  }
}

/** The JSON-schema keywords the pack's config schemas use: type, enum, minimum, maximum, items. */
function schemaProblems(value: unknown, schema: JsonSchema, path: string): string[] {
  if (typeof schema === "boolean") return schema ? [] : [`${path}: not allowed`];
  const problems: string[] = [];
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length > 0 && !types.some((t) => typeMatches(value, t))) return [`${path}: expected ${types.join(" or ")}, got ${JSON.stringify(value)}`];
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push(`${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: must be >= ${schema.minimum}, got ${value}`);
    if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path}: must be <= ${schema.maximum}, got ${value}`);
  }
  if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items)) {
    value.forEach((item, i) => problems.push(...schemaProblems(item, schema.items as JsonSchema, `${path}[${i}]`)));
  }
  return problems;
}

export interface ReconciledConfig {
  config: Map<string, EffectivePolicyConfig>;
  /** Entries the engine would silently ignore (unknown policy or property names): likely typos. */
  warnings: string[];
}

/** Effective config of every policy; throws REVIEW_POLICY_CONFIG_INVALID listing every schema violation. */
export function reconcilePolicyConfig(policies: readonly CleanRoomPolicy[], given: ReadonlyMap<string, GivenPolicyConfig> = new Map()): ReconciledConfig {
  const config = new Map<string, EffectivePolicyConfig>();
  for (const p of policies) {
    const defaults = Object.fromEntries(
      Object.entries(p.configSchema?.properties ?? {}).flatMap(([k, s]) => (typeof s === "object" && s.default !== undefined ? [[k, structuredClone(s.default)]] : [])),
    );
    config.set(p.name, { enforcementLevel: p.enforcementLevel, properties: defaults });
  }
  const all = given.get("all");
  if (all?.enforcementLevel) for (const c of config.values()) c.enforcementLevel = all.enforcementLevel;

  const warnings: string[] = [];
  const problems: string[] = [];
  for (const [name, entry] of given) {
    if (name === "all") {
      if (Object.keys(entry.properties).length > 0) warnings.push(`"all" accepts only an enforcement level; its properties are ignored`);
      continue;
    }
    const policy = policies.find((p) => p.name === name);
    const effective = config.get(name);
    if (!policy || !effective) {
      warnings.push(`policy config names "${name}", which is not a policy of this pack; ignored`);
      continue;
    }
    if (entry.enforcementLevel) effective.enforcementLevel = entry.enforcementLevel;
    const schema = policy.configSchema?.properties ?? {};
    for (const [key, value] of Object.entries(entry.properties)) {
      const propertySchema = schema[key];
      if (propertySchema === undefined) {
        warnings.push(`policy config for "${name}" sets "${key}", which the policy does not read; ignored`);
        continue;
      }
      problems.push(...schemaProblems(value, propertySchema, `${name}.${key}`));
      effective.properties[key] = value;
    }
  }
  if (problems.length > 0) {
    throw new ReviewError("REVIEW_POLICY_CONFIG_INVALID", `policy config is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return { config, warnings };
}
