/**
 * Key files for the CLI: PEM (SPKI, PKCS#8, PKCS#1, X.509 certificate for public keys) or JWK JSON
 * (also a Key Vault key bundle `{ "key": { ...jwk } }`). Errors name the file and the problem, never
 * the key material.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { JSON_MAX_BYTES, JsonDocumentError, parseJsonStrict } from "../protocol/index.ts";
import { CliError } from "./output.ts";

export type KeyKind = "public" | "private";

function keyFileError(path: string, problem: string, cause?: unknown): CliError {
  return new CliError("KEY_FILE_INVALID", `key file ${path}: ${problem}`, cause === undefined ? {} : { cause });
}

const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;

function parseJwk(path: string, text: string): JsonWebKey {
  let value: unknown;
  try {
    value = parseJsonStrict(text, { what: "JWK", maxBytes: JSON_MAX_BYTES.smallDocument });
  } catch (error) {
    // Duplicates matter here too: two "n" members would make two readers see two keys.
    throw keyFileError(path, error instanceof JsonDocumentError && error.code !== "JSON_SYNTAX" ? error.message : "starts like JSON but is not valid JSON");
  }
  const candidate = (value as { key?: unknown } | null)?.key;
  const jwk = (typeof candidate === "object" && candidate !== null ? candidate : value) as JsonWebKey | null;
  if (typeof jwk !== "object" || jwk === null || typeof jwk.kty !== "string") {
    throw keyFileError(path, 'is JSON but not a JWK (no "kty")');
  }
  // Key Vault reports HSM-backed keys as "RSA-HSM" / "EC-HSM"; the key material is the same.
  return jwk.kty.endsWith("-HSM") ? { ...jwk, kty: jwk.kty.slice(0, -4) } : jwk;
}

function fromJwk(path: string, jwk: JsonWebKey): KeyObject {
  try {
    return jwk.d !== undefined ? createPrivateKey({ key: jwk, format: "jwk" }) : createPublicKey({ key: jwk, format: "jwk" });
  } catch (error) {
    throw keyFileError(path, `is not a usable ${jwk.kty} JWK (${(error as Error).message})`, error);
  }
}

function fromPem(path: string, text: string): KeyObject {
  const label = PEM_LABEL.exec(text)?.[1];
  if (label === undefined) throw keyFileError(path, "is neither PEM nor JWK JSON");
  if (label === "ENCRYPTED PRIVATE KEY") {
    throw keyFileError(path, "holds a passphrase-protected private key; export it unencrypted to a protected file first");
  }
  try {
    if (label.endsWith("PRIVATE KEY")) return createPrivateKey({ key: text, format: "pem" });
    if (label.endsWith("PUBLIC KEY") || label === "CERTIFICATE") return createPublicKey({ key: text, format: "pem" });
  } catch (error) {
    throw keyFileError(path, `has a ${label} block that could not be parsed (${(error as Error).message})`, error);
  }
  throw keyFileError(path, `has a "${label}" PEM block; expected a PUBLIC KEY, PRIVATE KEY or CERTIFICATE`);
}

/**
 * Loads a key. Asked for a public key, a private key file is accepted and its public half used;
 * asked for a private key, a public key file is an error.
 */
export async function loadKey(path: string, kind: KeyKind): Promise<KeyObject> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw keyFileError(path, code === "ENOENT" ? "does not exist" : `cannot be read (${code})`, error);
  }
  const trimmed = text.trim();
  const key = trimmed.startsWith("{") ? fromJwk(path, parseJwk(path, trimmed)) : fromPem(path, trimmed);
  if (kind === "private" && key.type !== "private") {
    throw keyFileError(path, "holds a public key, but a private key is needed here");
  }
  return kind === "public" && key.type === "private" ? createPublicKey(key) : key;
}
