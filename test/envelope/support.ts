/** Shared helpers for the envelope and interop suites: buffer-in, buffer-out wrappers around the streams. */
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { Readable } from "node:stream";
import {
  DEFAULT_REGION_SIZE,
  createDecryptStream,
  createEncryptStream,
  protocolForRegionSize,
  type CseProtocol,
  type DecryptTransform,
  type EncryptionData,
  type KeyWrapAlgorithm,
  type NonceScheme,
} from "../../enclave-app/src/envelope/index.ts";

export const KEY_ID = "https://party-a-kv.vault.azure.net/keys/dataset-kek/0123456789abcdef0123456789abcdef";

let cachedKeys: { publicKey: KeyObject; privateKey: KeyObject } | undefined;
/** One RSA-2048 pair per test file (key generation is the slow part of these suites). */
export function rsaKeys(): { publicKey: KeyObject; privateKey: KeyObject } {
  cachedKeys ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return cachedKeys;
}

export function metadataFor(regionSize: number = DEFAULT_REGION_SIZE, opts: { protocol?: CseProtocol; algorithm?: KeyWrapAlgorithm } = {}): EncryptionData {
  return {
    WrappedContentKey: { KeyId: KEY_ID, EncryptedKey: randomBytes(256).toString("base64"), Algorithm: opts.algorithm ?? "RSA-OAEP-256" },
    EncryptionAgent: { Protocol: opts.protocol ?? protocolForRegionSize(regionSize), EncryptionAlgorithm: "AES_GCM_256" },
    EncryptedRegionInfo: { DataLength: regionSize, NonceLength: 12 },
    EncryptionMode: "FullBlob",
  };
}

/** Splits a buffer into chunks of the given sizes (cycled), to exercise arbitrary stream chunking. */
export function chunked(data: Buffer, sizes: readonly number[] = [data.length || 1]): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1);
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
    i += 1;
  }
  return chunks;
}

export async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

export async function encryptBuffer(
  plaintext: Buffer,
  opts: { cek: Buffer; regionSize?: number; nonceScheme?: NonceScheme; chunkSizes?: number[] },
): Promise<Buffer> {
  const encryptor = createEncryptStream({
    cek: opts.cek,
    ...(opts.regionSize === undefined ? {} : { regionSize: opts.regionSize }),
    ...(opts.nonceScheme === undefined ? {} : { nonceScheme: opts.nonceScheme }),
  });
  return collect(Readable.from(chunked(plaintext, opts.chunkSizes)).pipe(encryptor));
}

export interface DecryptOutcome {
  plaintext: Buffer;
  transform: DecryptTransform;
}

export async function decryptBuffer(
  ciphertext: Buffer,
  opts: { cek: Buffer; encryptionData: EncryptionData; expectedSha256?: string; expectedLength?: number; maxRegionSize?: number; chunkSizes?: number[] },
): Promise<DecryptOutcome> {
  const transform = createDecryptStream({
    cek: opts.cek,
    encryptionData: opts.encryptionData,
    ...(opts.expectedSha256 === undefined ? {} : { expectedSha256: opts.expectedSha256 }),
    ...(opts.expectedLength === undefined ? {} : { expectedLength: opts.expectedLength }),
    ...(opts.maxRegionSize === undefined ? {} : { maxRegionSize: opts.maxRegionSize }),
  });
  const source = Readable.from(chunked(ciphertext, opts.chunkSizes));
  source.on("error", (error) => transform.destroy(error));
  const plaintext = await collect(source.pipe(transform));
  return { plaintext, transform };
}

/** Resolves to the error a decryption fails with (fails the test if it succeeds). */
export async function decryptError(
  ciphertext: Buffer,
  opts: Parameters<typeof decryptBuffer>[1],
): Promise<Error & { code?: string; region?: number; offset?: number }> {
  try {
    await decryptBuffer(ciphertext, opts);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("decryption unexpectedly succeeded");
}
