// Typed stack configuration. Every key lives under the project namespace
// ("confidential-clean-room:<key>"); structured values arrive from the engine as JSON strings in
// PULUMI_CONFIG. loadStackConfig() checks everything — types, unknown keys, references between
// parties, datasets, recipients and approvals, the components' own rules and the contract's — and
// throws one StackConfigError listing every problem with the config key it belongs to.
import type { JsonWebKey } from "node:crypto";
import { z } from "zod";
import { ComponentArgsError, pendingContractInputs, planCleanRoom, validateCleanRoomArgs, type CleanRoomArgs, type CleanRoomPlan } from "../components/index.ts";
import { JSON_MAX_BYTES, JsonDocumentError, parseJsonStrict, type Approvals, type DatasetAnalysis } from "../enclave-app/src/protocol/index.ts";

/** The project name; the program uses pulumi.getProject(), so a project scaffolded under another name keeps working. */
export const CONFIG_NAMESPACE = "confidential-clean-room";

export interface ConfigIssue {
  /** Full config key with the path inside its value, e.g. "confidential-clean-room:parties[1].name". */
  key: string;
  rule: string;
  message: string;
}

export class StackConfigError extends Error {
  readonly code = "STACK_CONFIG_INVALID" as const;
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(
      `stack configuration is invalid (${issues.length} problem${issues.length === 1 ? "" : "s"}); fix with "pulumi config set --path":\n` +
        issues.map((i) => `  - ${i.key}: ${i.message} [${i.rule}]`).join("\n"),
    );
    this.name = "StackConfigError";
    this.issues = issues;
  }
}

const decimal = z.union([z.number(), z.string()]);
const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be a GUID");
const principal = z.union([guid, z.strictObject({ objectId: guid, type: z.enum(["User", "Group", "ServicePrincipal"]).optional() })]);
const jwk = z.looseObject({ kty: z.string() }).transform((v) => v as JsonWebKey);
const poolSizing = z.strictObject({
  name: z.string().optional(),
  vmSize: z.string().optional(),
  minCount: z.number().int().optional(),
  maxCount: z.number().int().optional(),
  osDiskSizeGB: z.number().int().optional(),
});

const partySchema = z.strictObject({
  name: z.string(),
  tenantId: guid.optional(),
  /** The party's own subscription: its vault and key are deployed there through a dedicated provider. */
  subscriptionId: guid.optional(),
  admins: z.array(principal),
  uploaders: z.array(principal),
  resultReaders: z.array(principal).optional(),
  ipRanges: z.array(z.string()).optional(),
  vaultName: z.string().optional(),
  keySize: z.number().int().optional(),
  signingKey: jwk.optional(),
  kekPublicKey: jwk.optional(),
});

const datasetSchema = z.strictObject({
  name: z.string(),
  owner: z.string(),
  blobName: z.string(),
  format: z.enum(["csv", "parquet"]),
  schema: z.array(z.strictObject({ name: z.string(), type: z.string() })),
  ciphertextSha256: z.string().optional(),
  plaintextLength: z.number().int().optional(),
  // Its fields are the contract's (datasets[].analysis), checked there with their rule ids.
  analysis: z.custom<DatasetAnalysis>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { error: "must be an object" }).optional(),
});

const valueSchemas = {
  collaboration: z.string(),
  location: z.string(),
  tenantId: guid,
  namingSeed: z.string().optional(),
  isolationMode: z.enum(["confidential-node", "confidential-container"]).optional(),
  enclaveImage: z.string(),
  sql: z.string(),
  /** Confidential-node mode: required (the components say so); container mode has no cluster. */
  clusterAdminGroupObjectIds: z.array(guid).optional(),
  attestation: z
    .discriminatedUnion("kind", [z.strictObject({ kind: z.literal("dedicated"), providerName: z.string().optional(), policyHash: z.string().optional() }), z.strictObject({ kind: z.literal("shared") })])
    .optional(),
  parties: z.array(partySchema),
  datasets: z.array(datasetSchema),
  privacy: z.strictObject({
    minGroupSize: z.number().int(),
    countColumn: z.string(),
    allowedColumns: z.array(z.string()),
    // Shapes only: the protocol's rules (ranges, budget, grid) are reported with the component's issues.
    mode: z.literal("dp").optional(),
    dp: z
      .strictObject({
        epsilon: decimal,
        delta: decimal,
        budget: z.strictObject({ epsilon: decimal, delta: decimal }),
        maxGroupsPerUnit: z.number().int(),
        maxRowsPerUnit: z.number().int(),
        decimals: z.number().int().optional(),
      })
      .optional(),
  }),
  recipients: z.array(z.string()),
  approvals: z.record(z.string(), z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "must be a compact JWS")).optional(),
  cluster: z
    .strictObject({
      kubernetesVersion: z.string().optional(),
      systemPool: poolSizing.optional(),
      enclavePool: poolSizing.optional(),
      networkPolicy: z.enum(["cilium", "azure"]).optional(),
      upgradeChannel: z.enum(["patch", "stable", "rapid", "node-image"]).optional(),
      apiServerAuthorizedIpRanges: z.array(z.string()).optional(),
      kubeloginMode: z.enum(["azurecli", "workloadidentity", "spn", "msi", "azd"]).optional(),
    })
    .optional(),
  network: z.strictObject({ addressSpace: z.string().optional(), nodeSubnetPrefix: z.string().optional() }).optional(),
  storage: z
    .strictObject({
      accountName: z.string().optional(),
      skuName: z.enum(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS"]).optional(),
      deleteRetentionDays: z.number().int().optional(),
    })
    .optional(),
  workload: z
    .strictObject({
      resources: z.strictObject({ cpu: z.string().optional(), memoryMiB: z.number().int().optional(), scratchMiB: z.number().int().optional() }).optional(),
      activeDeadlineSeconds: z.number().int().optional(),
      backoffLimit: z.number().int().optional(),
      ttlSecondsAfterFinished: z.number().int().optional(),
      attempt: z.number().int().optional(),
      namespace: z.string().optional(),
    })
    .optional(),
  /** Confidential-container mode: checked-in base64 ccePolicy, pinned SKR sidecar, optional run attempt. */
  enclave: z
    .strictObject({
      // Optional here so that tools/cce-policy can write confcom's input before a policy exists; CleanRoom requires it.
      ccePolicy: z.string().optional(),
      skrSidecarImage: z.string(),
      confcomVersion: z.string().optional(),
      runAttempt: z.number().int().optional(),
      resources: z.strictObject({ cpu: z.number().optional(), memoryInGB: z.number().optional(), scratchMiB: z.number().int().optional() }).optional(),
      timeoutSeconds: z.number().int().optional(),
    })
    .optional(),
  tags: z.record(z.string(), z.string()).optional(),
} as const;

