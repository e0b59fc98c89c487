// Rules that relate several fields of a contract. They read the raw input defensively (every
// access is type-checked) so that they still run, and report, when other fields are malformed.
import { checkAttestationRequirements } from "./attestation-requirements.ts";
import { isRecord, joinPath, type IssueList } from "./issues.ts";
import { compareDecimals, decimalProblem } from "./decimal.ts";
import { PRIVATE_JWK_MEMBERS, privateJwkMembers } from "./jwk.ts";
import type { ContractPhase } from "./types.ts";

const MIN_PARTIES = 2;

function stringsWithIndex(value: unknown): { value: string; index: number }[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v, index) => (typeof v === "string" ? [{ value: v, index }] : []));
}

/** Reports every repeat after the first occurrence; `fold` decides which spellings collide. */
function reportDuplicates(
  items: { value: string; index: number }[],
  pathOf: (index: number) => string,
  issues: IssueList,
  ruleId: string,
  what: string,
  fold: (s: string) => string = (s) => s,
): void {
  const first = new Map<string, number>();
  for (const { value, index } of items) {
    const key = fold(value);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, index);
    else issues.add(pathOf(index), ruleId, `${what} ${JSON.stringify(value)} is already used at index ${seen}`);
  }
}

/**
 * Private key material anywhere in the document. A contract is shared with every party and stored
 * in the cluster; a private key in it is disclosed to all of them.
 */
function scanForPrivateKeys(value: unknown, path: string, issues: IssueList, depth = 0): void {
  if (depth > 64) return;
  if (typeof value === "string") {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) {
      issues.add(
        path,
        "private-key-material",
        "contains a PEM private key. A contract is shared with every party: remove it and treat the key as compromised (generate a new one)",
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => scanForPrivateKeys(item, joinPath(path, i), issues, depth + 1));
    return;
  }
  if (!isRecord(value)) return;
  if (typeof value.kty === "string") {
    const found = privateJwkMembers(value);
    if (found.length > 0) {
      issues.add(
        path,
        "private-key-material",
        `is a private key (it has ${found.map((m) => JSON.stringify(m)).join(", ")}); only the public key belongs in a contract. ` +
          "This is a serious mistake: everyone who received this file can act with that key. Remove the private members " +
          `(${PRIVATE_JWK_MEMBERS.join(", ")}) and rotate the key`,
      );
    }
  }
  for (const [key, child] of Object.entries(value)) scanForPrivateKeys(child, joinPath(path, key), issues, depth + 1);
}

/** An owner's analysis rules name schema columns, never group by the unit, and clamp what they let be summed. */
function analysisIssues(analysis: Record<string, unknown>, schema: Set<string>, path: string, issues: IssueList): void {
  const notInSchema = (where: string, column: string) =>
    issues.add(where, "analysis-unknown-column", `column ${JSON.stringify(column)} is not in this dataset's schema (${[...schema].join(", ")})`);
  const unit = typeof analysis.privacyUnit === "string" ? analysis.privacyUnit : undefined;
  if (unit !== undefined && !schema.has(unit)) notInSchema(`${path}.privacyUnit`, unit);
  for (const field of ["dimensions", "joinColumns"] as const) {
    const listed = stringsWithIndex(analysis[field]);
    reportDuplicates(listed, (j) => `${path}.${field}[${j}]`, issues, "duplicate-analysis-column", field === "dimensions" ? "dimension" : "join column");
    for (const { value, index } of listed) if (!schema.has(value)) notInSchema(`${path}.${field}[${index}]`, value);
  }
  for (const { value, index } of stringsWithIndex(analysis.dimensions)) {
    if (value === unit) {
      issues.add(`${path}.dimensions[${index}]`, "unit-as-dimension", `the privacy unit ${JSON.stringify(value)} cannot be a dimension: grouping by it releases one individual per row`);
    }
  }
  const clamp = isRecord(analysis.clamp) ? analysis.clamp : {};
  for (const column of Object.keys(clamp)) if (!schema.has(column)) notInSchema(`${path}.clamp.${column}`, column);
  if (isRecord(analysis.aggregates)) {
    for (const [column, allowed] of Object.entries(analysis.aggregates)) {
      if (!schema.has(column)) notInSchema(`${path}.aggregates.${column}`, column);
      const valueOf = Array.isArray(allowed) ? allowed.filter((a) => a !== "COUNT" && a !== "COUNT_DISTINCT") : [];
      if (column === unit && valueOf.length > 0) {
        issues.add(`${path}.aggregates.${column}`, "unit-aggregate", `the privacy unit ${JSON.stringify(column)} may only be counted (COUNT, COUNT_DISTINCT): ${valueOf.join(", ")} would release an individual's identifier`);
      }
      const summed = Array.isArray(allowed) && allowed.some((a) => a === "SUM" || a === "AVG");
      if (summed && !(column in clamp)) {
        issues.add(`${path}.aggregates.${column}`, "clamp-required", `column ${JSON.stringify(column)} allows SUM or AVG, so analysis.clamp.${column} must bound what one row can contribute`);
      }
    }
  }
}

