// AES key wrap with padding (RFC 5649), as Key Vault uses for `key_hsm`. OpenSSL (and therefore
// node:crypto) implements it as `id-aesNNN-wrap-pad`; the 4-byte IV is RFC 5649's alternative
// initial value A65959A6 (the message length is folded in by the cipher itself).
import { createCipheriv, createDecipheriv } from "node:crypto";

const RFC5649_AIV = Buffer.from("a65959a6", "hex");

function cipherFor(kek: Buffer): string {
  switch (kek.length) {
    case 16:
      return "id-aes128-wrap-pad";
    case 24:
      return "id-aes192-wrap-pad";
    case 32:
      return "id-aes256-wrap-pad";
    default:
      throw new RangeError(`AES key wrap: key must be 16, 24 or 32 bytes, got ${kek.length}`);
  }
}

export function aesKeyWrapPad(kek: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv(cipherFor(kek), kek, RFC5649_AIV);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

/** Throws when the integrity check fails (wrong key or tampered ciphertext). */
export function aesKeyUnwrapPad(kek: Buffer, wrapped: Buffer): Buffer {
  if (wrapped.length < 16 || wrapped.length % 8 !== 0) {
    throw new RangeError(`AES key unwrap: wrapped length ${wrapped.length} is not a multiple of 8 of at least 16`);
  }
  const decipher = createDecipheriv(cipherFor(kek), kek, RFC5649_AIV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}
