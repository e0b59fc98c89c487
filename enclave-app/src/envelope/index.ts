/**
 * Azure Storage client-side encryption v2 / v2.1 ("CSE v2"), the format the Python, Java and .NET
 * storage SDKs write, implemented on node:crypto. See docs/encryption.md.
 */
export { EnvelopeError, ENVELOPE_ERROR_CODES, INTEGRITY_FAILURE_CODES, isIntegrityFailure, isEnvelopeError, type EnvelopeErrorCode, type EnvelopeErrorDetails } from "./errors.ts";
export {
  CONTENT_KEY_LENGTH,
  DEFAULT_REGION_SIZE,
  MAX_REGION_SIZE,
  MAX_REGION_SIZE_V21,
  MIN_REGION_SIZE_V21,
  NONCE_LENGTH,
  REGION_OVERHEAD,
  TAG_LENGTH,
  ciphertextLength,
  isCseProtocol,
  isKeyWrapAlgorithm,
  plaintextLengthOf,
  protocolForRegionSize,
  regionCount,
  regionSizeProblem,
  type CseProtocol,
  type KeyWrapAlgorithm,
} from "./format.ts";
export {
  ENCRYPTION_LIBRARY,
  METADATA_KEY,
  buildEncryptionData,
  parseEncryptionData,
  serializeEncryptionData,
  type EncryptionData,
  type ParseEncryptionDataOptions,
} from "./metadata.ts";
export {
  KEY_PREFIX_LENGTH,
  decodeUnwrappedContentKey,
  generateContentKey,
  protocolPrefix,
  unwrapContentKey,
  wrapContentKey,
  type KeyWrapOptions,
} from "./keywrap.ts";
export { DEFAULT_NONCE_SCHEME, NONCE_SCHEMES, NonceSequence, isNonceScheme, nonceFor, regionIndexOf, type NonceScheme } from "./nonce.ts";
export { EncryptTransform, createEncryptStream, type EncryptStreamOptions } from "./encrypt-stream.ts";
export { DecryptTransform, createDecryptStream, type DecryptStreamOptions } from "./decrypt-stream.ts";
export { ByteMeter } from "./meter.ts";
export {
  beginEncryption,
  decryptStream,
  encryptStream,
  resolveWriterLayout,
  type BeginEncryptionOptions,
  type DecryptResult,
  type DecryptStreamHelperOptions,
  type EncryptResult,
  type EncryptStreamHelperOptions,
} from "./whole-stream.ts";
