// Public API of the local clean room servers (see docs/local-clean-room.md). Azurite, the storage
// emulator, has its own module: ./azurite.ts.
export { createLocalCa, pemChainToX5c, type CertificateRequest, type CertKeyAlgorithm, type IssuedCert, type LocalCa, type LocalCaOptions } from "./ca.ts";
export {
  startAttestationAuthority,
  JWKS_PATH,
  OPENID_CONFIGURATION_PATH,
  SIMULATED_ATTEST_PATH,
  type LocalAttestationAuthority,
  type TokenRequest,
} from "./attestation-authority.ts";
export { CVM_RUNTIME_KEY_ID, DEFAULT_TOKEN_LIFETIME_SECONDS, SIMULATED_CLAIM } from "./maa-claims.ts";
export { startLocalKeyVault, RELEASE_DATA_ACTION, type LocalKeyVault, type LocalKeyVaultOptions } from "./key-vault.ts";
export { localCredential, localKeyClient, DEFAULT_LOCAL_PRINCIPAL } from "./local-clients.ts";
export { KEY_VAULT_RESOURCE } from "./entra-token.ts";
export { LocalCleanRoomError, HttpError, type LocalCleanRoomErrorCode } from "./errors.ts";
