// Field-level rules of the contract document (shape, types, patterns, keys). Rules that relate
// several fields (owners, recipients, duplicates, mode vs hostdata) live in contract-semantics.ts
// and run on the raw input, so a shape error in one place never hides a problem elsewhere.
import { z } from "zod";
import type { JsonWebKey } from "node:crypto";
import { checkKekJwk, checkSigningJwk, type JwkProblem } from "./jwk.ts";
import { HEX64 } from "./attestation-requirements.ts";
import { IssueList, formatPath, isRecord } from "./issues.ts";
import { isKeyVaultKeyId } from "./key-id.ts";
import { runLimitProblem } from "./run-limits.ts";
import { compareDecimals, decimalProblem } from "./decimal.ts";
import type { ContractPhase, RunLimits, ValidationIssue } from "./types.ts";

export const CONTRACT_VERSION = "1.0";
export const PARTY_NAME = /^[a-z][a-z0-9-]{1,22}$/;
export const DATASET_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
export const COLLABORATION_NAME = /^[a-z][a-z0-9-]{1,39}$/;
/** Column names stay plain identifiers so that generated SQL never needs quoting rules. */
export const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const SIMPLE_COLUMN_TYPES = ["VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN"] as const;
const DECIMAL_TYPE = /^DECIMAL\((\d{1,2}),(\d{1,2})\)$/;
/**
 * An image reference pinned by digest (a tag alone can be moved to other code):
 * registry[:port]/repository[:tag]@sha256:<64 hex>, the repository lower-case as OCI requires.
 */
export const PINNED_IMAGE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/;
/** Azure container name rules: 3-63 chars, lower-case letters, digits, single hyphens inside. */
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
export const MAX_SQL_LENGTH = 256 * 1024;

type Ctx<T> = z.core.$RefinementCtx<T>;

function fail(ctx: Ctx<unknown>, rule: string, message: string): void {
  ctx.addIssue({ code: "custom", message, params: { rule } });
}

function rule<T>(ruleId: string, test: (v: T) => boolean, message: string | ((v: T) => string)) {
  return (value: T, ctx: Ctx<T>) => {
    if (!test(value)) fail(ctx, ruleId, typeof message === "string" ? message : message(value));
  };
}

/** DuckDB type names the clean room loads datasets with. */
export function isSupportedColumnType(type: string): boolean {
  if ((SIMPLE_COLUMN_TYPES as readonly string[]).includes(type)) return true;
  const m = DECIMAL_TYPE.exec(type.replace(/\s+/g, ""));
  if (!m) return false;
  const precision = Number(m[1]);
  const scale = Number(m[2]);
  return precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision;
}

export function blobPathProblem(path: string): string | undefined {
  const slash = path.indexOf("/");
  if (slash < 0) return `blobPath ${JSON.stringify(path)} must be "<container>/<blob name>"`;
  const container = path.slice(0, slash);
  const blob = path.slice(slash + 1);
  if (!CONTAINER_NAME.test(container)) {
    return `container ${JSON.stringify(container)} is not a valid Azure container name (3-63 lower-case letters, digits and single hyphens)`;
  }
  if (blob.length === 0 || blob.length > 1024) return "blob name must be 1-1024 characters";
  const segments = blob.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    return `blob name ${JSON.stringify(blob)} must not have empty, "." or ".." segments`;
  }
  if (/[\u0000-\u001f\u007f\\]/.test(blob)) return "blob name must not contain control characters or backslashes";
  return undefined;
}

/**
 * The one rule for image references that must not move (the enclave image, the SKR sidecar): pinned by
 * digest, so every party approves the exact bytes that run.
 */
export function pinnedImageProblem(image: unknown): string | undefined {
  if (typeof image !== "string") return "must be a string";
  if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
    return `image ${JSON.stringify(image)} is not pinned: use <registry>/<repository>@sha256:<64 lowercase hex> so every party approves the exact bytes that run (a tag can be moved to other code)`;
  }
  if (!PINNED_IMAGE.test(image)) return `image ${JSON.stringify(image)} is not a valid image reference (<registry>/<repository>@sha256:<digest>)`;
  return undefined;
}

