// The package's CleanRoom inputs -> the stack config the program reads. The inputs mirror the config
// keys, so they are handed to the very parser the program uses (stacks/config.ts, namespace
// "cleanroom"): one set of rules, and its findings come back to the engine as property errors
// ("parties[1].name: ...") rather than as config keys.
import { loadStackConfig, StackConfigError, type LoadedStackConfig } from "../stacks/config.ts";
import { planningProblem, propertiesError, type PropertyError } from "./plain.ts";

const NAMESPACE = "cleanroom";

/** Checks the inputs with the program's config rules; throws InputPropertiesError naming each property. */
export function loadCleanRoomInputs(args: object): LoadedStackConfig {
  const raw: Record<string, string> = {};
  const errors: PropertyError[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    // Every name, the contract and its hash are derived before anything is deployed.
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
  throw propertiesError("CleanRoom", errors);
}
