// Public API of the collaboration protocol: a pure domain model (no Pulumi, no Azure SDK) shared by
// the components, the policy pack, the enclave runtime, the CLI and the local clean room.
export type {
  IsolationMode,
  AttestationRequirements,
  ColumnSpec,
  DatasetSpec,
  DatasetAnalysis,
  AnalysisAggregate,
  PartySpec,
  PrivacyRules,
  DpRules,
  DecimalValue,
  RunLimits,
  Contract,
  ContractDraft,
  ContractPhase,
  ValidationIssue,
  Approvals,
  ApprovalReport,
  ClaimOperator,
  ClaimCondition,
  Condition,
  AuthorityRule,
  ReleasePolicy,
  Claims,
  PolicyFailure,
  PolicyDecision,
} from "./types.ts";

export {
  ContractValidationError,
  ReleasePolicyError,
  ApprovalError,
  CanonicalJsonError,
  type ReleasePolicyErrorCode,
  type ApprovalErrorCode,
} from "./errors.ts";

export { canonicalJson, sha256Hex } from "./canonical.ts";
export {
  jsonSyntaxProblem,
  parseJsonStrict,
  JsonDocumentError,
  JSON_MAX_BYTES,
  DEFAULT_JSON_MAX_DEPTH,
  DEFAULT_JSON_MAX_BYTES,
  type JsonErrorCode,
  type ParseJsonOptions,
} from "./json-text.ts";

export { validateContract, parseContract, contractHash, requiredApprovers, type ContractCheck } from "./contract.ts";
export { IssueList, prefixPath } from "./issues.ts";
export {
  CONTRACT_VERSION,
  PARTY_NAME,
  DATASET_NAME,
  COLLABORATION_NAME,
  PINNED_IMAGE,
  pinnedImageProblem,
  SIMPLE_COLUMN_TYPES,
  isSupportedColumnType,
  MIN_GROUP_SIZE,
  minGroupSizeProblem,
  ANALYSIS_AGGREGATES,
} from "./contract-schema.ts";
export { DEFAULT_RUN_LIMITS, RUN_LIMIT_BOUNDS, runLimitProblem, effectiveRunLimits } from "./run-limits.ts";
export { privacyMode, effectiveMinGroupSize, type PrivacyMode } from "./analysis-mode.ts";
export { DEFAULT_DP_DECIMALS } from "./contract-semantics.ts";
export { compareDecimals, decimalProblem, exactDecimal } from "./decimal.ts";

export {
  parseKeyVaultKeyId,
  tryParseKeyVaultKeyId,
  isKeyVaultKeyId,
  parseKeyVaultUrl,
  formatKeyVaultKeyId,
  versionlessKeyVaultKeyId,
  sameKeyVaultKey,
  KeyIdError,
  type KeyVaultKeyId,
  type KeyVaultUrl,
} from "./key-id.ts";

export {
  signApproval,
  verifyApprovals,
  parseApprovals,
  APPROVAL_JWS_TYPE,
  type ApprovalPayload,
} from "./approvals.ts";

export {
  ISOLATION_MODES,
  normalizeAuthority,
  sameAuthority,
  checkAttestationRequirements,
  POLICY_HASH,
  CONFCOM_VERSION,
} from "./attestation-requirements.ts";

export { checkSigningJwk, checkKekJwk, publicKeyFromJwk, signingAlgorithmFor, type SigningAlgorithm } from "./jwk.ts";

export {
  MaaClaims,
  AttestationTypes,
  ComplianceStatus,
  isolationTeeClaim,
  lookupClaim,
  getClaim,
  runtimeKeys,
  releaseWrappingKey,
  type ClaimLookup,
} from "./claims.ts";

export {
  buildReleasePolicy,
  encodeReleasePolicy,
  decodeReleasePolicy,
  releasePolicyDigest,
  kekKeyName,
  kekKeyNameFromDigest,
  KEK_NAME_DIGEST_LENGTH,
  RELEASE_POLICY_CONTENT_TYPE,
  NOT_DEBUGGABLE_SPELLINGS,
} from "./release-policy.ts";
export { decodeCcePolicy, ccePolicyHostdata, CcePolicyEncodingError, CCE_ENFORCEMENT_POINTS, frameworkDelegations } from "./cce-policy.ts";
export { jwkThumbprint, formatPartySigners, parsePartySigners, partySignersMismatch, PartySignersError, type PartySigners } from "./party-signers.ts";
export {
  ENCLAVE_COMMAND,
  ENCLAVE_WORKING_DIR,
  ENCLAVE_CONFIG_DIR,
  CONTRACT_FILE,
  APPROVALS_FILE,
  ENCLAVE_SCRATCH_DIR,
  ENCLAVE_ENV,
  OUTPUT_CONTAINER_NAME,
  inputContainerName,
  partyOfInputContainer,
} from "./enclave-process.ts";
export { validateReleasePolicy, RELEASE_POLICY_VERSION, CLAIM_OPERATORS } from "./release-policy-validate.ts";
export {
  evaluateReleasePolicy,
  traceReleasePolicy,
  claimValueEquals,
  type PolicyTrace,
  type AuthorityTrace,
  type ConditionTrace,
} from "./release-policy-evaluate.ts";
export { explainDecision, hintFor, shortValue } from "./release-policy-explain.ts";
export { checkHostdata, describeHostdataMismatch, type HostdataCheck } from "./hostdata.ts";
export { decodeJwtClaims, clientPayloadNonceOf, looksLikeJwt, tokenBindsKey, tokenBindsNonce } from "./token-claims.ts";

// Azure facts the components and the policy pack must agree on.
export {
  parseConfidentialSize,
  CONFIDENTIAL_VCPU_COUNTS,
  type ConfidentialSize,
  type ConfidentialTee,
  type ParseConfidentialSizeOptions,
} from "./confidential-vm-sizes.ts";
export {
  ATTESTATION_REGION_CODES,
  SHARED_ATTESTATION_ENDPOINTS,
  normalizeLocation,
  attestationRegionCode,
  sharedAttestationEndpoint,
  dedicatedAttestationEndpoint,
} from "./attestation-endpoints.ts";
export { PARTY_TAG, COLLABORATION_TAG, azureTagNameProblem, azureTagValueProblem, blobMetadataNameProblem } from "./resource-tags.ts";
export { AzureRoles, AzureRoleIds, azureRoleName, type AzureRole } from "./azure-roles.ts";
