// The package's CleanRoom inputs -> the stack config the program reads. The inputs mirror the config
// keys, so they are handed to the very parser the program uses (stacks/config.ts, namespace
// "cleanroom"): one set of rules, and its findings come back to the engine as property errors
// ("parties[1].name: ...") rather than as config keys.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig, StackConfigError, type LoadedStackConfig } from "../stacks/config.ts";

const NAMESPACE = "cleanroom";
// Pulumi's marker for a serialized secret (sdk/nodejs/runtime/rpc.ts specialSigKey / specialSecretSig).
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/**
 * Why a value cannot be planned with, or undefined. Every name, the contract and its hash are derived
 * before anything is deployed, so each input must be a known plain value. A secret is refused rather
 * than unwrapped: it would land in resource names, tags and the public contract in plain text.
 */
function planningProblem(value: unknown): string | undefined {
  if (pulumi.Output.isInstance(value)) {
    return "must be a plain value known before deployment (names and the contract are derived from it), not another resource's output or a secret";
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
    if (SIG_KEY in value) return "must not be a secret: it goes into resource names, tags or the public contract";
    for (const item of Object.values(value)) {
      const problem = planningProblem(item);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Checks the inputs with the program's config rules; throws InputPropertiesError naming each property. */
export function loadCleanRoomInputs(args: object): LoadedStackConfig {
  const raw: Record<string, string> = {};
  const errors: { propertyPath: string; reason: string }[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    const problem = planningProblem(value);
    if (problem) errors.push({ propertyPath: key, reason: problem });
    else raw[`${NAMESPACE}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  if (errors.length === 0) {
    try {
      return loadStackConfig(raw, NAMESPACE);
    } catch (err) {
      if (!(err instanceof StackConfigError)) throw err;
      for (const issue of err.issues) {
        errors.push({ propertyPath: issue.key.slice(NAMESPACE.length + 1), reason: `${issue.message} [${issue.rule}]` });
      }
    }
  }
  throw new pulumi.InputPropertiesError({
    message: `CleanRoom inputs are invalid (${errors.length} problem${errors.length === 1 ? "" : "s"})`,
    errors,
  });
}
