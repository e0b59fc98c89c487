// Which attestation authorities a release policy may trust. An authority decides which tokens Key
// Vault accepts, so a policy naming an arbitrary host (a local test authority, a look-alike domain)
// would hand the key to whoever runs that host.
import { normalizeAuthority, SHARED_ATTESTATION_ENDPOINTS } from "../../enclave-app/src/protocol/index.ts";

/** Dedicated providers are <name>.<region code>.attest.azure.net. */
export const DEDICATED_MAA_PATTERN = "https://*.attest.azure.net";

/**
 * The shared providers of the regions with SEV-SNP confidential VM sizes (the protocol's region
 * table), and every dedicated provider. The shared endpoints are listed although the pattern covers
 * them: an operator who removes the pattern (to forbid dedicated providers) keeps the shared ones.
 */
export const DEFAULT_ALLOWED_AUTHORITIES: readonly string[] = [...SHARED_ATTESTATION_ENDPOINTS, DEDICATED_MAA_PATTERN];

/**
 * Whether `authority` matches one entry of the allow-list. Entries are exact https URLs (compared
 * after normalisation: host case, trailing slash) or `https://*.<domain>`, which matches any https
 * host under <domain> (one or more labels) on the default port.
 */
export function authorityAllowed(authority: string, allowed: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    return false;
  }
  if (url.protocol !== "https:") return false;
  const normalized = normalizeAuthority(authority);
  return allowed.some((entry) => {
    const wildcard = /^(?:https:\/\/)?\*\.([a-z0-9.-]+?)\/?$/i.exec(entry.trim());
    if (wildcard) {
      const domain = wildcard[1]!.toLowerCase();
      return url.port === "" && url.pathname.replace(/\/+$/, "") === "" && url.hostname.endsWith(`.${domain}`);
    }
    return normalizeAuthority(entry) === normalized;
  });
}
