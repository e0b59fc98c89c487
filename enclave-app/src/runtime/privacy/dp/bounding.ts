// Contribution bounding: the sensitivities the mechanisms assume hold only if no privacy unit
// contributes more than N rows (or to more than C groups). Which rows survive is decided by an
// HMAC-SHA256 under a per-run secret generated inside the enclave: the choice is uniform-looking
// and fixed for the run, but nobody outside can predict it, so a party cannot craft rows that are
// sure to be kept (or dropped) to steer the result.
import { createHmac, randomBytes } from "node:crypto";
import { canonicalJson } from "../../../protocol/canonical.ts";
import { DpParameterError } from "./errors.ts";
import { checkBound } from "./params.ts";

const SECRET_BYTES = 32;

/** A fresh per-run bounding secret (256 bits from the CSPRNG); never written out. */
export function newRunSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SECRET_BYTES));
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length < SECRET_BYTES) throw new DpParameterError("secret", `must be at least ${SECRET_BYTES} bytes (use newRunSecret()), got ${secret.length}`);
}

/** Rank of an item within its unit: HMAC(secret, canonical [purpose, unit, key, occurrence]). */
function rank(secret: Uint8Array, purpose: string, unit: string, key: string, occurrence = 0): string {
  return createHmac("sha256", secret).update(canonicalJson([purpose, unit, key, occurrence])).digest("hex");
}

export interface RowBoundingOptions<T> {
  /** The privacy unit a row belongs to (a customer id, a patient id). */
  unitOf: (row: T) => string;
  maxRowsPerUnit: number;
  secret: Uint8Array;
  /**
   * What identifies a row for ranking; default its canonical JSON. Repeats of one key are ranked by
   * occurrence, so many copies of a row get independent ranks instead of all winning or all losing.
   */
  rowKey?: (row: T) => string;
}

/** At most N rows per unit, chosen by keyed hash; the kept rows stay in input order. */
export function keepRowsPerUnit<T>(rows: readonly T[], options: RowBoundingOptions<T>): T[] {
  const n = Number(checkBound(options.maxRowsPerUnit, "maxRowsPerUnit"));
  checkSecret(options.secret);
  const keyOf = options.rowKey ?? ((row: T) => canonicalJson(row));
  const byUnit = new Map<string, { index: number; rank: string }[]>();
  const occurrences = new Map<string, number>();
  rows.forEach((row, index) => {
    const unit = options.unitOf(row);
    const key = keyOf(row);
    const seen = canonicalJson([unit, key]);
    const occurrence = occurrences.get(seen) ?? 0;
    occurrences.set(seen, occurrence + 1);
    const list = byUnit.get(unit) ?? [];
    list.push({ index, rank: rank(options.secret, "row", unit, key, occurrence) });
    byUnit.set(unit, list);
  });
  const keep = new Set<number>();
  for (const list of byUnit.values()) {
    if (list.length > n) list.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.index - b.index));
    for (const item of list.slice(0, n)) keep.add(item.index);
  }
  return rows.filter((_, index) => keep.has(index));
}

export interface GroupBoundingOptions<T> {
  unitOf: (row: T) => string;
  /** The output group (partition) a row falls in, as a string key. */
  groupOf: (row: T) => string;
  maxGroupsPerUnit: number;
  secret: Uint8Array;
}

/** Each unit keeps its rows in at most C groups, chosen by keyed hash of (unit, group). */
export function keepGroupsPerUnit<T>(rows: readonly T[], options: GroupBoundingOptions<T>): T[] {
  const c = Number(checkBound(options.maxGroupsPerUnit, "maxGroupsPerUnit"));
  checkSecret(options.secret);
  const groupsByUnit = new Map<string, Set<string>>();
  for (const row of rows) {
    const unit = options.unitOf(row);
    const set = groupsByUnit.get(unit) ?? new Set<string>();
    set.add(options.groupOf(row));
    groupsByUnit.set(unit, set);
  }
  const allowed = new Map<string, Set<string>>();
  for (const [unit, groups] of groupsByUnit) {
    const ranked = [...groups].map((g) => ({ g, r: rank(options.secret, "group", unit, g) }));
    ranked.sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0));
    allowed.set(unit, new Set(ranked.slice(0, c).map((x) => x.g)));
  }
  return rows.filter((row) => allowed.get(options.unitOf(row))!.has(options.groupOf(row)));
}
