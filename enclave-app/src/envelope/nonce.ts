/**
 * Per-region nonces. Each SDK stores a counter inline but lays it out differently; the reader
 * accepts all three, but only one per blob, and requires region i to carry nonce i. That closes
 * the region reorder/duplicate/drop gap that per-region GCM tags alone leave open.
 */
import { NONCE_LENGTH } from "./format.ts";

export type NonceScheme = "python" | "java" | "dotnet";
export const NONCE_SCHEMES: readonly NonceScheme[] = ["python", "java", "dotnet"];

/**
 * The layout everything we write uses unless told otherwise. Readers differ: Python checks no
 * nonce, .NET accepts all three layouts, and recent Java SDKs (DecryptorV2's region reorder check)
 * accept only the Java layout, so "java" is the one layout every SDK reader accepts. Our own
 * reader keeps accepting all three.
 */
export const DEFAULT_NONCE_SCHEME: NonceScheme = "java";

export function isNonceScheme(value: unknown): value is NonceScheme {
  return value === "python" || value === "java" || value === "dotnet";
}

/**
 * - python: 12-byte big-endian counter from 0
 * - java:   8-byte big-endian index in bytes 0..7, then 4 zero bytes, from 0
 * - dotnet: 4 zero bytes, then an 8-byte little-endian counter starting at 1
 */
export function nonceFor(scheme: NonceScheme, region: number): Buffer {
  const nonce = Buffer.alloc(NONCE_LENGTH);
  const index = BigInt(region);
  switch (scheme) {
    case "python":
      nonce.writeBigUInt64BE(index, 4);
      break;
    case "java":
      nonce.writeBigUInt64BE(index, 0);
      break;
    case "dotnet":
      nonce.writeBigUInt64LE(index + 1n, 4);
      break;
  }
  return nonce;
}

/** Largest region index we treat as plausible when explaining a wrong nonce (2^53). */
const PLAUSIBLE_INDEX_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The region index a nonce encodes under a scheme, or undefined when the nonce is not a counter
 * nonce of that scheme (padding bytes set, .NET counter 0, or an implausibly large index).
 */
export function regionIndexOf(scheme: NonceScheme, nonce: Uint8Array): number | undefined {
  if (nonce.length !== NONCE_LENGTH) return undefined;
  const view = Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength);
  let index: bigint;
  switch (scheme) {
    case "python":
      index = (BigInt(view.readUInt32BE(0)) << 64n) | view.readBigUInt64BE(4);
      break;
    case "java":
      if (view.readUInt32BE(8) !== 0) return undefined;
      index = view.readBigUInt64BE(0);
      break;
    case "dotnet": {
      if (view.readUInt32BE(0) !== 0) return undefined;
      const counter = view.readBigUInt64LE(4);
      if (counter === 0n) return undefined;
      index = counter - 1n;
      break;
    }
  }
  return index <= PLAUSIBLE_INDEX_LIMIT ? Number(index) : undefined;
}

export type NonceCheck =
  | { ok: true; schemes: NonceScheme[] }
  | { ok: false; reason: "out-of-order"; foundRegion: number; scheme: NonceScheme }
  | { ok: false; reason: "invalid" };

/**
 * Tracks which schemes a blob can still be written with. Python and Java agree on region 0 (twelve
 * zero bytes), so the scheme is locked at the first region where exactly one candidate remains.
 */
export class NonceSequence {
  #candidates: NonceScheme[];

  constructor(candidates: readonly NonceScheme[] = NONCE_SCHEMES) {
    this.#candidates = [...candidates];
  }

  /** The scheme once it is determined; undefined while several schemes still fit. */
  get scheme(): NonceScheme | undefined {
    return this.#candidates.length === 1 ? this.#candidates[0] : undefined;
  }

  get candidates(): readonly NonceScheme[] {
    return this.#candidates;
  }

  check(region: number, nonce: Uint8Array): NonceCheck {
    const matching = this.#candidates.filter((scheme) => nonceFor(scheme, region).equals(nonce));
    if (matching.length > 0) {
      this.#candidates = matching;
      return { ok: true, schemes: matching };
    }
    // While python and java are both open (region 1 of either), a java nonce also decodes as a python
    // index 2^32 times too large; the smallest reading is the one that explains the blob.
    let closest: { scheme: NonceScheme; found: number } | undefined;
    for (const scheme of this.#candidates) {
      const found = regionIndexOf(scheme, nonce);
      if (found === undefined || found === region) continue;
      if (closest === undefined || found < closest.found) closest = { scheme, found };
    }
    if (closest !== undefined) return { ok: false, reason: "out-of-order", foundRegion: closest.found, scheme: closest.scheme };
    return { ok: false, reason: "invalid" };
  }
}