type Schemas = typeof valueSchemas;
export type StackConfig = { [K in keyof Schemas]: z.output<Schemas[K]> };
type ConfigKey = keyof Schemas;
export const CONFIG_KEYS = Object.keys(valueSchemas) as ConfigKey[];
/** Keys whose values are plain strings; all others are structured (JSON). */
const STRING_KEYS = new Set<ConfigKey>(["collaboration", "location", "tenantId", "namingSeed", "isolationMode", "enclaveImage", "sql"]);

function fullKeyIn(key: string, path: string, namespace: string): string {
  return `${namespace}:${key}${path && !path.startsWith("[") ? "." : ""}${path}`;
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join("");
}

/** "<ns>:parties[0].admins[1]" -> "<ns>:parties". */
function topLevelKey(key: string): string {
  return /^[^.[]*/.exec(key)![0];
}

/**
 * Config key for a CleanRoomArgs issue path ("parties[0].name" -> "<ns>:parties[0].name"): every
 * argument is the config key of the same name (the components report the contract's rules at the
 * arguments too, components/contract-from-args.ts).
 */
function keyForArgsPathIn(path: string, namespace: string): string {
  if (path === "") return `${namespace}:*`;
  const m = /^([A-Za-z]+)(.*)$/.exec(path);
  if (!m) return fullKeyIn(path, "", namespace);
  const rest = m[2]!.startsWith(".") ? m[2]!.slice(1) : m[2]!;
  return fullKeyIn(m[1]!, rest, namespace);
}

/**
 * Parses and checks the raw config map (as pulumi.runtime.allConfig() returns it). Keys outside the
 * project namespace (azure-native:location, ...) are ignored.
 */
export function parseStackConfig(raw: Record<string, string>, namespace = CONFIG_NAMESPACE): StackConfig {
  const { values, issues } = readStackConfig(raw, namespace);
  if (issues.length > 0) throw new StackConfigError(issues);
  return values as StackConfig;
}

/** The keys whose values have the right shape, and the shape problems of the others (their keys left out). */
function readStackConfig(raw: Record<string, string>, namespace: string): { values: Partial<StackConfig>; issues: ConfigIssue[] } {
  const fullKey = (key: string, path = "") => fullKeyIn(key, path, namespace);
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!k.startsWith(`${namespace}:`)) continue;
    const key = k.slice(namespace.length + 1);
    if (!(key in valueSchemas)) {
      issues.push({ key: k, rule: "unknown-key", message: `unknown key; known keys: ${CONFIG_KEYS.join(", ")}` });
      continue;
    }
    if (STRING_KEYS.has(key as ConfigKey)) {
      values[key] = v;
      continue;
    }
    try {
      values[key] = parseJsonStrict(v, { what: `config value ${k}`, maxBytes: JSON_MAX_BYTES.stackConfigValue });
    } catch (error) {
      const code = error instanceof JsonDocumentError ? error.code : "JSON_SYNTAX";
      if (code === "JSON_SYNTAX") {
        issues.push({ key: k, rule: "not-structured", message: "must be structured config (a YAML list or map, or --path values), not a plain string" });
      } else {
        // A key given twice (e.g. through `pulumi config set --path` and a hand edit) has no single meaning.
        issues.push({ key: k, rule: code === "JSON_DUPLICATE_KEY" ? "duplicate-key" : code === "JSON_TOO_DEEP" ? "too-deep" : "too-large", message: (error as Error).message });
      }
    }
  }
  for (const key of CONFIG_KEYS) {
    const schema = valueSchemas[key];
    const value = values[key];
    if (value === undefined) {
      if (!schema.safeParse(undefined).success && !issues.some((i) => i.key === fullKey(key))) {
        issues.push({ key: fullKey(key), rule: "required", message: "is required" });
      }
      continue;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const segs = issue.path.filter((s): s is string | number => typeof s !== "symbol");
        issues.push({ key: fullKey(key, formatPath(segs)), rule: issue.code === "unrecognized_keys" ? "unknown-key" : "type", message: issue.message });
      }
      delete values[key];
    } else {
      values[key] = result.data;
    }
  }
  // Required only where a cluster exists: reported with the other missing keys, before any component runs.
  if (values["clusterAdminGroupObjectIds"] === undefined && (values["isolationMode"] ?? "confidential-node") === "confidential-node") {
    issues.push({ key: fullKey("clusterAdminGroupObjectIds"), rule: "required", message: "is required" });
  }
  return { values: values as Partial<StackConfig>, issues };
}