/** Fields the parties supply after phase 1 (keys, digests): optional in a draft, required in the final contract. */
function suppliedLater<T extends z.ZodType>(schema: T, phase: ContractPhase) {
  return phase === "draft" ? schema.optional() : schema;
}

function jwkSchema(check: (jwk: unknown) => JwkProblem[]) {
  // Loose: JWKs carry optional members (kid, alg, use, key_ops, x5c...) that are kept and hashed.
  return z.custom<JsonWebKey>((v) => isRecord(v), { error: "must be a JWK object" }).superRefine((jwk, ctx) => {
    for (const p of check(jwk)) fail(ctx, p.rule, p.message);
  });
}

const name = (pattern: RegExp, what: string, ruleId = "bad-name") =>
  z.string().superRefine(rule(ruleId, (v: string) => pattern.test(v), (v) => `${what} ${JSON.stringify(v)} must match ${pattern.source}`));

const hex64 = (what: string) =>
  z.string().superRefine(rule("bad-hex", (v: string) => HEX64.test(v), `${what} must be 64 lowercase hex characters`));

const columnSchema = z.strictObject({
  name: name(COLUMN_NAME, "column name"),
  type: z
    .string()
    .superRefine(
      rule(
        "bad-column-type",
        isSupportedColumnType,
        (v) => `column type ${JSON.stringify(v)} is not supported: use ${SIMPLE_COLUMN_TYPES.join(", ")} or DECIMAL(p,s) with 1 <= p <= 38, 0 <= s <= p`,
      ),
    ),
});

const partySchema = (phase: ContractPhase) =>
  z.strictObject({
    name: name(PARTY_NAME, "party name"),
    signingKey: suppliedLater(jwkSchema(checkSigningJwk), phase),
    kek: suppliedLater(
      z.strictObject({
        // Derived by the plan from the vault name and the release policy: absent from a draft.
        keyId: suppliedLater(
          z
            .string()
            .superRefine(
              rule("bad-key-id", (v: string) => isKeyVaultKeyId(v), (v) => `keyId ${JSON.stringify(v)} must be a Key Vault key id https://<vault>/keys/<name>[/<version>]`),
            ),
          phase,
        ),
        publicKey: suppliedLater(jwkSchema(checkKekJwk), phase),
      }),
      phase,
    ),
  });

/** Aggregates an owner may allow per column (enforced mode); the analyzer refuses every other function. */
export const ANALYSIS_AGGREGATES = ["COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"] as const;

const columnRef = (what: string) => name(COLUMN_NAME, what, "bad-column-name");

const clampSchema = z
  .strictObject({ min: z.number(), max: z.number() })
  .superRefine(rule("clamp-range", (v: { min: number; max: number }) => Number.isFinite(v.min) && Number.isFinite(v.max) && v.min <= v.max, (v) => `clamp needs finite bounds with min <= max; got min ${v.min}, max ${v.max}`));

/**
 * The owner's analysis rules (issue #10): which query shapes may read this dataset. Declaring them on
 * any dataset puts the contract in enforced mode (the query is checked on DuckDB's parse tree and k is
 * counted by the engine); whether the columns exist is checked in contract-semantics.ts.
 */
const analysisSchema = z.strictObject({
  privacyUnit: columnRef("privacyUnit"),
  dimensions: z.array(columnRef("dimension")),
  joinColumns: z.array(columnRef("join column")).optional(),
  aggregates: z.record(z.string(), z.array(z.enum(ANALYSIS_AGGREGATES))).optional(),
  clamp: z.record(z.string(), clampSchema).optional(),
  minGroupSize: z
    .number()
    .superRefine((k, ctx) => {
      const problem = minGroupSizeProblem(k);
      if (problem) fail(ctx, problem.rule, problem.message);
    })
    .optional(),
});

