// Turning a Construct call's inputs into the TypeScript components' arguments. The engine hands a
// property that depends on other resources (or is secret) to the provider as an Output; a property
// the components derive names, policies or the contract from must be known before deployment, so
// such a property is refused with a property error rather than guessed. Validation findings of the
// components (ComponentArgsError) come back the same way, so the engine prints them under the
// resource with the property's path.
import * as pulumi from "@pulumi/pulumi";
import { ComponentArgsError } from "../components/index.ts";

// Pulumi's marker for a serialized secret (sdk/nodejs/runtime/rpc.ts specialSigKey).
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export interface PropertyError {
  propertyPath: string;
  reason: string;
}

/** Why a value cannot be planned with, or undefined when it is plain data. */
export function planningProblem(value: unknown): string | undefined {
  if (pulumi.Output.isInstance(value)) {
    return "must be a plain value known before deployment (names and policies are derived from it), not another resource's output or a secret";
  }
  if (pulumi.Resource.isInstance(value)) return "must be plain data, not a resource";
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = planningProblem(item);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    // A secret would land in resource names, tags or the public contract in plain text.
    if (SIG_KEY in value) return "must not be a secret: it goes into resource names, tags or the public contract";
    for (const item of Object.values(value)) {
      const problem = planningProblem(item);
      if (problem) return problem;
    }
  }
  return undefined;
}

export function propertiesError(component: string, errors: PropertyError[]): pulumi.InputPropertiesError {
  return new pulumi.InputPropertiesError({
    message: `${component} inputs are invalid (${errors.length} problem${errors.length === 1 ? "" : "s"})`,
    errors,
  });
}

/** Throws InputPropertiesError for every property (but those that may be outputs) that is not plain data. */
export function requirePlain(component: string, args: object, mayBeOutputs: readonly string[] = []): void {
  const errors: PropertyError[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (mayBeOutputs.includes(key) || value === undefined) continue;
    const problem = planningProblem(value);
    if (problem) errors.push({ propertyPath: key, reason: problem });
  }
  if (errors.length > 0) throw propertiesError(component, errors);
}

/** Runs a component's create function; its ComponentArgsError becomes property errors (paths renamed where the package's names differ). */
export function withPropertyErrors<T>(component: string, create: () => T, rename: (path: string) => string = (p) => p): T {
  try {
    return create();
  } catch (err) {
    if (!(err instanceof ComponentArgsError)) throw err;
    throw propertiesError(component, err.issues.map((i) => ({ propertyPath: rename(i.path), reason: `${i.message} [${i.rule}]` })));
  }
}
