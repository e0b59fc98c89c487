/**
 * Streaming CSE v2 reader. Ciphertext in, verified plaintext out, with these guarantees:
 * - a region's plaintext goes downstream only after its GCM tag verified;
 * - the last region is held back until the whole-blob checks (expected length and sha256) pass,
 *   so a consumer never sees a complete plaintext of a truncated, extended or swapped blob;
 * - region i must carry nonce i under the one nonce scheme the blob uses;
 * - memory is bounded by two regions of plaintext, whatever the input chunking.
 */
import { createDecipheriv, createHash, type DecipherGCM, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { checkContentKey } from "./encrypt-stream.ts";
import { EnvelopeError } from "./errors.ts";
import { runStep } from "./transform-step.ts";
import { NONCE_LENGTH, REGION_OVERHEAD, TAG_LENGTH, ciphertextLength } from "./format.ts";
import { parseEncryptionData, type EncryptionData } from "./metadata.ts";
import { NonceSequence, type NonceScheme } from "./nonce.ts";

export interface DecryptStreamOptions {
  cek: Buffer;
  encryptionData: EncryptionData;
  /** Lowercase hex sha256 of the whole ciphertext, as pinned in the contract. */
  expectedSha256?: string;
  /** Plaintext length, as pinned in the contract. */
  expectedLength?: number;
  /** Cap on DataLength (memory bound). Default `MAX_REGION_SIZE`. */
  maxRegionSize?: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Smallest possible region: nonce, one byte of data, tag. */
const MIN_REGION_BYTES = REGION_OVERHEAD + 1;

export function checkExpectations(opts: { expectedSha256?: string | undefined; expectedLength?: number | undefined }): void {
  if (opts.expectedSha256 !== undefined && !SHA256_HEX.test(opts.expectedSha256)) {
    throw new EnvelopeError("OPTIONS_INVALID", "expected sha256 must be 64 lowercase hex characters");
  }
  if (opts.expectedLength !== undefined && (!Number.isSafeInteger(opts.expectedLength) || opts.expectedLength < 0)) {
    throw new EnvelopeError("OPTIONS_INVALID", `expected plaintext length must be a non-negative integer, got ${String(opts.expectedLength)}`);
  }
}

export class DecryptTransform extends Transform {
  readonly regionSize: number;
  readonly #cek: Buffer;
  readonly #fullRegion: number;
  readonly #expectedSha256: string | undefined;
  readonly #expectedLength: number | undefined;
  readonly #expectedCipherLength: number | undefined;
  readonly #hash: Hash = createHash("sha256");
  readonly #nonces = new NonceSequence();
  #digest: string | undefined;
  #received = 0;
  #region = 0;
  #regionReceived = 0;
  readonly #nonce = Buffer.alloc(NONCE_LENGTH);
  #decipher: DecipherGCM | undefined;
  // The last TAG_LENGTH bytes seen in the region: they are the tag if the region ends here.
  readonly #tail = Buffer.alloc(TAG_LENGTH);
  #tailLength = 0;
  #current: Buffer[] = [];
  #currentLength = 0;
  #pending: Buffer[] = [];
  #plaintextLength = 0;

  constructor(opts: DecryptStreamOptions) {
    super();
    checkContentKey(opts.cek);
    const data = parseEncryptionData(opts.encryptionData, opts.maxRegionSize === undefined ? {} : { maxRegionSize: opts.maxRegionSize });
    checkExpectations(opts);
    this.#cek = Buffer.from(opts.cek);
    this.regionSize = data.EncryptedRegionInfo.DataLength;
    this.#fullRegion = this.regionSize + REGION_OVERHEAD;
    this.#expectedSha256 = opts.expectedSha256;
    this.#expectedLength = opts.expectedLength;
    this.#expectedCipherLength = opts.expectedLength === undefined ? undefined : ciphertextLength(opts.expectedLength, this.regionSize);
  }

  /** Verified plaintext bytes (including a held-back last region). */
  get plaintextLength(): number {
    return this.#plaintextLength;
  }

  get ciphertextLength(): number {
    return this.#received;
  }

  /** Hex sha256 of the ciphertext; available once the stream has finished. */
  get ciphertextSha256(): string | undefined {
    return this.#digest;
  }

  get nonceScheme(): NonceScheme | undefined {
    return this.#nonces.scheme;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    runStep(callback, () => {
      if (this.#expectedCipherLength !== undefined && this.#received + chunk.length > this.#expectedCipherLength) {
        throw new EnvelopeError(
          "TRAILING_DATA",
          `ciphertext continues past its expected end at byte ${this.#expectedCipherLength} (plaintext length ${this.#expectedLength}): trailing data or a different blob`,
          { offset: this.#expectedCipherLength },
        );
      }
      this.#hash.update(chunk);
      this.#received += chunk.length;
      this.#consume(chunk);
    });
  }

  override _flush(callback: TransformCallback): void {
    runStep(callback, () => {
      this.#finishInput();
      this.#digest = this.#hash.digest("hex");
      if (this.#expectedSha256 !== undefined && this.#digest !== this.#expectedSha256) {
        throw new EnvelopeError(
          "DIGEST_MISMATCH",
          `ciphertext sha256 is ${this.#digest}, expected ${this.#expectedSha256}: not the blob that was approved`,
        );
      }
      this.#release(this.#pending);
      this.#release(this.#current);
      this.#cek.fill(0);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#cek.fill(0);
    this.#pending = [];
    this.#current = [];
    callback(error);
  }

  #consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#regionReceived < NONCE_LENGTH) {
        const take = Math.min(NONCE_LENGTH - this.#regionReceived, chunk.length - offset);
        chunk.copy(this.#nonce, this.#regionReceived, offset, offset + take);
        this.#regionReceived += take;
        offset += take;
        if (this.#regionReceived === NONCE_LENGTH) this.#startRegion();
        continue;
      }
      const take = Math.min(this.#fullRegion - this.#regionReceived, chunk.length - offset);
      this.#feedBody(chunk.subarray(offset, offset + take));
      this.#regionReceived += take;
      offset += take;
      if (this.#regionReceived === this.#fullRegion) this.#completeRegion();
    }
  }

  #regionOffset(): number {
    return this.#region * this.#fullRegion;
  }

  #startRegion(): void {
    const region = this.#region;
    const check = this.#nonces.check(region, this.#nonce);
    if (!check.ok) {
      const where = `region ${region} at byte ${this.#regionOffset()}`;
      if (check.reason === "out-of-order") {
        throw new EnvelopeError(
          "REGION_OUT_OF_ORDER",
          `${where} carries the ${check.scheme} nonce of region ${check.foundRegion}: a region was dropped, duplicated or reordered`,
          { region, offset: this.#regionOffset() },
        );
      }
      const schemes = this.#nonces.candidates.join(" or ");
      throw new EnvelopeError("NONCE_INVALID", `${where} has a nonce that is not the ${schemes} counter nonce of any region: the nonce was modified`, {
        region,
        offset: this.#regionOffset(),
      });
    }
    this.#decipher = createDecipheriv("aes-256-gcm", this.#cek, this.#nonce, { authTagLength: TAG_LENGTH });
  }

  /** Feeds region body bytes to the decipher, always holding back the newest TAG_LENGTH bytes. */
  #feedBody(piece: Buffer): void {
    const total = this.#tailLength + piece.length;
    if (total <= TAG_LENGTH) {
      piece.copy(this.#tail, this.#tailLength);
      this.#tailLength = total;
      return;
    }
    const release = total - TAG_LENGTH;
    const fromTail = Math.min(this.#tailLength, release);
    if (fromTail > 0) this.#decrypt(this.#tail.subarray(0, fromTail));
    const fromPiece = release - fromTail;
    if (fromPiece > 0) this.#decrypt(piece.subarray(0, fromPiece));
    this.#tail.copyWithin(0, fromTail, this.#tailLength);
    this.#tailLength -= fromTail;
    piece.copy(this.#tail, this.#tailLength, fromPiece);
    this.#tailLength = TAG_LENGTH;
  }

  #decrypt(ciphertext: Buffer): void {
    const plaintext = this.#decipher!.update(ciphertext);
    if (plaintext.length > 0) {
      this.#current.push(plaintext);
      this.#currentLength += plaintext.length;
    }
  }

  /** Verifies the tag of the current region; throws AUTH_TAG_MISMATCH when it does not verify. */
  #verifyRegion(): void {
    const decipher = this.#decipher!;
    decipher.setAuthTag(this.#tail);
    let last: Buffer;
    try {
      last = decipher.final();
    } catch (error) {
      this.#current = [];
      throw new EnvelopeError(
        "AUTH_TAG_MISMATCH",
        `region ${this.#region} at byte ${this.#regionOffset()} failed authentication: its ciphertext or tag was modified, or the content key is wrong`,
        { region: this.#region, offset: this.#regionOffset(), cause: error },
      );
    }
    if (last.length > 0) {
      this.#current.push(last);
      this.#currentLength += last.length;
    }
  }

  #completeRegion(): void {
    this.#verifyRegion();
    // The previous region can go now: it is not the last one.
    this.#release(this.#pending);
    this.#pending = this.#current;
    this.#plaintextLength += this.#currentLength;
    this.#current = [];
    this.#currentLength = 0;
    this.#decipher = undefined;
    this.#tailLength = 0;
    this.#regionReceived = 0;
    this.#region += 1;
  }

  #finishInput(): void {
    const expected = this.#expectedCipherLength;
    const short = expected !== undefined && this.#received < expected;
    const expectation = `expected ${expected} bytes of ciphertext for ${this.#expectedLength} bytes of plaintext`;
    if (this.#regionReceived === 0) {
      if (short) {
        throw new EnvelopeError(
          "TRUNCATED",
          `ciphertext ends after ${this.#region} complete region(s) at byte ${this.#received}; ${expectation}`,
          { region: this.#region, offset: this.#received },
        );
      }
      return;
    }
    const region = this.#region;
    const offset = this.#regionOffset();
    if (this.#regionReceived < MIN_REGION_BYTES) {
      throw new EnvelopeError(
        "TRUNCATED",
        `ciphertext ends with a ${this.#regionReceived}-byte fragment of region ${region} at byte ${offset}; a region needs at least ${MIN_REGION_BYTES} bytes` +
          (short ? `; ${expectation}` : " (truncated region or trailing data)"),
        { region, offset },
      );
    }
    if (!short) {
      this.#verifyRegion();
    } else {
      // A short final region that still authenticates is a complete blob of another length;
      // one that does not was cut mid-region.
      try {
        this.#verifyRegion();
      } catch {
        throw new EnvelopeError("TRUNCATED", `ciphertext ends inside region ${region} at byte ${this.#received}; ${expectation}`, { region, offset });
      }
      throw new EnvelopeError(
        "LENGTH_MISMATCH",
        `the blob is complete and authentic but carries ${this.#plaintextLength + this.#currentLength} bytes of plaintext; ${expectation}`,
        { region, offset },
      );
    }
    this.#plaintextLength += this.#currentLength;
    this.#regionReceived = 0;
    this.#decipher = undefined;
  }

  #release(parts: Buffer[]): void {
    for (const part of parts) this.push(part);
    parts.length = 0;
  }
}

export function createDecryptStream(opts: DecryptStreamOptions): DecryptTransform {
  return new DecryptTransform(opts);
}
