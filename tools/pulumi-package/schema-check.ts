// Checks a Pulumi YAML program against a package schema, as far as that can be done without the
// Pulumi CLI: every resource of the package names a known type; every property is one the schema
// declares, of its type (strings, numbers, integers, booleans, arrays, maps, object types with their
// required properties, enums by value); every required input is given; `${config}` references take
// the type the program's `config:` block declares; `${resource.output}` references name outputs the
// schema declares. What Pulumi YAML's own type checker would add (functions, options, other packages'
// schemas) is out of scope: it needs the CLI.
import type { PackageSchema, PropertySpec } from "./provider-process.ts";

export interface YamlProgram {
  name: string;
  runtime: string | { name: string };
  packages?: Record<string, string>;
  config?: Record<string, { type?: string; default?: unknown; secret?: boolean }>;
  resources?: Record<string, { type: string; properties?: Record<string, unknown>; options?: unknown }>;
  outputs?: Record<string, unknown>;
}

export interface SchemaProblem {
  /** Where in the program, e.g. "resources.room.properties.parties[0].admins[0].type". */
  path: string;
  message: string;
}

const CONFIG_TYPES: Record<string, string> = { string: "string", integer: "integer", boolean: "boolean", number: "number" };
const WHOLE_REFERENCE = /^\$\{([^}]+)\}$/;
const REFERENCES = /\$\{([^}]+)\}/g;

/** "cleanroom:CleanRoom" and "cleanroom:index:CleanRoom" both name the schema's "cleanroom:index:CleanRoom". */
export function canonicalToken(type: string): string {
  const parts = type.split(":");
  return parts.length === 2 ? `${parts[0]}:index:${parts[1]}` : type;
}

export function checkYamlProgram(program: YamlProgram, schema: PackageSchema): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const resources = program.resources ?? {};
  const config = program.config ?? {};

  const checkReference = (ref: string, path: string): string | undefined => {
    // The type of what the reference yields, when known ("any" for a package output's nested value).
    const head = ref.split(/[.[]/)[0]!;
    if (head in config) {
      const declared = config[head]!.type ?? (typeof config[head]!.default === "string" ? "string" : undefined);
      const type = declared ? CONFIG_TYPES[declared] : undefined;
      if (!type) problems.push({ path, message: `config "${head}" needs a declared type (string, integer, boolean, number)` });
      return ref === head ? type : undefined;
    }
    const resource = resources[head];
    if (!resource) {
      problems.push({ path, message: `\${${ref}} names neither a config key nor a resource` });
      return undefined;
    }
    const spec = schema.resources[canonicalToken(resource.type)];
    const output = ref.slice(head.length + 1).split(/[.[]/)[0];
    if (spec && output && !(output in spec.properties)) {
      problems.push({ path, message: `${resource.type} has no output "${output}" (outputs: ${Object.keys(spec.properties).join(", ")})` });
    }
    return undefined;
  };

  const checkValue = (value: unknown, spec: PropertySpec, path: string): void => {
    if (typeof value === "string") {
      const whole = WHOLE_REFERENCE.exec(value);
      if (whole) {
        const type = checkReference(whole[1]!, path);
        if (type && expectedType(spec) !== undefined && !compatible(type, expectedType(spec)!)) {
          problems.push({ path, message: `\${${whole[1]}} is a ${type}, the schema wants ${describe(spec)}` });
        }
        return;
      }
      for (const m of value.matchAll(REFERENCES)) checkReference(m[1]!, path);
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).some((k) => k.startsWith("fn::"))) {
      problems.push({ path, message: "functions (fn::...) are not checked here; use a literal or a config reference" });
      return;
    }
    if (spec.$ref === "pulumi.json#/Any") return;
    if (spec.$ref) {
      const token = spec.$ref.replace(/^#\/types\//, "");
      const type = schema.types[token];
      if (!type) {
        problems.push({ path, message: `the schema has no type ${token}` });
        return;
      }
      if (type.enum) {
        const allowed = type.enum.map((e) => e.value);
        if (!allowed.includes(value as string | number)) problems.push({ path, message: `${JSON.stringify(value)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}` });
        return;
      }
      checkObject(value, type.properties ?? {}, type.required ?? [], path, token);
      return;
    }
    switch (spec.type) {
      case "string":
        if (typeof value !== "string") problems.push({ path, message: `must be a string, got ${kind(value)}` });
        return;
      case "integer":
        if (!Number.isInteger(value)) problems.push({ path, message: `must be an integer, got ${kind(value)}` });
        return;
      case "number":
        if (typeof value !== "number") problems.push({ path, message: `must be a number, got ${kind(value)}` });
        return;
      case "boolean":
        if (typeof value !== "boolean") problems.push({ path, message: `must be a boolean, got ${kind(value)}` });
        return;
      case "array":
        if (!Array.isArray(value)) problems.push({ path, message: `must be a list, got ${kind(value)}` });
        else value.forEach((item, i) => checkValue(item, spec.items!, `${path}[${i}]`));
        return;
      case "object":
        if (!isMap(value)) problems.push({ path, message: `must be a map, got ${kind(value)}` });
        else if (spec.additionalProperties) for (const [k, v] of Object.entries(value)) checkValue(v, spec.additionalProperties, `${path}.${k}`);
        return;
      default:
        problems.push({ path, message: `the schema gives no type for this property` });
    }
  };

  const checkObject = (value: unknown, properties: Record<string, PropertySpec>, required: string[], path: string, what: string): void => {
    if (!isMap(value)) {
      problems.push({ path, message: `must be a map (${what}), got ${kind(value)}` });
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      const spec = properties[key];
      if (!spec) problems.push({ path: `${path}.${key}`, message: `${what} has no property "${key}" (known: ${Object.keys(properties).join(", ")})` });
      else checkValue(v, spec, `${path}.${key}`);
    }
    for (const key of required) {
      if (!(key in value)) problems.push({ path: `${path}.${key}`, message: `is required by ${what}` });
    }
  };

  for (const [name, resource] of Object.entries(resources)) {
    const token = canonicalToken(resource.type);
    if (!token.startsWith(`${schema.name}:`)) continue; // another package's resource: its own schema applies
    const spec = schema.resources[token];
    const at = `resources.${name}`;
    if (!spec) {
      problems.push({ path: `${at}.type`, message: `the package has no resource ${resource.type} (resources: ${Object.keys(schema.resources).join(", ")})` });
      continue;
    }
    checkObject(resource.properties ?? {}, spec.inputProperties, spec.requiredInputs, `${at}.properties`, token);
  }
  for (const [name, value] of Object.entries(program.outputs ?? {})) {
    if (typeof value === "string") for (const m of value.matchAll(REFERENCES)) checkReference(m[1]!, `outputs.${name}`);
  }
  return problems;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a map";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function expectedType(spec: PropertySpec): string | undefined {
  if (spec.type) return spec.type;
  return undefined;
}

function compatible(actual: string, expected: string): boolean {
  return actual === expected || (actual === "integer" && expected === "number");
}

function describe(spec: PropertySpec): string {
  return spec.type ?? spec.$ref ?? "a value";
}