/** CleanRoomArgs without per-party providers (the program adds those). */
export function toCleanRoomArgs(config: StackConfig): CleanRoomArgs {
  return {
    collaboration: config.collaboration,
    location: config.location,
    tenantId: config.tenantId,
    namingSeed: config.namingSeed,
    isolationMode: config.isolationMode,
    // A missing policyHash is the components' finding (validateCleanRoomArgs names the key).
    attestation: config.attestation as CleanRoomArgs["attestation"],
    parties: config.parties?.map(({ subscriptionId: _subscription, ...p }) => p),
    datasets: config.datasets,
    sql: config.sql,
    privacy: config.privacy,
    recipients: config.recipients,
    enclaveImage: config.enclaveImage,
    clusterAdminGroupObjectIds: config.clusterAdminGroupObjectIds,
    cluster: config.cluster,
    network: config.network,
    storage: config.storage,
    workload: config.workload,
    enclave: config.enclave && { ...config.enclave, ccePolicy: config.enclave.ccePolicy ?? "" },
    tags: config.tags,
  };
}

export interface LoadedStackConfig {
  config: StackConfig;
  args: CleanRoomArgs;
  /** The plan of `args`, computed once here; CleanRoom and the approval check reuse it. */
  plan: CleanRoomPlan;
  approvals: Approvals;
}

/** parseStackConfig + every component and contract rule, reported against config keys in one error. */
export function loadStackConfig(raw: Record<string, string>, namespace = CONFIG_NAMESPACE): LoadedStackConfig {
  const fullKey = (key: string, path = "") => fullKeyIn(key, path, namespace);
  const keyForArgsPath = (path: string) => keyForArgsPathIn(path, namespace);
  const read = readStackConfig(raw, namespace);
  if (read.issues.length > 0) {
    // The well-formed keys are still checked against every component and contract rule, so one error
    // lists all problems (a key size of 1024 is not hidden by a typo elsewhere); a key with a shape
    // problem is reported by that problem alone.
    const broken = new Set(read.issues.map((i) => topLevelKey(i.key)));
    const more = validateCleanRoomArgs(toCleanRoomArgs(read.values as StackConfig))
      .map((i) => ({ key: keyForArgsPath(i.path), rule: i.rule, message: i.message }))
      .filter((i) => !broken.has(topLevelKey(i.key)));
    throw new StackConfigError([...read.issues, ...more]);
  }
  const config = read.values as StackConfig;
  const args = toCleanRoomArgs(config);
  // Every component and contract rule, in one pass: planCleanRoom validates before it plans.
  const issues: ConfigIssue[] = [];
  let plan: CleanRoomPlan | undefined;
  try {
    plan = planCleanRoom(args);
  } catch (err) {
    if (!(err instanceof ComponentArgsError)) throw err;
    issues.push(...err.issues.map((i) => ({ key: keyForArgsPath(i.path), rule: i.rule, message: i.message })));
  }
  const approvals: Approvals = config.approvals ?? {};
  const partyNames = new Set(config.parties.map((p) => p.name));
  for (const party of Object.keys(approvals)) {
    if (!partyNames.has(party)) issues.push({ key: fullKey("approvals", party), rule: "unknown-party", message: `"${party}" is not one of the parties` });
  }
  config.parties.forEach((p, i) => {
    if (p.subscriptionId !== undefined && p.tenantId === undefined) {
      // The vault's tenantId must be the tenant of that subscription; defaulting silently would be a guess.
      issues.push({ key: fullKey("parties", `[${i}].tenantId`), rule: "required", message: "is required when subscriptionId is set (the tenant of that subscription)" });
    }
  });
  const pending = pendingContractInputs(args);
  if (pending.length > 0 && Object.keys(approvals).length > 0) {
    issues.push({
      key: fullKey("approvals"),
      rule: "approvals-without-contract",
      message: `approvals were given but the contract is incomplete; still missing: ${pending.join(", ")}`,
    });
  }
  if (issues.length > 0 || plan === undefined) throw new StackConfigError(issues);
  return { config, args, plan, approvals };
}
