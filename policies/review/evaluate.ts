// Evaluates the pack's policies the way @pulumi/policy's analyzer server does under the engine
// (server.js makeAnalyzeRpcFun / makeAnalyzeStackRpcFun), without an engine:
// - resource policies get each resource's inputs, stack policies every resource's outputs with
//   parent and dependency links, all wrapped in unknownCheckingProxy;
// - the effective enforcement level comes from the reconciled policy config; "disabled" skips the
//   policy, "remediate" reports as mandatory (no clean-room policy remediates);
// - an UnknownValueError becomes an advisory "can't run during preview" diagnostic, notApplicable()
//   a not-applicable entry, any other exception a failure of the whole evaluation.
import { UnknownValueError, unknownCheckingProxy } from "@pulumi/policy";
import type {
  EnforcementLevel,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  Severity,
  StackValidationArgs,
} from "@pulumi/policy";
import { isStackPolicy, type CleanRoomPolicy } from "../rules/index.ts";
import { ReviewError } from "./errors.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";

export interface EffectivePolicyConfig {
  enforcementLevel: EnforcementLevel;
  properties: Record<string, unknown>;
}

export interface Diagnostic {
  policyName: string;
  /** "violation": the policy found a problem; "not-evaluated": a value it needs is unknown (preview). */
  kind: "violation" | "not-evaluated";
  enforcementLevel: "advisory" | "mandatory";
  severity: Severity;
  message: string;
  urn?: string;
  resourceType?: string;
  resourceName?: string;
  remediationSteps: string;
}

export interface NotApplicable {
  policyName: string;
  reason: string;
  urn?: string;
}

export interface Evaluation {
  diagnostics: Diagnostic[];
  notApplicable: NotApplicable[];
}

class NotApplicableError extends Error {
  readonly reason: string;
  constructor(reason?: string) {
    super(reason ?? "Policy does not apply");
    this.reason = reason ?? "Policy does not apply";
  }
}

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicableError(reason);
};

/** "4500s", "1h15m" -> seconds, as the engine turns custom timeouts into numbers. */
export function durationSeconds(text: string): number {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) total += Number(n) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
  return total;
}

function optionsOf(r: GraphResource): PolicyResourceOptions {
  const o = r.options;
  const opts: PolicyResourceOptions = {
    protect: o?.protect ?? false,
    ignoreChanges: o?.ignoreChanges ?? [],
    aliases: [],
    customTimeouts: {
      createSeconds: durationSeconds(o?.customTimeouts?.create ?? ""),
      updateSeconds: durationSeconds(o?.customTimeouts?.update ?? ""),
      deleteSeconds: durationSeconds(o?.customTimeouts?.delete ?? ""),
    },
    additionalSecretOutputs: o?.additionalSecretOutputs ?? [],
  };
  if (o?.deleteBeforeReplace !== undefined) opts.deleteBeforeReplace = o.deleteBeforeReplace;
  if (r.parent) opts.parent = r.parent;
  return opts;
}

/** Resource classes carry their type token in __pulumiType (what isType/asType compare). */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  return (resourceClass as { __pulumiType?: string } | undefined)?.__pulumiType === type;
}

function providerOf(r: GraphResource, byUrn: Map<string, GraphResource>): PolicyProviderResource | undefined {
  if (!r.provider) return undefined;
  const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
  const provider = byUrn.get(urn);
  if (!provider) return undefined;
  return { type: provider.type, name: provider.name, urn: provider.urn, props: unknownCheckingProxy(structuredClone(provider.inputs)) };
}

function levelOf(config: ReadonlyMap<string, EffectivePolicyConfig>, policy: CleanRoomPolicy): "advisory" | "mandatory" | "disabled" {
  const level = config.get(policy.name)?.enforcementLevel ?? policy.enforcementLevel;
  return level === "remediate" ? "mandatory" : level;
}

/** The reportViolation callback a policy gets: resource policies report against their resource, stack policies may name one. */
function reporter(
  out: Evaluation,
  policy: CleanRoomPolicy,
  level: "advisory" | "mandatory",
  subject: GraphResource | undefined,
  byUrn: ReadonlyMap<string, GraphResource>,
): ReportViolation {
  return (message: string, urn?: string) => {
    const target = subject ?? (urn ? byUrn.get(urn) : undefined);
    out.diagnostics.push({
      policyName: policy.name,
      kind: "violation",
      enforcementLevel: level,
      severity: policy.severity,
      message,
      urn: subject?.urn ?? urn,
      resourceType: target?.type,
      resourceName: target?.name,
      remediationSteps: policy.remediationSteps,
    });
  };
}

