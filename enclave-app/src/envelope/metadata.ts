/**
 * The `encryptiondata` blob metadata value (HTTP header `x-ms-meta-encryptiondata`): parsing with
 * precise errors, and serialisation in the key order the SDKs write.
 */
import { EnvelopeError } from "./errors.ts";
import {
  DEFAULT_REGION_SIZE,
  MAX_REGION_SIZE,
  NONCE_LENGTH,
  isCseProtocol,
  isKeyWrapAlgorithm,
  regionSizeProblem,
  type CseProtocol,
  type KeyWrapAlgorithm,
} from "./format.ts";
import { JSON_MAX_BYTES, parseJsonStrict } from "../protocol/json-text.ts";

export const METADATA_KEY = "encryptiondata";
// No spaces: the value must survive `az storage blob upload --metadata encryptiondata=...`.
export const ENCRYPTION_LIBRARY = "cleanroom-envelope-node/1";

export interface EncryptionData {
  WrappedContentKey: { KeyId: string; EncryptedKey: string /* base64 */; Algorithm: KeyWrapAlgorithm };
  EncryptionAgent: { Protocol: CseProtocol; EncryptionAlgorithm: "AES_GCM_256" };
  EncryptedRegionInfo: { DataLength: number; NonceLength: 12 };
  KeyWrappingMetadata?: Record<string, string>;
  EncryptionMode: "FullBlob";
}

export interface ParseEncryptionDataOptions {
  /** Largest DataLength accepted (memory bound of the reader). Default `MAX_REGION_SIZE`. */
  maxRegionSize?: number;
}

type JsonObject = Record<string, unknown>;

function malformed(path: string, rule: string): EnvelopeError {
  return new EnvelopeError("METADATA_MALFORMED", `encryptiondata ${path}: ${rule}`);
}

function unsupported(path: string, rule: string): EnvelopeError {
  return new EnvelopeError("METADATA_UNSUPPORTED", `encryptiondata ${path}: ${rule}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(parent: JsonObject, key: string, path: string): JsonObject {
  const value = parent[key];
  if (value === undefined) throw malformed(path, "is missing");
  if (!isObject(value)) throw malformed(path, `must be an object, got ${describe(value)}`);
  return value;
}

function stringAt(parent: JsonObject, key: string, path: string): string {
  const value = parent[key];
  if (value === undefined) throw malformed(path, "is missing");
  if (typeof value !== "string") throw malformed(path, `must be a string, got ${describe(value)}`);
  return value;
}

function integerAt(parent: JsonObject, key: string, path: string): number {
  const value = parent[key];
  if (value === undefined) throw malformed(path, "is missing");
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw malformed(path, `must be an integer, got ${describe(value)}`);
  }
  return value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseRoot(json: string | object): JsonObject {
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = parseJsonStrict(json, { what: "encryptiondata", maxBytes: JSON_MAX_BYTES.encryptionMetadata });
    } catch (error) {
      // A duplicate KeyId or Protocol would let two readers decrypt with different parameters.
      throw new EnvelopeError("METADATA_MALFORMED", (error as Error).message);
    }
  }
  if (!isObject(value)) throw malformed("(root)", `must be a JSON object, got ${describe(value)}`);
  return value;
}

/**
 * Parses and checks `encryptiondata`. Accepts any key order and ignores unknown keys (the SDKs add
 * fields over time); rejects everything this reader cannot decrypt safely, with the field named.
 */
export function parseEncryptionData(json: string | object, opts: ParseEncryptionDataOptions = {}): EncryptionData {
  const maxRegionSize = opts.maxRegionSize ?? MAX_REGION_SIZE;
  const root = parseRoot(json);

  const agent = objectAt(root, "EncryptionAgent", "EncryptionAgent");
  const protocol = stringAt(agent, "Protocol", "EncryptionAgent.Protocol");
  if (!isCseProtocol(protocol)) {
    const hint = protocol === "1.0" ? " (v1 is AES-CBC without integrity; re-encrypt with v2)" : "";
    throw unsupported("EncryptionAgent.Protocol", `must be "2.0" or "2.1", got ${describe(protocol)}${hint}`);
  }
  const contentAlgorithm = stringAt(agent, "EncryptionAlgorithm", "EncryptionAgent.EncryptionAlgorithm");
  if (contentAlgorithm !== "AES_GCM_256") {
    throw unsupported("EncryptionAgent.EncryptionAlgorithm", `must be "AES_GCM_256", got ${describe(contentAlgorithm)}`);
  }

  const wrapped = objectAt(root, "WrappedContentKey", "WrappedContentKey");
  const keyId = stringAt(wrapped, "KeyId", "WrappedContentKey.KeyId");
  if (keyId.length === 0) throw malformed("WrappedContentKey.KeyId", "must not be empty");
  const encryptedKey = stringAt(wrapped, "EncryptedKey", "WrappedContentKey.EncryptedKey");
  if (encryptedKey.length === 0 || !BASE64.test(encryptedKey)) {
    throw malformed("WrappedContentKey.EncryptedKey", "must be non-empty standard base64");
  }
  const algorithm = stringAt(wrapped, "Algorithm", "WrappedContentKey.Algorithm");
  if (!isKeyWrapAlgorithm(algorithm)) {
    throw unsupported("WrappedContentKey.Algorithm", `must be "RSA-OAEP" or "RSA-OAEP-256", got ${describe(algorithm)}`);
  }

  const regionInfo = objectAt(root, "EncryptedRegionInfo", "EncryptedRegionInfo");
  const dataLength = integerAt(regionInfo, "DataLength", "EncryptedRegionInfo.DataLength");
  const nonceLength = integerAt(regionInfo, "NonceLength", "EncryptedRegionInfo.NonceLength");
  if (nonceLength !== NONCE_LENGTH) {
    throw unsupported("EncryptedRegionInfo.NonceLength", `must be ${NONCE_LENGTH}, got ${nonceLength}`);
  }
  const sizeProblem = regionSizeProblem(protocol, dataLength);
  if (sizeProblem !== undefined) throw unsupported("EncryptedRegionInfo.DataLength", sizeProblem);
  if (dataLength > maxRegionSize) {
    throw new EnvelopeError(
      "REGION_TOO_LARGE",
      `encryptiondata EncryptedRegionInfo.DataLength: ${dataLength} bytes exceeds this reader's cap of ${maxRegionSize} bytes (raise maxRegionSize only for trusted metadata)`,
    );
  }

  const mode = stringAt(root, "EncryptionMode", "EncryptionMode");
  if (mode !== "FullBlob") throw unsupported("EncryptionMode", `must be "FullBlob", got ${describe(mode)}`);

  const data: EncryptionData = {
    WrappedContentKey: { KeyId: keyId, EncryptedKey: encryptedKey, Algorithm: algorithm },
    EncryptionAgent: { Protocol: protocol, EncryptionAlgorithm: "AES_GCM_256" },
    EncryptedRegionInfo: { DataLength: dataLength, NonceLength: NONCE_LENGTH },
    EncryptionMode: "FullBlob",
  };

  const wrappingMetadata = root["KeyWrappingMetadata"];
  if (wrappingMetadata !== undefined && wrappingMetadata !== null) {
    if (!isObject(wrappingMetadata)) {
      throw malformed("KeyWrappingMetadata", `must be an object, got ${describe(wrappingMetadata)}`);
    }
    const entries: [string, string][] = [];
    for (const [key, value] of Object.entries(wrappingMetadata)) {
      if (typeof value !== "string") throw malformed(`KeyWrappingMetadata.${key}`, `must be a string, got ${describe(value)}`);
      entries.push([key, value]);
    }
    data.KeyWrappingMetadata = Object.fromEntries(entries);
  }
  return data;
}