/** Default fixed-point places of noisy sums (privacy.dp.decimals). */
export const DEFAULT_DP_DECIMALS = 2;

const isDecimal = (v: unknown): v is number | string => decimalProblem(v) === undefined;

/** Differential privacy: mode and rules together, runs within the budget, every dataset analysed, clamps on the sum's grid. */
function dpIssues(privacy: Record<string, unknown>, datasets: unknown[] | undefined, issues: IssueList): void {
  const dp = isRecord(privacy.dp) ? privacy.dp : undefined;
  if (privacy.mode === "dp" && privacy.dp === undefined) issues.add("privacy.dp", "dp-rules-missing", 'privacy.mode "dp" needs privacy.dp (epsilon, delta, budget, maxGroupsPerUnit, maxRowsPerUnit)');
  if (privacy.dp !== undefined && privacy.mode !== "dp") issues.add("privacy.mode", "dp-mode-missing", 'privacy.dp is set but privacy.mode is not "dp": say which mode the parties approve');
  if (privacy.mode !== "dp" || !dp) return;
  const budget = isRecord(dp.budget) ? dp.budget : {};
  for (const what of ["epsilon", "delta"] as const) {
    const run = dp[what];
    const total = budget[what];
    if (isDecimal(run) && isDecimal(total) && compareDecimals(run, total) > 0) {
      issues.add(`privacy.dp.${what}`, "dp-over-budget", `one run's ${what} ${String(run)} exceeds the whole budget's ${String(total)}: no run could ever happen`);
    }
  }
  const decimals = typeof dp.decimals === "number" && Number.isInteger(dp.decimals) ? dp.decimals : DEFAULT_DP_DECIMALS;
  const unit = 10 ** decimals;
  (datasets ?? []).forEach((d, i) => {
    if (!isRecord(d)) return;
    if (!isRecord(d.analysis)) {
      issues.add(`datasets[${i}].analysis`, "dp-needs-analysis", "differential privacy needs every dataset's analysis rules (its privacy unit above all)");
      return;
    }
    const clamp = isRecord(d.analysis.clamp) ? d.analysis.clamp : {};
    for (const [column, bounds] of Object.entries(clamp)) {
      if (!isRecord(bounds)) continue;
      for (const side of ["min", "max"] as const) {
        const v = bounds[side];
        if (typeof v === "number" && Number.isFinite(v) && Math.round(v * unit) / unit !== v) {
          issues.add(`datasets[${i}].analysis.clamp.${column}.${side}`, "clamp-off-grid", `${v} is not a multiple of 10^-${decimals} (privacy.dp.decimals): noisy sums are exact only on that grid`);
        }
      }
    }
  });
}