const datasetSchema = (phase: ContractPhase) =>
  z.strictObject({
  name: name(DATASET_NAME, "dataset name"),
  owner: z.string(),
  blobPath: z.string().superRefine((v, ctx) => {
    const problem = blobPathProblem(v);
    if (problem) fail(ctx, "bad-blob-path", problem);
  }),
  format: z.enum(["csv", "parquet"]),
  schema: z.array(columnSchema).superRefine(rule("empty-schema", (v: unknown[]) => v.length > 0, "a dataset needs at least one column")),
  ciphertextSha256: suppliedLater(hex64("ciphertextSha256"), phase),
  plaintextLength: suppliedLater(
    z.number().superRefine(
      rule(
        "bad-length",
        (v: number) => Number.isSafeInteger(v) && v >= 0,
        (v) => `plaintextLength must be a non-negative integer; got ${v}`,
      ),
    ),
    phase,
  ),
  analysis: analysisSchema.optional(),
});

/** The smallest minimum group size (k) any contract may set: k = 1 releases single individuals. */
export const MIN_GROUP_SIZE = 2;

/**
 * The one rule for k, for every phase and process: the contract schema, the components (before the
 * contract exists), the enclave's privacy guard and the receipt format all ask it.
 */
export function minGroupSizeProblem(k: unknown): { rule: "k-not-integer" | "k-too-small"; message: string } | undefined {
  if (typeof k !== "number" || !Number.isInteger(k)) return { rule: "k-not-integer", message: `minGroupSize (k) must be an integer; got ${String(k)}` };
  if (k < MIN_GROUP_SIZE) return { rule: "k-too-small", message: `minGroupSize (k) must be at least ${MIN_GROUP_SIZE}; got ${k} (k = 1 releases single individuals)` };
  return undefined;
}

/** Largest contribution bound (C, N): beyond it the noise of every count drowns the signal. */
export const MAX_DP_BOUND = 1000;
export const MAX_DP_DECIMALS = 6;

/** epsilon > 0; delta in (0, 1): both decimals, read exactly. */
const dpAmount = (what: "epsilon" | "delta") =>
  z.unknown().superRefine((v, ctx) => {
    const problem = decimalProblem(v);
    if (problem) return fail(ctx, "bad-decimal", `${what} ${problem}`);
    const value = v as number | string;
    if (compareDecimals(value, 0) <= 0) fail(ctx, "dp-not-positive", `${what} must be > 0, got ${String(value)}`);
    else if (what === "delta" && compareDecimals(value, 1) >= 0) fail(ctx, "dp-delta-range", `delta must be below 1, got ${String(value)}`);
  });

const dpBound = (what: string) =>
  z.number().superRefine(rule("dp-bound", (v: number) => Number.isInteger(v) && v >= 1 && v <= MAX_DP_BOUND, (v) => `${what} must be an integer from 1 to ${MAX_DP_BOUND}; got ${v}`));

const dpSchema = z.strictObject({
  epsilon: dpAmount("epsilon"),
  delta: dpAmount("delta"),
  budget: z.strictObject({ epsilon: dpAmount("epsilon"), delta: dpAmount("delta") }),
  maxGroupsPerUnit: dpBound("maxGroupsPerUnit"),
  maxRowsPerUnit: dpBound("maxRowsPerUnit"),
  decimals: z
    .number()
    .superRefine(rule("dp-decimals", (v: number) => Number.isInteger(v) && v >= 0 && v <= MAX_DP_DECIMALS, (v) => `decimals must be an integer from 0 to ${MAX_DP_DECIMALS}; got ${v}`))
    .optional(),
});

const privacySchema = z.strictObject({
  minGroupSize: z.number().superRefine((k, ctx) => {
    const problem = minGroupSizeProblem(k);
    if (problem) fail(ctx, problem.rule, problem.message);
  }),
  countColumn: z.string().superRefine(rule("empty-column", (v: string) => v.trim() !== "", "countColumn must name an output column")),
  allowedColumns: z
    .array(z.string().superRefine(rule("empty-allowed-column", (v: string) => v.trim() !== "", "allowed column names must not be empty")))
    .superRefine(rule("no-allowed-columns", (v: unknown[]) => v.length > 0, "allowedColumns must list at least the count column")),
  mode: z.enum(["dp"]).optional(),
  dp: dpSchema.optional(),
});

