// The protocol's data model. These shapes are a contract with the components, the runtime, the
// policy pack and the local Key Vault stand-in: change them only together with those callers.
import type { JsonWebKey } from "node:crypto";

export type { JsonWebKey };

export type IsolationMode = "confidential-node" | "confidential-container";

export interface AttestationRequirements {
  /** https URL of the Microsoft Azure Attestation (MAA) endpoint; matched against the token's `iss`. */
  authority: string;
  mode: IsolationMode;
  /** 64 lowercase hex (sha256 of the container security policy); required iff mode = confidential-container. */
  hostdata?: string;
  /**
   * The `x-ms-policy-hash` claim (base64url sha256 of the attestation provider's policy) every token
   * must carry. Pins the policy of a dedicated provider, whose policy its subscription's owners can
   * replace; shared regional providers' policies cannot be altered, so it is optional there.
   */
  policyHash?: string;
  /**
   * Version of `az confcom` that generated the container security policy whose hash is `hostdata`
   * (confidential-container mode only): a party re-running the generator needs the same version to
   * reproduce the hash.
   */
  confcomVersion?: string;
}

export interface ColumnSpec {
  name: string;
  /** DuckDB type name: VARCHAR, BIGINT, INTEGER, DOUBLE, DATE, TIMESTAMP, BOOLEAN, DECIMAL(p,s). */
  type: string;
}

export interface DatasetSpec {
  /** SQL table name, ^[a-z_][a-z0-9_]{0,62}$ */
  name: string;
  /** Name of the party that owns (and must approve) this dataset. */
  owner: string;
  /** "<container>/<blob name>" in the shared storage account. */
  blobPath: string;
  format: "csv" | "parquet";
  schema: ColumnSpec[];
  /** 64 lowercase hex: sha256 of the encrypted blob the owner approved. */
  ciphertextSha256: string;
  plaintextLength: number;
  /** The owner's analysis rules; any dataset declaring them puts the contract in enforced mode. */
  analysis?: DatasetAnalysis;
}

export type AnalysisAggregate = "COUNT" | "COUNT_DISTINCT" | "SUM" | "AVG" | "MIN" | "MAX";

/**
 * What an owner allows a query to do with its dataset (enforced mode). Columns are schema columns.
 */
export interface DatasetAnalysis {
  /** The column identifying one individual (customer id, patient id): k counts distinct values of it. */
  privacyUnit: string;
  /** Columns allowed in GROUP BY, WHERE and as plain output columns. Never the privacy unit. */
  dimensions: string[];
  /** Columns this dataset may be joined on (equality only). */
  joinColumns?: string[];
  /** Allowed aggregates per column; COUNT(*) is always allowed. */
  aggregates?: Record<string, AnalysisAggregate[]>;
  /** Bounds each summed or averaged value is clamped to before aggregation; required for SUM/AVG columns. */
  clamp?: Record<string, { min: number; max: number }>;
  /** This owner's k; the run uses the maximum over privacy.minGroupSize and every owner's value. */
  minGroupSize?: number;
}

export interface PartySpec {
  /** ^[a-z][a-z0-9-]{1,22}$ */
  name: string;
  /** Public key that verifies this party's approvals: EC P-256 (ES256) or RSA >= 2048 (RS256). */
  signingKey: JsonWebKey;
  kek: {
    /** Key Vault key id, https://<vault>/keys/<name>[/<version>] */
    keyId: string;
    /** RSA public key (>= 2048 bits) of that Key Vault key. */
    publicKey: JsonWebKey;
  };
}

export interface PrivacyRules {
  /** k: the minimum number of individuals behind every released row; integer >= 2. */
  minGroupSize: number;
  /** Output column holding the group size that k is checked against. */
  countColumn: string;
  /** Output column allow-list; must include countColumn. */
  allowedColumns: string[];
  /** "dp": differential privacy (needs `dp` and analysis rules on every dataset); absent: k only. */
  mode?: "dp";
  dp?: DpRules;
}

/** A decimal as written, "0.5" or 0.5 (read exactly, never as the nearest double). */
export type DecimalValue = number | string;

/**
 * Differential privacy for every run of the contract (docs/differential-privacy.md). Neighbouring
 * inputs differ by one privacy unit (the datasets' analysis.privacyUnit, joined to one another).
 */