export function semanticIssues(input: unknown, issues: IssueList, phase: ContractPhase = "final"): void {
  if (!isRecord(input)) return;

  // Parties
  const parties = Array.isArray(input.parties) ? input.parties : undefined;
  const partyNames = parties
    ? parties.flatMap((p, index) => (isRecord(p) && typeof p.name === "string" ? [{ value: p.name, index }] : []))
    : [];
  const known = new Set(partyNames.map((p) => p.value));
  if (parties && parties.length < MIN_PARTIES) {
    issues.add(
      "parties",
      "too-few-parties",
      `a collaboration needs at least ${MIN_PARTIES} parties; this one has ${parties.length}`,
    );
  }
  reportDuplicates(partyNames, (i) => `parties[${i}].name`, issues, "duplicate-party", "party name");

  // Datasets
  const datasets = Array.isArray(input.datasets) ? input.datasets : undefined;
  if (datasets && datasets.length === 0) {
    issues.add("datasets", "no-datasets", "a contract needs at least one dataset");
  }
  if (datasets) {
    const names = datasets.flatMap((d, index) => (isRecord(d) && typeof d.name === "string" ? [{ value: d.name, index }] : []));
    // SQL identifiers are case-insensitive in DuckDB, so "Claims" and "claims" would be one table.
    reportDuplicates(names, (i) => `datasets[${i}].name`, issues, "duplicate-dataset", "dataset name", (s) => s.toLowerCase());
    datasets.forEach((d, i) => {
      if (!isRecord(d)) return;
      if (typeof d.owner === "string" && parties && !known.has(d.owner)) {
        issues.add(
          `datasets[${i}].owner`,
          "unknown-party",
          `owner ${JSON.stringify(d.owner)} is not one of the parties (${[...known].join(", ") || "none"}); every dataset must be owned by a party that approves it`,
        );
      }
      if (Array.isArray(d.schema)) {
        const columns = d.schema.flatMap((c, index) =>
          isRecord(c) && typeof c.name === "string" ? [{ value: c.name, index }] : [],
        );
        reportDuplicates(columns, (j) => `datasets[${i}].schema[${j}].name`, issues, "duplicate-column", "column name", (s) =>
          s.toLowerCase(),
        );
        if (isRecord(d.analysis)) analysisIssues(d.analysis, new Set(columns.map((c) => c.value)), `datasets[${i}].analysis`, issues);
      }
    });
  }

  // Recipients
  const recipients = stringsWithIndex(input.recipients);
  for (const { value, index } of recipients) {
    if (parties && !known.has(value)) {
      issues.add(
        `recipients[${index}]`,
        "unknown-recipient",
        `recipient ${JSON.stringify(value)} is not one of the parties (${[...known].join(", ") || "none"}); results are encrypted only to parties`,
      );
    }
  }
  reportDuplicates(recipients, (i) => `recipients[${i}]`, issues, "duplicate-recipient", "recipient");

  // Privacy
  if (isRecord(input.privacy)) {
    const allowed = stringsWithIndex(input.privacy.allowedColumns);
    reportDuplicates(allowed, (i) => `privacy.allowedColumns[${i}]`, issues, "duplicate-allowed-column", "allowed column", (s) =>
      s.toLowerCase(),
    );
    const count = input.privacy.countColumn;
    if (typeof count === "string" && count.trim() !== "" && Array.isArray(input.privacy.allowedColumns)) {
      if (!allowed.some((a) => a.value === count)) {
        issues.add(
          "privacy.countColumn",
          "count-column-not-allowed",
          `countColumn ${JSON.stringify(count)} must also be listed in allowedColumns, or the group size could never be checked on released rows`,
        );
      }
    }
  }

  if (isRecord(input.privacy)) dpIssues(input.privacy, datasets, issues);

  // Attestation (the same checks the release-policy builder applies); a draft has none yet.
  if (input.attestation === undefined) {
    if (phase === "final") issues.add("attestation", "required", "attestation is required");
  } else {
    for (const issue of checkAttestationRequirements(input.attestation, "attestation")) {
      issues.add(issue.path, issue.rule, issue.message);
    }
  }

  scanForPrivateKeys(input, "", issues);
}