async function guarded(
  policy: CleanRoomPolicy,
  subject: GraphResource | undefined,
  out: Evaluation,
  run: () => Promise<void> | void,
): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (err instanceof UnknownValueError) {
      out.diagnostics.push({
        policyName: policy.name,
        kind: "not-evaluated",
        enforcementLevel: "advisory",
        severity: policy.severity,
        message: `can't run policy '${policy.name}' during preview: ${(err as Error).message}`,
        urn: subject?.urn,
        resourceType: subject?.type,
        resourceName: subject?.name,
        remediationSteps: policy.remediationSteps,
      });
    } else if (err instanceof NotApplicableError) {
      out.notApplicable.push({ policyName: policy.name, reason: err.reason, urn: subject?.urn });
    } else {
      throw new ReviewError(
        "REVIEW_POLICY_FAILED",
        `policy '${policy.name}' failed${subject ? ` on ${subject.urn}` : ""}: ${(err as Error)?.message ?? String(err)}`,
        { cause: err },
      );
    }
  }
}

export interface EvaluateOptions {
  config?: ReadonlyMap<string, EffectivePolicyConfig>;
  stackTags?: ReadonlyMap<string, string>;
}

/** Runs every enabled policy over the graph: resource policies per resource (inputs), then stack policies (outputs). */
export async function evaluatePolicies(policies: readonly CleanRoomPolicy[], resources: readonly GraphResource[], options: EvaluateOptions = {}): Promise<Evaluation> {
  const config = options.config ?? new Map();
  const stackTags = options.stackTags ?? new Map<string, string>();
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const out: Evaluation = { diagnostics: [], notApplicable: [] };

  for (const resource of resources) {
    for (const policy of policies) {
      const level = levelOf(config, policy);
      if (level === "disabled" || isStackPolicy(policy)) continue;
      const validations: ResourceValidation[] = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      const report = reporter(out, policy, level, resource, byUrn);
      for (const validation of validations) {
        await guarded(policy, resource, out, () => {
          const props = unknownCheckingProxy(structuredClone(resource.inputs));
          const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn: resource.urn,
            name: resource.name,
            opts: optionsOf(resource),
            stackTags,
            isType: (cls) => isTypeOf(resource.type, cls),
            asType: ((cls: unknown) => (isTypeOf(resource.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
            getConfig: <T extends object>() => (config.get(policy.name)?.properties ?? {}) as T,
            notApplicable: throwNotApplicable,
          };
          const provider = providerOf(resource, byUrn);
          if (provider) args.provider = provider;
          return validation(args, report);
        });
      }
    }
  }

  for (const policy of policies) {
    const level = levelOf(config, policy);
    if (level === "disabled" || !isStackPolicy(policy)) continue;
    await guarded(policy, undefined, out, () => {
      const args: StackValidationArgs = {
        resources: policyResources(resources, byUrn),
        stackTags,
        getConfig: <T extends object>() => (config.get(policy.name)?.properties ?? {}) as T,
        notApplicable: throwNotApplicable,
      };
      return policy.validateStack(args, reporter(out, policy, level, undefined, byUrn));
    });
  }
  return out;
}

/** The resources of a stack validation: outputs behind the unknown-checking proxy, parents and dependencies linked. */
export function policyResources(resources: readonly GraphResource[], byUrn = new Map(resources.map((r) => [r.urn, r]))): PolicyResource[] {
  const built = new Map<string, PolicyResource>();
  for (const r of resources) {
    const props = unknownCheckingProxy(structuredClone(r.outputs ?? {}));
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    const provider = providerOf(r, byUrn);
    if (provider) resource.provider = provider;
    built.set(r.urn, resource);
  }
  const resolve = (urns: readonly string[] | undefined) => (urns ?? []).map((u) => built.get(u)).filter((d): d is PolicyResource => d !== undefined);
  for (const r of resources) {
    const resource = built.get(r.urn)!;
    if (r.parent) {
      const parent = built.get(r.parent);
      if (parent) resource.parent = parent;
    }
    resource.dependencies = resolve(r.dependencies);
    for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) resource.propertyDependencies[key] = resolve(urns);
  }
  return [...built.values()];
}

export function hasMandatoryViolation(evaluation: Evaluation): boolean {
  return evaluation.diagnostics.some((d) => d.kind === "violation" && d.enforcementLevel === "mandatory");
}
