// The offline review of one stack: run its program under mocks, evaluate the pack as the engine
// would, render the report, decide the exit code (1 on any mandatory violation, else 0).
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { stackFileToPulumiConfig } from "../../stacks/examples/stack-file.ts";
import { PACK_NAME, policies as packPolicies, type CleanRoomPolicy } from "../rules/index.ts";
import { ReviewError } from "./errors.ts";
import { evaluatePolicies, hasMandatoryViolation, type Evaluation } from "./evaluate.ts";
import type { GraphResource } from "../../tools/pulumi-mocks/report.ts";
import { REPO_ROOT } from "../../tools/pulumi-mocks/run-program.ts";
import { reconcilePolicyConfig, readPolicyConfigFile, type GivenPolicyConfig } from "./policy-config.ts";
import { renderReport } from "./report.ts";
import { runProgramForReview } from "./run-program.ts";

export interface StackSource {
  stack: string;
  /** Program directory, relative to the repository root. Default "stacks/" (Pulumi.yaml main). */
  programDir?: string;
  /** Default: Pulumi.<stack>.yaml in the program directory (Pulumi.yaml stackConfigDir for stacks/). */
  stackFile?: string;
}

export interface CapturedStack {
  stack: string;
  programDir: string;
  resources: GraphResource[];
}

function projectName(): string {
  const text = readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8");
  const name = /^name:\s*["']?([^"'\s#]+)/m.exec(text)?.[1];
  if (!name) throw new ReviewError("REVIEW_USAGE", "Pulumi.yaml at the repository root has no name");
  return name;
}

function packVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "policies/package.json"), "utf8")) as { version: string }).version;
}

const fromRoot = (p: string) => (isAbsolute(p) ? p : join(REPO_ROOT, p));

/** Runs the stack's program under mocks (config from its stack file) and returns the registered resources. */
export async function captureStack(source: StackSource): Promise<CapturedStack> {
  if (!/^[A-Za-z0-9._/-]+$/.test(source.stack)) throw new ReviewError("REVIEW_USAGE", `"${source.stack}" is not a stack name`);
  const programDir = (source.programDir ?? "stacks").replace(/\/*$/, "/");
  if (!existsSync(fromRoot(programDir))) throw new ReviewError("REVIEW_USAGE", `program directory ${programDir} does not exist`);
  const stackFile = fromRoot(source.stackFile ?? join(programDir, `Pulumi.${source.stack}.yaml`));
  if (!existsSync(stackFile)) {
    throw new ReviewError("REVIEW_STACK_FILE_MISSING", `no stack file ${relative(REPO_ROOT, stackFile)} for stack "${source.stack}"; create it (pulumi stack init) or pass --stack-file`);
  }
  const config = stackFileToPulumiConfig(stackFile);
  const run = await runProgramForReview({ programDir: isAbsolute(programDir) ? relative(REPO_ROOT, programDir) : programDir, project: projectName(), stack: source.stack, config });
  return { stack: source.stack, programDir, resources: run.resources };
}

export interface ReviewResult {
  markdown: string;
  evaluation: Evaluation;
  /** 1 when any mandatory violation was found, else 0. */
  exitCode: 0 | 1;
}

/** Evaluates the pack (or the given policies) on a captured stack with the given policy config. */
export async function reviewCaptured(
  captured: CapturedStack,
  policyConfig: ReadonlyMap<string, GivenPolicyConfig> = new Map(),
  policies: readonly CleanRoomPolicy[] = packPolicies,
): Promise<ReviewResult> {
  const { config, warnings } = reconcilePolicyConfig(policies, policyConfig);
  const evaluation = await evaluatePolicies(policies, captured.resources, { config });
  const markdown = renderReport({
    stack: captured.stack,
    programDir: captured.programDir,
    packName: PACK_NAME,
    packVersion: packVersion(),
    policies,
    config,
    resources: captured.resources,
    evaluation,
    warnings,
  });
  return { markdown, evaluation, exitCode: hasMandatoryViolation(evaluation) ? 1 : 0 };
}

/**
 * Capture and review in one step; `policyConfigFile` (relative to the working directory) is read as
 * `pulumi preview --policy-pack-config` reads it.
 */
export async function reviewStack(source: StackSource & { policyConfigFile?: string }): Promise<ReviewResult> {
  // Read the config first: a broken config file is a usage error found before the program runs.
  const given = source.policyConfigFile ? readPolicyConfigFile(resolve(source.policyConfigFile)) : new Map<string, GivenPolicyConfig>();
  reconcilePolicyConfig(packPolicies, given);
  return reviewCaptured(await captureStack(source), given);
}
