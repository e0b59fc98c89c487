// Storage SDKs and sockets deliver bodies in 16-64 KiB chunks; the decryptor's per-chunk costs (a
// cipher update, a hash update, a push, a write downstream) then dominate AES itself. This stage joins
// chunks into pieces of at least `minBytes` (one copy) before they reach the decryptor.
import { Transform, type TransformCallback } from "node:stream";

export const DEFAULT_COALESCE_BYTES = 1024 * 1024;

export class Coalesce extends Transform {
  readonly #minBytes: number;
  #parts: Buffer[] = [];
  #length = 0;

  constructor(minBytes = DEFAULT_COALESCE_BYTES) {
    super({ readableHighWaterMark: minBytes, writableHighWaterMark: minBytes });
    this.#minBytes = minBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length >= this.#minBytes && this.#length === 0) {
      callback(null, chunk);
      return;
    }
    this.#parts.push(chunk);
    this.#length += chunk.length;
    if (this.#length >= this.#minBytes) this.#emit();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#length > 0) this.#emit();
    callback();
  }

  #emit(): void {
    const piece = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    this.push(piece);
  }
}