export interface DpRules {
  /** Privacy loss of one run, shared out over the released group set and each aggregate. */
  epsilon: DecimalValue;
  /** Of one run: the chance a group of a single unit is released (the group threshold). */
  delta: DecimalValue;
  /** Total over every run of this contract, enforced by the enclave's ledger. */
  budget: { epsilon: DecimalValue; delta: DecimalValue };
  /** C: one unit counts in at most this many output groups (the others are dropped). */
  maxGroupsPerUnit: number;
  /** N: one unit adds at most this many rows to one group's counts and sums. */
  maxRowsPerUnit: number;
  /** Fixed-point places of noisy sums and averages (default 2); clamp bounds must lie on that grid. */
  decimals?: number;
}

/**
 * Bounds on the approved SQL; each optional, the enclave's default applies to what is left out
 * (run-limits.ts: 15 min, 10,000,000 rows, 1 GiB). Exceeding one fails the run, writing nothing.
 */
export interface RunLimits {
  /** Wall-clock time of the approved query, seconds. */
  timeoutSeconds?: number;
  /** Rows of the query's result (before the privacy guard). */
  maxRows?: number;
  /** Size of the query's result as JSON values (before the privacy guard), bytes. */
  maxBytes?: number;
}

export interface Contract {
  version: "1.0";
  collaboration: string;
  parties: PartySpec[];
  datasets: DatasetSpec[];
  sql: string;
  privacy: PrivacyRules;
  /** Party names that receive the result. */
  recipients: string[];
  /** Pinned enclave image: ...@sha256:<64 hex>. */
  enclave: { image: string };
  attestation: AttestationRequirements;
  /** Optional bounds on the approved SQL (absent: the enclave's defaults). */
  limits?: RunLimits;
}

/**
 * A contract before the parties have supplied their keys and digests (phase 1): what the components
 * can check early. The plan adds the key ids and the attestation requirements once it derives them.
 */
export interface ContractDraft extends Omit<Contract, "parties" | "datasets" | "attestation"> {
  parties: (Pick<PartySpec, "name"> & { signingKey?: PartySpec["signingKey"]; kek?: Partial<PartySpec["kek"]> })[];
  datasets: (Omit<DatasetSpec, "ciphertextSha256" | "plaintextLength"> & Partial<Pick<DatasetSpec, "ciphertextSha256" | "plaintextLength">>)[];
  attestation?: AttestationRequirements;
}

/** "final": every field present (what parties sign); "draft": a ContractDraft, checked before keys and digests exist. */
export type ContractPhase = "final" | "draft";

export interface ValidationIssue {
  /** Where the problem is, e.g. "datasets[1].owner" ("" for the document itself). */
  path: string;
  /** Short machine-readable rule id, e.g. "unknown-party". */
  rule: string;
  message: string;
}

/** Party name -> compact JWS approval. */
export type Approvals = Record<string, string>;

export interface ApprovalReport {
  ok: boolean;
  contractHash: string;
  /** Parties whose approval is required (every dataset owner), sorted. */
  required: string[];
  /** Parties whose approval verified (required or not), sorted. */
  approved: string[];
  /** Required parties with no approval at all, sorted. */
  missing: string[];
  /** Approvals that were supplied but do not verify, with the reason. */
  invalid: { party: string; reason: string }[];
}

// Key Vault Secure Key Release policy grammar
// (learn.microsoft.com/azure/key-vault/keys/policy-grammar).
export type ClaimOperator =
  | "equals"
  | "notEquals"
  | "less"
  | "lessOrEquals"
  | "greater"
  | "greaterOrEquals"
  | "exists";

export type ClaimCondition = { claim: string } & Partial<Record<ClaimOperator, unknown>>;
export type Condition = ClaimCondition | { allOf: Condition[] } | { anyOf: Condition[] };

export interface AuthorityRule {
  authority: string;
  allOf?: Condition[];
  anyOf?: Condition[];
}

export interface ReleasePolicy {
  version: "1.0.0";
  anyOf: AuthorityRule[];
}

/** Decoded attestation token payload. */
export type Claims = Record<string, unknown>;

export interface PolicyFailure {
  /** The authority rule that was evaluated, when one matched the token issuer. */
  authority?: string;
  /** Where in the policy the failing condition is, e.g. "anyOf[0].allOf[2]". */
  path: string;
  claim?: string;
  operator?: string;
  expected?: unknown;
  /** The value the token carried; undefined when the claim is absent (then `absent` is true). */
  actual?: unknown;
  absent?: boolean;
  reason: string;
}

export type PolicyDecision =
  | { allowed: true; authority: string }
  | { allowed: false; failure: PolicyFailure };
