/**
 * Streaming CSE v2 writer: plaintext in, `nonce || ciphertext || tag` regions out. Ciphertext is
 * emitted as it is produced, so memory stays at one chunk regardless of region size.
 */
import { createCipheriv, type CipherGCM } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { EnvelopeError } from "./errors.ts";
import { runStep } from "./transform-step.ts";
import { CONTENT_KEY_LENGTH, DEFAULT_REGION_SIZE, TAG_LENGTH, regionSizeProblem } from "./format.ts";
import { DEFAULT_NONCE_SCHEME, isNonceScheme, nonceFor, type NonceScheme } from "./nonce.ts";

export interface EncryptStreamOptions {
  cek: Buffer;
  /** Plaintext bytes per region; 4 MiB (protocol 2.0) unless set. Any other size needs protocol 2.1. */
  regionSize?: number;
  /** Nonce layout to write; `DEFAULT_NONCE_SCHEME` ("java", readable by every SDK) unless set. */
  nonceScheme?: NonceScheme;
}

export function checkContentKey(cek: unknown): asserts cek is Buffer {
  if (!Buffer.isBuffer(cek) || cek.length !== CONTENT_KEY_LENGTH) {
    const got = Buffer.isBuffer(cek) ? `${cek.length} bytes` : typeof cek;
    throw new EnvelopeError("KEY_INVALID", `content key must be a ${CONTENT_KEY_LENGTH}-byte Buffer, got ${got}`);
  }
}

export class EncryptTransform extends Transform {
  readonly regionSize: number;
  readonly nonceScheme: NonceScheme;
  readonly #cek: Buffer;
  #cipher: CipherGCM | undefined;
  #region = 0;
  #regionFilled = 0;
  #plaintextLength = 0;
  #ciphertextLength = 0;

  constructor(opts: EncryptStreamOptions) {
    super();
    checkContentKey(opts.cek);
    const regionSize = opts.regionSize ?? DEFAULT_REGION_SIZE;
    // 2.1 bounds include the 2.0 size, so this accepts every size some protocol can describe.
    const problem = regionSizeProblem("2.1", regionSize);
    if (problem !== undefined) throw new EnvelopeError("OPTIONS_INVALID", problem);
    const scheme = opts.nonceScheme ?? DEFAULT_NONCE_SCHEME;
    if (!isNonceScheme(scheme)) {
      throw new EnvelopeError("OPTIONS_INVALID", `nonce scheme must be python, java or dotnet, got ${String(scheme)}`);
    }
    this.#cek = Buffer.from(opts.cek);
    this.regionSize = regionSize;
    this.nonceScheme = scheme;
  }

  get plaintextLength(): number {
    return this.#plaintextLength;
  }

  get ciphertextLength(): number {
    return this.#ciphertextLength;
  }

  get regions(): number {
    return this.#region;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    runStep(callback, () => {
      let offset = 0;
      while (offset < chunk.length) {
        // Regions start lazily so that input ending on a region boundary adds no empty region.
        const cipher = this.#cipher ?? this.#startRegion();
        const take = Math.min(chunk.length - offset, this.regionSize - this.#regionFilled);
        this.#emit(cipher.update(chunk.subarray(offset, offset + take)));
        offset += take;
        this.#regionFilled += take;
        this.#plaintextLength += take;
        if (this.#regionFilled === this.regionSize) this.#finishRegion(cipher);
      }
    });
  }

  override _flush(callback: TransformCallback): void {
    runStep(callback, () => {
      if (this.#cipher !== undefined) this.#finishRegion(this.#cipher);
      this.#cek.fill(0);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#cek.fill(0);
    callback(error);
  }

  #startRegion(): CipherGCM {
    const nonce = nonceFor(this.nonceScheme, this.#region);
    const cipher = createCipheriv("aes-256-gcm", this.#cek, nonce, { authTagLength: TAG_LENGTH });
    this.#cipher = cipher;
    this.#regionFilled = 0;
    this.#emit(nonce);
    return cipher;
  }

  #finishRegion(cipher: CipherGCM): void {
    this.#emit(cipher.final());
    this.#emit(cipher.getAuthTag());
    this.#cipher = undefined;
    this.#region += 1;
  }

  #emit(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#ciphertextLength += bytes.length;
    this.push(bytes);
  }
}

export function createEncryptStream(opts: EncryptStreamOptions): EncryptTransform {
  return new EncryptTransform(opts);
}
