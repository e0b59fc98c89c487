// Test-side tools for the local servers: raw HTTPS calls (to see status codes, headers and bodies
// the SDK hides) and an independent implementation of the key_hsm unwrap.
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from "node:crypto";
import { request } from "node:https";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

export function rawRequest(
  url: string,
  opts: { method?: string; ca?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
      {
        method: opts.method ?? "GET",
        agent: false,
        ...(opts.ca ? { ca: opts.ca } : {}),
        headers: { ...(payload ? { "content-type": "application/json" } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = undefined;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export function decodeJwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[index] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

const OAEP_HASH = { CKM_RSA_AES_KEY_WRAP: "sha1", RSA_AES_KEY_WRAP_256: "sha256", RSA_AES_KEY_WRAP_384: "sha384" } as const;

/**
 * Unwraps Key Vault's key_hsm ciphertext as the SKR sidecar does: the first modulus-length bytes
 * are RSA-OAEP(AES key), the rest AES-KWP (RFC 5649) of the released key's PKCS#8 DER.
 */
export function unwrapKeyHsmCiphertext(
  ciphertext: Buffer,
  runtimePrivateKey: KeyObject,
  enc: keyof typeof OAEP_HASH,
  oaepHash: string = OAEP_HASH[enc],
): Buffer {
  const rsaBytes = (runtimePrivateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  const aesKey = privateDecrypt(
    { key: runtimePrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
    ciphertext.subarray(0, rsaBytes),
  );
  const decipher = createDecipheriv("id-aes256-wrap-pad", aesKey, Buffer.from("A65959A6", "hex"));
  return Buffer.concat([decipher.update(ciphertext.subarray(rsaBytes)), decipher.final()]);
}