const limit = (field: keyof RunLimits) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      const problem = runLimitProblem(field, v);
      if (problem) fail(ctx, "limit-out-of-range", problem);
    })
    .optional();

const limitsSchema = z.strictObject({ timeoutSeconds: limit("timeoutSeconds"), maxRows: limit("maxRows"), maxBytes: limit("maxBytes") }).optional();

const contractSchemaFor = (phase: ContractPhase) => z.strictObject({
  version: z.unknown().superRefine(
    rule("unsupported-version", (v) => v === CONTRACT_VERSION, (v) => `version must be "${CONTRACT_VERSION}"; got ${JSON.stringify(v)}`),
  ),
  collaboration: name(COLLABORATION_NAME, "collaboration name"),
  parties: z.array(partySchema(phase)),
  datasets: z.array(datasetSchema(phase)),
  sql: z.string().superRefine((sql, ctx) => {
    if (sql.trim() === "") fail(ctx, "empty-sql", "sql must be the query the parties approve; it is empty");
    else if (sql.length > MAX_SQL_LENGTH) fail(ctx, "sql-too-long", `sql is longer than ${MAX_SQL_LENGTH} characters`);
  }),
  privacy: privacySchema,
  recipients: z
    .array(z.string())
    .superRefine(rule("no-recipients", (v: unknown[]) => v.length > 0, "recipients must name at least one party to receive the result")),
  enclave: z.strictObject({
    image: z.string().superRefine((v, ctx) => {
      const problem = pinnedImageProblem(v);
      if (problem) fail(ctx, "image-not-pinned", problem);
    }),
  }),
  // Checked by checkAttestationRequirements (shared with the release-policy builder); the plan derives it.
  attestation: suppliedLater(z.unknown(), phase),
  limits: limitsSchema,
});

const contractSchemas: Record<ContractPhase, ReturnType<typeof contractSchemaFor>> = { final: contractSchemaFor("final"), draft: contractSchemaFor("draft") };

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Field-level issues, translated from zod into {path, rule, message}. */
export function schemaIssues(input: unknown, phase: ContractPhase = "final"): ValidationIssue[] {
  const result = contractSchemas[phase].safeParse(input);
  if (result.success) return [];
  const out = new IssueList({ keepDuplicates: true });
  for (const issue of result.error.issues) {
    const segs = issue.path.filter((s): s is string | number => typeof s !== "symbol");
    const path = formatPath(segs);
    switch (issue.code) {
      case "custom": {
        const ruleId = (issue.params as { rule?: string } | undefined)?.rule;
        if (ruleId) out.push({ path, rule: ruleId, message: issue.message });
        else if (valueAt(input, issue.path) === undefined) out.push({ path, rule: "required", message: `${path} is required` });
        else out.push({ path, rule: "type", message: `${path} ${issue.message}` });
        break;
      }
      case "invalid_type": {
        const actual = valueAt(input, issue.path);
        if (actual === undefined) out.push({ path, rule: "required", message: `${path || "contract"} is required` });
        else out.push({ path, rule: "type", message: `${path || "contract"} must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}, not ${describeType(actual)}` });
        break;
      }
      case "unrecognized_keys":
        for (const key of issue.keys) {
          out.push({
            path: formatPath([...segs, key]),
            rule: "unknown-field",
            message: `unknown field ${JSON.stringify(key)}: the contract format has no such field (a typo would silently change what parties approve)`,
          });
        }
        break;
      case "invalid_value":
        out.push({
          path,
          rule: "invalid-value",
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        });
        break;
      default:
        out.push({ path, rule: issue.code, message: issue.message });
    }
  }
  return out.items;
}
