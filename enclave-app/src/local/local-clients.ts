// Clients for the local servers. Trust in the local CA is scoped to the client object built here
// (its own TLS options), never process-wide: no NODE_TLS_REJECT_UNAUTHORIZED, no global agent.
import { strictKeyClientOptions } from "../runtime/keyrelease/strict-json-policy.ts";
import { KeyClient, type KeyClientOptions } from "@azure/keyvault-keys";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { LocalCleanRoomError } from "./errors.ts";
import { isValidPrincipal, KEY_VAULT_RESOURCE, LOCAL_TENANT_ID, mintLocalAccessToken } from "./entra-token.ts";
import type { LocalKeyVault } from "./key-vault.ts";

/** Principal used when `localKeyClient` is called without a credential. */
export const DEFAULT_LOCAL_PRINCIPAL = "local-operator";

/**
 * A TokenCredential that hands out local, unsigned access tokens naming `principal`; the Key
 * Vault stand-in reads the principal for its role model. Useless against real Azure.
 */
export function localCredential(principal: string): TokenCredential {
  if (!isValidPrincipal(principal)) {
    throw new LocalCleanRoomError(
      "CREDENTIAL_INVALID",
      `local principal '${principal}' must be 1-128 characters of letters, digits and . _ @ : -`,
    );
  }
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      const scope = (Array.isArray(scopes) ? scopes[0] : scopes) ?? `${KEY_VAULT_RESOURCE}/.default`;
      const audience = scope.replace(/\/\.default$/, "");
      const now = Math.floor(Date.now() / 1000);
      const token = mintLocalAccessToken(principal, audience, options?.tenantId ?? LOCAL_TENANT_ID, now);
      return { token, expiresOnTimestamp: (now + 3600) * 1000, tokenType: "Bearer" };
    },
  };
}

/**
 * A real `@azure/keyvault-keys` KeyClient for the local stand-in. Differences from a cloud client,
 * each needed only because the vault is on 127.0.0.1 with a private CA:
 * - `tlsOptions.ca`: this client (only) trusts the local CA, and only it;
 * - `disableChallengeResourceVerification`: the SDK checks that the vault host ends with the
 *   challenge resource's domain (".vault.azure.net"), which 127.0.0.1 cannot;
 * - keep-alive off, so a finished call leaves no socket open.
 */
export function localKeyClient(
  vault: LocalKeyVault | { url: string; caCertPem: string },
  credential: TokenCredential = localCredential(DEFAULT_LOCAL_PRINCIPAL),
  options: KeyClientOptions = {},
): KeyClient {
  return new KeyClient(vault.url, credential, {
    ...strictKeyClientOptions(options),
    tlsOptions: { ...options.tlsOptions, ca: vault.caCertPem },
    disableChallengeResourceVerification: true,
    keepAliveOptions: { enable: false },
  });
}
