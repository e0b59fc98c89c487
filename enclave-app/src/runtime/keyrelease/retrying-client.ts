// A KeyReleaseClient whose release is retried while Key Vault answers 403 ForbiddenByRbac (the
// release role on the party's key not yet propagated), within the retry policy's bound. A
// release-policy denial is final and fails at once.
import { keyVaultAuthorizationPending } from "../retry/authorization.ts";
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
