/**
 * Whole-stream helpers: wrap a fresh content key, run the region stream between a source and a
 * sink, and report the figures a contract pins (ciphertext sha256, plaintext length).
 */
import type { JsonWebKey, KeyObject } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { createDecryptStream } from "./decrypt-stream.ts";
import { createEncryptStream, type EncryptTransform } from "./encrypt-stream.ts";
import { EnvelopeError } from "./errors.ts";
import {
  DEFAULT_REGION_SIZE,
  isCseProtocol,
  isKeyWrapAlgorithm,
  protocolForRegionSize,
  regionSizeProblem,
  type CseProtocol,
  type KeyWrapAlgorithm,
} from "./format.ts";
import { generateContentKey, wrapContentKey } from "./keywrap.ts";
import { Coalesce } from "./coalesce.ts";
import { ByteMeter } from "./meter.ts";
import { buildEncryptionData, type EncryptionData } from "./metadata.ts";
import { DEFAULT_NONCE_SCHEME, type NonceScheme } from "./nonce.ts";

export interface EncryptStreamHelperOptions {
  kek: KeyObject | JsonWebKey;
  keyId: string;
  /** Default RSA-OAEP-256. */
  algorithm?: KeyWrapAlgorithm;
  /** Default "2.0" for 4 MiB regions and "2.1" for any other region size. */
  protocol?: CseProtocol;
  regionSize?: number;
  /** Default `DEFAULT_NONCE_SCHEME` ("java"). */
  nonceScheme?: NonceScheme;
  onProgress?: (plaintextBytes: number) => void;
}

export interface EncryptResult {
  encryptionData: EncryptionData;
  ciphertextSha256: string;
  plaintextLength: number;
  ciphertextLength: number;
}

export interface DecryptStreamHelperOptions {
  cek: Buffer;
  encryptionData: EncryptionData;
  expectedSha256?: string;
  expectedLength?: number;
  maxRegionSize?: number;
  onProgress?: (ciphertextBytes: number) => void;
  /** Aborts the decryption (the pipeline rejects with an AbortError and destroys both streams). */
  signal?: AbortSignal;
}

export interface DecryptResult {
  plaintextLength: number;
  ciphertextSha256: string;
}

/** Resolves protocol and region size together: a size other than 4 MiB implies protocol 2.1. */
export function resolveWriterLayout(opts: { protocol?: CseProtocol | undefined; regionSize?: number | undefined }): { protocol: CseProtocol; regionSize: number } {
  const regionSize = opts.regionSize ?? DEFAULT_REGION_SIZE;
  const protocol = opts.protocol ?? protocolForRegionSize(regionSize);
  if (!isCseProtocol(protocol)) throw new EnvelopeError("OPTIONS_INVALID", `protocol must be "2.0" or "2.1", got ${String(protocol)}`);
  const problem = regionSizeProblem(protocol, regionSize);
  if (problem !== undefined) throw new EnvelopeError("OPTIONS_INVALID", problem);
  return { protocol, regionSize };
}

export type BeginEncryptionOptions = Omit<EncryptStreamHelperOptions, "onProgress">;

/**
 * Generates and wraps a content key and returns the metadata together with the stream that will
 * encrypt under it. For uploads that must send `encryptiondata` before (or while) streaming; the
 * content key lives only inside the returned stream.
 */
export function beginEncryption(opts: BeginEncryptionOptions): { encryptionData: EncryptionData; encryptor: EncryptTransform } {
  const algorithm = opts.algorithm ?? "RSA-OAEP-256";
  if (!isKeyWrapAlgorithm(algorithm)) {
    throw new EnvelopeError("OPTIONS_INVALID", `key wrap algorithm must be RSA-OAEP or RSA-OAEP-256, got ${String(algorithm)}`);
  }
  const { protocol, regionSize } = resolveWriterLayout(opts);
  const cek = generateContentKey();
  try {
    const wrappedKey = wrapContentKey(cek, { kek: opts.kek, algorithm, protocol });
    const encryptionData = buildEncryptionData({ keyId: opts.keyId, wrappedKey, algorithm, protocol, regionSize });
    const encryptor = createEncryptStream({ cek, regionSize, nonceScheme: opts.nonceScheme ?? DEFAULT_NONCE_SCHEME });
    return { encryptionData, encryptor };
  } finally {
    cek.fill(0);
  }
}

export async function encryptStream(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  opts: EncryptStreamHelperOptions,
): Promise<EncryptResult> {
  const { encryptionData, encryptor } = beginEncryption(opts);
  const plaintextMeter = new ByteMeter(opts.onProgress === undefined ? {} : { onBytes: opts.onProgress });
  const ciphertextMeter = new ByteMeter({ sha256: true });
  await pipeline(input, plaintextMeter, encryptor, ciphertextMeter, output);
  return {
    encryptionData,
    ciphertextSha256: ciphertextMeter.sha256!,
    plaintextLength: plaintextMeter.bytes,
    ciphertextLength: ciphertextMeter.bytes,
  };
}

export async function decryptStream(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  opts: DecryptStreamHelperOptions,
): Promise<DecryptResult> {
  const decryptor = createDecryptStream({
    cek: opts.cek,
    encryptionData: opts.encryptionData,
    ...(opts.expectedSha256 === undefined ? {} : { expectedSha256: opts.expectedSha256 }),
    ...(opts.expectedLength === undefined ? {} : { expectedLength: opts.expectedLength }),
    ...(opts.maxRegionSize === undefined ? {} : { maxRegionSize: opts.maxRegionSize }),
  });
  const stages: NodeJS.ReadWriteStream[] = [new Coalesce()];
  if (opts.onProgress !== undefined) stages.push(new ByteMeter({ onBytes: opts.onProgress }));
  await pipeline([input, ...stages, decryptor, output], opts.signal ? { signal: opts.signal } : {});
  return { plaintextLength: decryptor.plaintextLength, ciphertextSha256: decryptor.ciphertextSha256! };
}
