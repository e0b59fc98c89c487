// Programmatic API of the enclave runtime (used by main.ts, the local clean room, the demo and tests).
export { runCollaboration, outputPrefix, resultBlobName, receiptBlobName, type RunOptions, type RunResult } from "./pipeline.ts";
export {
  RuntimeError,
  AttestationError,
  KeyReleaseError,
  HostdataMismatchError,
  SqlError,
  PrivacyError,
  ConfigError,
  type RuntimeErrorCode,
  type RuntimeStep,
} from "./errors.ts";
export { tokenFingerprint, jsonLineSink, type RunEvent, type RunEventSink, type RunEventLevel } from "./events.ts";
export {
  EphemeralKeyAttester,
  generateRuntimeKeys,
  generateSigningKey,
  runtimeDataFor,
  jwkThumbprint,
  receiptKeyNonce,
  type Attester,
  type AttesterKind,
  type Attestation,
  type RuntimeKeys,
  type EphemeralKeyMaterial,
  type ReceiptKeyBinding,
  type WrappedContentKey,
  type UnwrapContentKeysRequest,
} from "./attest/attester.ts";
export { SidecarAttester, type SidecarAttesterOptions } from "./attest/sidecar.ts";
export { CvmSkrAttester, type CvmSkrAttesterOptions } from "./attest/cvm-skr.ts";
export { LocalAttester, type LocalAttesterOptions, type SimulatedTokenRequest, type InProcessAuthority } from "./attest/local.ts";
export { releaseKey, releaseAndUnwrap, type KeyReleaseClient, type ReleasedKey } from "./keyrelease/release.ts";
export { verifyReleaseJws, ReleaseJwsError, type VerifyReleaseJwsOptions } from "./keyrelease/verify-jws.ts";
export { decodeKeyHsm, unwrapKeyHsm, encodeKeyHsm, KeyHsmError, type KeyExportEncryption, type KeyHsm } from "./keyrelease/key-hsm.ts";
export { aesKeyWrapPad, aesKeyUnwrapPad } from "./keyrelease/aes-kwp.ts";
export { obtainUnwrapper, CSE_UNWRAPPED_LENGTH, type ContentKeyUnwrapper, type ObtainUnwrapperOptions } from "./keyrelease/unwrappers.ts";
export { SqlSession, runSql, type SqlDatasetInput, type SqlResult, type RunSqlResult } from "./sql/runner.ts";
export { toCsv } from "./sql/csv.ts";
export { applyPrivacyRules, type GuardedResult, type PrivacyRulesInput } from "./privacy/guard.ts";
export { buildReceipt, type BuildReceiptInput } from "./receipt/build.ts";
export { signReceipt, receiptSigningPayload } from "./receipt/sign.ts";
// The receipt verifier and format live in enclave-app/src/receipt (the runtime writes receipts, parties verify them); re-exported for callers of this API.
export {
  verifyReceipt,
  fetchAuthorityJwks,
  type VerifyReceiptOptions,
  type ReceiptVerification,
  type ReceiptCheck,
  type ReceiptFailure,
  type JsonWebKeySet,
  type Receipt,
  type ReceiptBody,
  type ReceiptOutput,
  type ReceiptDataset,
  type ReceiptKeyRelease,
} from "../receipt/index.ts";
export { checkHostdata, describeHostdataMismatch, decodeJwtClaims, clientPayloadNonceOf, tokenBindsKey, tokenBindsNonce, type HostdataCheck } from "../protocol/index.ts";
export { withRetry, retryDelay, RetryExhaustedError, AZURE_AUTHORIZATION_RETRY, LOCAL_AUTHORIZATION_RETRY, NO_RETRY, type RetryPolicyOptions, type RetryNotice } from "./retry/policy.ts";
export { storageAuthorizationPending, keyVaultAuthorizationPending } from "./retry/authorization.ts";
export { retryingBlobStore, type BlobRetryNotice } from "./storage/retrying-blob-store.ts";
export { retryingKeyClient, type ReleaseRetryNotice } from "./keyrelease/retrying-client.ts";
export { blobStoreForContainer, blobStoreFromServiceClient, splitBlobPath, type BlobStore, type BlobProperties } from "./storage/blob-store.ts";
export { BlobConflictError, uploadIdempotent, type UploadOutcome } from "./storage/idempotent-upload.ts";
export { readConfig, type RuntimeConfig, type AttesterChoice } from "./config.ts";
export { buildAdapters, buildAzureAdapters, buildLocalAdapters, type RuntimeAdapters, type LocalKeyVaultAccess, type AdapterFactories } from "./adapters.ts";
// The pipeline's named steps, each usable alone (runCollaboration runs them in order).
export { createRunReporter, type RunReporter, type StepEvent } from "./steps/reporter.ts";
export { verifyContract, checkRunMatchesContract, type VerifyInput, type VerifiedContract } from "./steps/verify.ts";
export { attestEnclave, type AttestInput, type AttestedEnclave } from "./steps/attest.ts";
export { inspectDatasets, type InspectInput, type InspectedDataset } from "./steps/inspect.ts";
export { releaseKeys, zeroContentKeys, type ReleaseInput, type ReleasedKeys, type ContentKeys } from "./steps/release.ts";
export { loadDatasets, type LoadInput, type LoadedDataset } from "./steps/load.ts";
export { compute, type ComputeInput } from "./steps/compute.ts";
export { guard, type GuardInput } from "./steps/guard.ts";
export { seal, type SealInput, type SealedResult } from "./steps/seal.ts";
export { commitOutputs, type CommitInput, type Committed } from "./steps/commit.ts";
