// The shape every clean-room policy has, and the two helpers rule modules share: a resource
// validation restricted to some resource types, and a config whose defaults live in code (the engine
// fills schema defaults in, but hand-built args in tests and older CLIs do not).
import type {
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationPolicy,
} from "@pulumi/policy";

/** The levels a clean-room policy ships with; operators may still disable one through policy config. */
export type DefaultEnforcementLevel = "advisory" | "mandatory";

/** Metadata every clean-room policy declares, and the offline review prints. */
interface CleanRoomPolicyMetadata {
  name: string;
  description: string;
  enforcementLevel: DefaultEnforcementLevel;
  severity: Severity;
  remediationSteps: string;
}

export type CleanRoomResourcePolicy = ResourceValidationPolicy &
  CleanRoomPolicyMetadata & { validateResource: ResourceValidation | ResourceValidation[] };
export type CleanRoomStackPolicy = StackValidationPolicy & CleanRoomPolicyMetadata;
export type CleanRoomPolicy = CleanRoomResourcePolicy | CleanRoomStackPolicy;

export function isStackPolicy(policy: CleanRoomPolicy): policy is CleanRoomStackPolicy {
  return "validateStack" in policy && typeof policy.validateStack === "function";
}

/**
 * Resource props as the engine hands them over: plain JSON wrapped in a proxy that throws
 * UnknownValueError when a value is not known yet (preview). Rules read only the fields they need
 * and never catch that error, so the engine reports "can't run during preview" instead of a verdict.
 */
export type Props = Record<string, any>;

/**
 * A validation that applies to the listed resource types and returns silently for any other type,
 * as validateResourceOfType does (without loading the provider SDK's resource classes).
 */
export function forTypes(
  types: readonly string[],
  validate: (props: Props, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    if (types.includes(args.type)) validate(args.props, args, reportViolation);
  };
}

type JsonSchema = PolicyConfigSchema["properties"][string];

/** One config property: its JSON schema (shown by `pulumi policy`) and the default the code uses. */
export type ConfigProperty<T> = JsonSchema & { default: T; description: string };

export interface PolicyConfig<T extends object> {
  schema: PolicyConfigSchema;
  defaults: T;
  /** The effective config: in-code defaults overlaid with what the engine (or a test) supplies. */
  read(args: { getConfig<U extends object>(): U }): T;
}

export function defineConfig<T extends object>(properties: { [K in keyof T]: ConfigProperty<T[K]> }): PolicyConfig<T> {
  const defaults = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, (v as ConfigProperty<unknown>).default])) as T;
  return {
    schema: { properties: properties as Record<string, JsonSchema> },
    defaults,
    read(args) {
      const given = args.getConfig<Partial<T>>() ?? {};
      const merged = { ...defaults };
      for (const key of Object.keys(defaults) as (keyof T)[]) {
        if (given[key] !== undefined) merged[key] = given[key] as T[keyof T];
      }
      return merged;
    },
  };
}

export const stringList = (description: string, defaultValue: string[], itemSchema: JsonSchema = { type: "string" }): ConfigProperty<string[]> => ({
  type: "array",
  items: itemSchema,
  description,
  default: defaultValue,
});
