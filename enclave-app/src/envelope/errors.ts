/**
 * Typed failures of the envelope reader and writer. Every code names one rule of the format or one
 * integrity check; callers branch on `code`, people read `message` (which never contains key
 * material or plaintext).
 */
export type EnvelopeErrorCode =
  | "METADATA_MALFORMED" // encryptiondata is not JSON, misses a field or has a field of the wrong type
  | "METADATA_UNSUPPORTED" // well-formed but outside what we accept (protocol 1.0, other algorithm, ...)
  | "REGION_TOO_LARGE" // DataLength above the reader's memory cap
  | "OPTIONS_INVALID" // writer/reader options out of range (region size, protocol, expectations)
  | "KEY_INVALID" // KEK is not an RSA key of >= 2048 bits of the needed kind, or CEK is not 32 bytes
  | "KEY_UNWRAP_FAILED" // RSA-OAEP decryption failed (wrong key or algorithm) or wrong unwrapped length
  | "KEY_PREFIX_MISMATCH" // the unwrapped protocol prefix differs from EncryptionAgent.Protocol (downgrade)
  | "NONCE_INVALID" // a region's nonce is no counter nonce of any SDK scheme (tampered nonce)
  | "REGION_OUT_OF_ORDER" // region i carries the nonce of region j != i (dropped, duplicated, swapped)
  | "AUTH_TAG_MISMATCH" // AES-GCM tag did not verify: tampered ciphertext or tag, or wrong content key
  | "TRUNCATED" // the ciphertext ends early (mid-region, or at a region boundary when a length is expected)
  | "TRAILING_DATA" // bytes after the expected end of the ciphertext
  | "DIGEST_MISMATCH" // the ciphertext sha256 differs from the expected one
  | "LENGTH_MISMATCH"; // a complete, authentic blob whose plaintext length differs from the expected one

export interface EnvelopeErrorDetails {
  /** Index of the region the failure was detected in, when it concerns one region. */
  region?: number;
  /** Byte offset in the ciphertext where the failing region (or fragment) starts. */
  offset?: number;
  cause?: unknown;
}

export class EnvelopeError extends Error {
  readonly code: EnvelopeErrorCode;
  readonly region?: number;
  readonly offset?: number;

  constructor(code: EnvelopeErrorCode, message: string, details: EnvelopeErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "EnvelopeError";
    this.code = code;
    if (details.region !== undefined) this.region = details.region;
    if (details.offset !== undefined) this.offset = details.offset;
  }
}

/**
 * What each code means for a caller: "integrity" — the data, its metadata or its key failed
 * verification (tampered, truncated, swapped, another blob or key); "input" — the input or the
 * options were unusable. A Record, so a new code cannot be added without being classified here.
 */
const ERROR_CLASS: Record<EnvelopeErrorCode, "integrity" | "input"> = {
  METADATA_MALFORMED: "input",
  METADATA_UNSUPPORTED: "input",
  // A region larger than any writer produces can only come from altered metadata.
  REGION_TOO_LARGE: "integrity",
  OPTIONS_INVALID: "input",
  KEY_INVALID: "input",
  KEY_UNWRAP_FAILED: "integrity",
  KEY_PREFIX_MISMATCH: "integrity",
  NONCE_INVALID: "integrity",
  REGION_OUT_OF_ORDER: "integrity",
  AUTH_TAG_MISMATCH: "integrity",
  TRUNCATED: "integrity",
  TRAILING_DATA: "integrity",
  DIGEST_MISMATCH: "integrity",
  LENGTH_MISMATCH: "integrity",
};

/** Every code an EnvelopeError can carry. */
export const ENVELOPE_ERROR_CODES: readonly EnvelopeErrorCode[] = Object.keys(ERROR_CLASS) as EnvelopeErrorCode[];

/**
 * The one list of integrity failures: codes that mean "the data or its key failed verification"
 * rather than "the input was unusable". The enclave runtime reports these as DATASET_INTEGRITY.
 */
export const INTEGRITY_FAILURE_CODES: ReadonlySet<EnvelopeErrorCode> = new Set(ENVELOPE_ERROR_CODES.filter((c) => ERROR_CLASS[c] === "integrity"));

/** Whether an error carries an integrity failure code (by code, so errors passed along a stream pipeline count too). */
export function isIntegrityFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && INTEGRITY_FAILURE_CODES.has(code as EnvelopeErrorCode);
}

export function isEnvelopeError(error: unknown): error is EnvelopeError {
  return error instanceof EnvelopeError;
}
