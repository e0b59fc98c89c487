// The few DER (X.690) encoders a certificate needs, written out so the project needs no X.509
// library (the usual one wants a global Reflect metadata polyfill); node:crypto does the key
// generation, signing and (in tests and TLS) the parsing that proves these encodings right.

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (content: Uint8Array): Buffer => tlv(0x04, content);
export const utf8String = (value: string): Buffer => tlv(0x0c, Buffer.from(value, "utf8"));
export const booleanTrue = (): Buffer => Buffer.from([0x01, 0x01, 0xff]);
/** [n] EXPLICIT */
export const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 | n, content);
/** [n] IMPLICIT of a primitive type */
export const implicitPrimitive = (n: number, content: Uint8Array): Buffer => tlv(0x80 | n, content);

/** Unsigned big-endian integer bytes -> DER INTEGER (minimal, positive). */
export function integerFromBytes(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = Buffer.from(bytes.subarray(start));
  const content = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return tlv(0x02, content.length === 0 ? Buffer.from([0]) : content);
}

export function integer(value: number): Buffer {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return integerFromBytes(Buffer.from(bytes.length ? bytes : [0]));
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const [first = 0, second = 0, ...rest] = parts;
  const out: number[] = [first * 40 + second];
  for (const part of rest) {
    const chunk: number[] = [part & 0x7f];
    for (let n = Math.floor(part / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** BIT STRING holding whole bytes (no unused bits), e.g. a signature. */
export const bitString = (content: Uint8Array): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));

/**
 * A named-bit BIT STRING (KeyUsage): bit 0 is the most significant bit of the first byte; DER
 * drops trailing zero bits and records how many bits of the last byte are unused.
 */
export function namedBits(bits: number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[Math.floor(bit / 8)]! |= 0x80 >> bit % 8;
  const unused = 7 - (highest % 8);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** UTCTime before 2050, GeneralizedTime after (RFC 5280 4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${digits}Z`, "ascii"));
}
