// Which attestation authorities a release policy may trust. An authority decides which tokens Key
// Vault accepts, so a policy naming an arbitrary host (a local test authority, a look-alike domain)
// would hand the key to whoever runs that host.
import { normalizeAuthority } from "../../enclave-app/src/protocol/index.ts";

/**
 * Regional codes of the shared Microsoft Azure Attestation providers (shared<code>.<code>.attest.azure.net)
 * in regions with SEV-SNP confidential VM sizes. Same table as components/attestation-endpoints.ts;
 * the pack may import only the protocol module, so this is a copy until the table moves there.
 */
const SHARED_REGION_CODES = [
  "eau", "cac", "cae", "cin", "cus", "easia", "eus", "eus2", "frc", "dewc", "itn",
  "jpe", "krc", "neu", "sasia", "sec", "swn", "uaen", "uks", "weu", "wus", "wus3",
] as const;

export const SHARED_MAA_ENDPOINTS: readonly string[] = SHARED_REGION_CODES.map((c) => `https://shared${c}.${c}.attest.azure.net`);

/** Dedicated providers are <name>.<region code>.attest.azure.net. */
export const DEDICATED_MAA_PATTERN = "https://*.attest.azure.net";

/**
 * The shared endpoints are listed although the pattern covers them: an operator who removes the
 * pattern (to forbid dedicated providers) keeps the shared ones.
 */
export const DEFAULT_ALLOWED_AUTHORITIES: readonly string[] = [...SHARED_MAA_ENDPOINTS, DEDICATED_MAA_PATTERN];

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