/** JSON in the key order the Python and Java SDKs write (Java once relied on it). */
export function serializeEncryptionData(data: EncryptionData): string {
  const ordered: Record<string, unknown> = {
    WrappedContentKey: {
      KeyId: data.WrappedContentKey.KeyId,
      EncryptedKey: data.WrappedContentKey.EncryptedKey,
      Algorithm: data.WrappedContentKey.Algorithm,
    },
    EncryptionAgent: {
      Protocol: data.EncryptionAgent.Protocol,
      EncryptionAlgorithm: data.EncryptionAgent.EncryptionAlgorithm,
    },
    EncryptedRegionInfo: {
      DataLength: data.EncryptedRegionInfo.DataLength,
      NonceLength: data.EncryptedRegionInfo.NonceLength,
    },
  };
  if (data.KeyWrappingMetadata !== undefined) ordered["KeyWrappingMetadata"] = data.KeyWrappingMetadata;
  ordered["EncryptionMode"] = data.EncryptionMode;
  return JSON.stringify(ordered);
}

export function buildEncryptionData(opts: {
  keyId: string;
  wrappedKey: Buffer;
  algorithm: KeyWrapAlgorithm;
  protocol: CseProtocol;
  regionSize?: number;
}): EncryptionData {
  const regionSize = opts.regionSize ?? DEFAULT_REGION_SIZE;
  const problem = regionSizeProblem(opts.protocol, regionSize);
  if (problem !== undefined) throw new EnvelopeError("OPTIONS_INVALID", problem);
  if (opts.keyId.length === 0) throw new EnvelopeError("OPTIONS_INVALID", "key id must not be empty");
  return {
    WrappedContentKey: { KeyId: opts.keyId, EncryptedKey: opts.wrappedKey.toString("base64"), Algorithm: opts.algorithm },
    EncryptionAgent: { Protocol: opts.protocol, EncryptionAlgorithm: "AES_GCM_256" },
    EncryptedRegionInfo: { DataLength: regionSize, NonceLength: NONCE_LENGTH },
    KeyWrappingMetadata: { EncryptionLibrary: ENCRYPTION_LIBRARY },
    EncryptionMode: "FullBlob",
  };
}
