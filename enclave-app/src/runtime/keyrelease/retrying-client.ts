// A KeyReleaseClient whose release is retried while Key Vault answers 403 ForbiddenByRbac (the
// release role on the party's key not yet propagated), within the retry policy's bound. A
// release-policy denial is final and fails at once.
import type { Attester } from "../attest/attester.ts";
import { keyVaultAuthorizationPending, releaseToolAuthorizationPending } from "../retry/authorization.ts";
import { withRetry, type RetryClock, type RetryNotice, type RetryPolicyOptions } from "../retry/policy.ts";
import type { KeyReleaseClient } from "./release.ts";

export interface ReleaseRetryNotice extends RetryNotice {
  party: string;
  keyName: string;
}

export function retryingKeyClient(client: KeyReleaseClient, policy: RetryPolicyOptions, party: string, onRetry?: (notice: ReleaseRetryNotice) => void, clock?: RetryClock): KeyReleaseClient {
  return {
    vaultUrl: client.vaultUrl,
    releaseKey: (name, token, options) =>
      withRetry(
        () => client.releaseKey(name, token, options),
        policy,
        {
          what: `release of key "${name}" from ${client.vaultUrl}`,
          classify: keyVaultAuthorizationPending,
          ...(onRetry ? { onRetry: (n: RetryNotice) => onRetry({ ...n, party, keyName: name }) } : {}),
        },
        clock,
      ),
  };
}

/**
 * The attester with its release tool's unwrap (AzureAttestSKR: release and unwrap in one call) retried
 * while Key Vault refuses it for RBAC, within the bound; every other failure is final.
 */
export function retryingToolUnwrap(attester: Attester, policy: RetryPolicyOptions, party: string, onRetry?: (notice: ReleaseRetryNotice) => void, clock?: RetryClock): Attester {
  const unwrap = attester.unwrapContentKeys?.bind(attester);
  if (!unwrap) return attester;
  // A plain delegate, not a prototype copy: attesters keep their state in private fields.
  const unwrapReleasedKey = attester.unwrapReleasedKey?.bind(attester);
  return {
    kind: attester.kind,
    mode: attester.mode,
    keyBinding: attester.keyBinding,
    signing: attester.signing,
    ...(attester.encryption ? { encryption: attester.encryption } : {}),
    attest: (o) => attester.attest(o),
    ...(unwrapReleasedKey ? { unwrapReleasedKey } : {}),
    unwrapContentKeys: (req) =>
      withRetry(
      () => unwrap(req),
      policy,
      {
        what: `release of key "${req.keyId}" by AzureAttestSKR`,
        classify: releaseToolAuthorizationPending,
        ...(onRetry ? { onRetry: (n: RetryNotice) => onRetry({ ...n, party, keyName: req.keyId }) } : {}),
      },
      clock,
    ),
  };
}
