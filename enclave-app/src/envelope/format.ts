/**
 * Constants and arithmetic of the client-side encryption v2 blob layout:
 *
 *   blob     = region_0 || region_1 || ... || region_{n-1}     (empty plaintext -> no region)
 *   region_i = nonce (12 B) || AES-256-GCM(CEK, nonce, plaintext slice i) || tag (16 B)
 */
import { EnvelopeError } from "./errors.ts";

export type CseProtocol = "2.0" | "2.1";
export type KeyWrapAlgorithm = "RSA-OAEP" | "RSA-OAEP-256";

export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
/** Bytes a region adds to its plaintext slice. */
export const REGION_OVERHEAD = NONCE_LENGTH + TAG_LENGTH;
export const CONTENT_KEY_LENGTH = 32;

const MiB = 1024 * 1024;
/** The only region size of protocol 2.0, and the default of our writer. */
export const DEFAULT_REGION_SIZE = 4 * MiB;
/** Protocol 2.1 bounds, as enforced by the Java and .NET SDKs. */
export const MIN_REGION_SIZE_V21 = 16;
export const MAX_REGION_SIZE_V21 = 1024 * MiB;
/**
 * Default cap on DataLength for the reader. The reader holds up to two regions of plaintext, so a
 * hostile `encryptiondata` claiming 1 GiB regions must not be honoured by default.
 */
export const MAX_REGION_SIZE = 64 * MiB;

export function isCseProtocol(value: unknown): value is CseProtocol {
  return value === "2.0" || value === "2.1";
}

export function isKeyWrapAlgorithm(value: unknown): value is KeyWrapAlgorithm {
  return value === "RSA-OAEP" || value === "RSA-OAEP-256";
}

/**
 * Why a region size is not allowed for a protocol, or undefined when it is. Protocol 2.0 fixes the
 * size at 4 MiB (the Python SDK cannot read anything else); 2.1 allows 16 B .. 1 GiB.
 */
export function regionSizeProblem(protocol: CseProtocol, regionSize: number): string | undefined {
  if (!Number.isSafeInteger(regionSize)) return `region size must be an integer, got ${String(regionSize)}`;
  if (protocol === "2.0") {
    return regionSize === DEFAULT_REGION_SIZE
      ? undefined
      : `protocol 2.0 requires a region size of ${DEFAULT_REGION_SIZE} bytes, got ${regionSize}`;
  }
  if (regionSize < MIN_REGION_SIZE_V21 || regionSize > MAX_REGION_SIZE_V21) {
    return `protocol 2.1 requires a region size between ${MIN_REGION_SIZE_V21} and ${MAX_REGION_SIZE_V21} bytes, got ${regionSize}`;
  }
  return undefined;
}

/** The protocol a writer must declare for a region size: 2.0 only describes 4 MiB regions. */
export function protocolForRegionSize(regionSize: number): CseProtocol {
  return regionSize === DEFAULT_REGION_SIZE ? "2.0" : "2.1";
}

function assertLength(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EnvelopeError("OPTIONS_INVALID", `${name} must be a non-negative integer, got ${String(value)}`);
  }
}

function assertRegionSize(regionSize: number): void {
  if (!Number.isSafeInteger(regionSize) || regionSize < 1) {
    throw new EnvelopeError("OPTIONS_INVALID", `region size must be a positive integer, got ${String(regionSize)}`);
  }
}

export function regionCount(plaintextLength: number, regionSize: number = DEFAULT_REGION_SIZE): number {
  assertLength("plaintext length", plaintextLength);
  assertRegionSize(regionSize);
  return Math.ceil(plaintextLength / regionSize);
}

/** C = P + ceil(P / D) * 28. */
export function ciphertextLength(plaintextLength: number, regionSize: number = DEFAULT_REGION_SIZE): number {
  return plaintextLength + regionCount(plaintextLength, regionSize) * REGION_OVERHEAD;
}

/**
 * Inverse of `ciphertextLength`: the plaintext length a ciphertext of this length carries, or
 * undefined when no plaintext encrypts to that length (a fragment of 1..28 bytes at the end).
 */
export function plaintextLengthOf(cipherLength: number, regionSize: number = DEFAULT_REGION_SIZE): number | undefined {
  assertLength("ciphertext length", cipherLength);
  assertRegionSize(regionSize);
  const fullRegion = regionSize + REGION_OVERHEAD;
  const full = Math.floor(cipherLength / fullRegion);
  const rest = cipherLength - full * fullRegion;
  if (rest === 0) return full * regionSize;
  if (rest <= REGION_OVERHEAD) return undefined;
  return full * regionSize + rest - REGION_OVERHEAD;
}
