// Typed errors of the enclave runtime. Every error carries a machine-readable `code`, the pipeline
// `step` it happened in and, when known, the party and dataset, so an operator can act on one log
// line. Messages never contain rows, key material or whole tokens.

export type RuntimeStep =
  | "config"
  | "load"
  | "approvals"
  | "analyze"
  | "attest"
  | "release"
  | "unwrap"
  | "download"
  | "decrypt"
  | "sql"
  | "privacy"
  | "ledger"
  | "encrypt"
  | "upload"
  | "receipt"
  | "cleanup";

export type RuntimeErrorCode =
  | "CONFIG_INVALID"
  | "CONTRACT_INVALID"
  | "APPROVALS_INVALID"
  | "SQL_MISMATCH"
  | "IMAGE_MISMATCH"
  | "SIGNERS_MISMATCH"
  | "ATTESTATION_FAILED"
  | "ATTESTER_UNSUPPORTED"
  | "KEY_RELEASE_DENIED"
  | "KEY_RELEASE_FAILED"
  | "RELEASE_RESPONSE_INVALID"
  | "KEY_UNWRAP_FAILED"
  | "KEY_MISMATCH"
  | "DATASET_METADATA_INVALID"
  | "DATASET_FETCH_FAILED"
  | "DATASET_INTEGRITY"
  | "QUERY_REFUSED"
  | "SQL_REFUSED"
  | "SQL_FAILED"
  | "SQL_LIMIT_EXCEEDED"
  | "PRIVACY_REFUSED"
  | "OUTPUT_FAILED"
  | "RECEIPT_INVALID"
  | "INTERNAL";

export interface RuntimeErrorContext {
  step: RuntimeStep;
  party?: string;
  dataset?: string;
  cause?: unknown;
}

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  readonly step: RuntimeStep;
  readonly party?: string;
  readonly dataset?: string;

  constructor(code: RuntimeErrorCode, message: string, ctx: RuntimeErrorContext) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.name = "RuntimeError";
    this.code = code;
    this.step = ctx.step;
    if (ctx.party !== undefined) this.party = ctx.party;
    if (ctx.dataset !== undefined) this.dataset = ctx.dataset;
  }

  /** One structured, log-safe object (no stack, no cause payloads). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      step: this.step,
      ...(this.party !== undefined ? { party: this.party } : {}),
      ...(this.dataset !== undefined ? { dataset: this.dataset } : {}),
      message: this.message,
    };
  }
}

/** Attestation could not be obtained (sidecar, AzureAttestSKR/AttestationClient, local authority). */
export class AttestationError extends RuntimeError {
  readonly attester: string;
  constructor(attester: string, message: string, ctx: Omit<RuntimeErrorContext, "step"> & { code?: RuntimeErrorCode } = {}) {
    super(ctx.code ?? "ATTESTATION_FAILED", `${attester} attester: ${message}`, { ...ctx, step: "attest" });
    this.name = "AttestationError";
    this.attester = attester;
  }
}

/** Key Vault refused or failed to release a key, or the release response did not verify. */
export class KeyReleaseError extends RuntimeError {
  readonly vault?: string;
  constructor(
    code: "KEY_RELEASE_DENIED" | "KEY_RELEASE_FAILED" | "RELEASE_RESPONSE_INVALID" | "KEY_UNWRAP_FAILED" | "KEY_MISMATCH",
    message: string,
    ctx: Omit<RuntimeErrorContext, "step"> & { vault?: string; step?: RuntimeStep } = {},
  ) {
    super(code, message, { ...ctx, step: ctx.step ?? "release" });
    this.name = "KeyReleaseError";
    if (ctx.vault !== undefined) this.vault = ctx.vault;
  }
}

/**
 * Confidential-container mode: the token's x-ms-sevsnpvm-hostdata is not the contract's approved
 * container policy hash. Raised after attesting and before any vault is asked; the code is
 * KEY_RELEASE_DENIED because every party's release policy pins the same value and would refuse.
 */
export class HostdataMismatchError extends KeyReleaseError {
  readonly claim: string;
  /** The contract's attestation.hostdata. */
  readonly expected: string;
  /** The token's value (undefined when absent). */
  readonly actual?: string;
  constructor(claim: string, expected: string, actual: string | undefined, message: string) {
    super("KEY_RELEASE_DENIED", message, { step: "attest" });
    this.name = "HostdataMismatchError";
    this.claim = claim;
    this.expected = expected;
    if (actual !== undefined) this.actual = actual;
  }

  override toJSON(): Record<string, unknown> {
    // Hostdata values are policy hashes, not secrets; shortened all the same to keep lines readable.
    return { ...super.toJSON(), claim: this.claim, expected: shortHex(this.expected), ...(this.actual !== undefined ? { actual: shortHex(this.actual) } : {}) };
  }
}

function shortHex(value: string): string {
  return value.length > 24 ? `${value.slice(0, 16)}…${value.slice(-8)}` : value;
}

export class SqlError extends RuntimeError {
  constructor(code: "SQL_REFUSED" | "SQL_FAILED" | "SQL_LIMIT_EXCEEDED", message: string, ctx: Omit<RuntimeErrorContext, "step"> = {}) {
    super(code, message, { ...ctx, step: "sql" });
    this.name = "SqlError";
  }
}

/**
 * Enforced mode: the approved query breaks the owners' analysis rules. Raised before attestation and
 * key release; names each clause and rule (the SQL is the contract's, so quoting its shape is safe).
 */
export class QueryRefusedError extends RuntimeError {
  readonly problems: readonly { clause: string; rule: string; message: string }[];
  constructor(problems: readonly { clause: string; rule: string; message: string }[]) {
    super("QUERY_REFUSED", `the approved query breaks the owners' analysis rules: ${problems.map((p) => `${p.clause} [${p.rule}] ${p.message}`).join("; ")}`, { step: "analyze" });
    this.name = "QueryRefusedError";
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}

export class PrivacyError extends RuntimeError {
  readonly rule: string;
  constructor(rule: string, message: string) {
    super("PRIVACY_REFUSED", message, { step: "privacy" });
    this.name = "PrivacyError";
    this.rule = rule;
  }
}

export class ConfigError extends RuntimeError {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super("CONFIG_INVALID", `${variable}: ${message}`, { step: "config" });
    this.name = "ConfigError";
    this.variable = variable;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), variable: this.variable };
  }
}

// A long run of base64/hex is treated as a possible token or key; claim names such as
// "x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable" (dots, many hyphens, no digits) are kept.
function looksSecret(run: string): boolean {
  const hyphens = run.split("-").length - 1;
  return /\d/.test(run) && hyphens <= run.length / 10;
}

/** Removes long base64/hex runs from text produced by external tools before it reaches a message. */
export function scrubSecrets(text: string, maxLength = 400): string {
  const scrubbed = text
    .replace(/[A-Za-z0-9+/_=-]{40,}/g, (run) => (looksSecret(run) ? "<redacted>" : run))
    .replace(/\s+/g, " ")
    .trim();
  return scrubbed.length > maxLength ? `${scrubbed.slice(0, maxLength)}…` : scrubbed;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
