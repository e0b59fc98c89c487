// Which 403s mean "not yet authorised" (a role assignment still propagating) rather than "never":
// only those are retried. A release-policy denial, a disabled key, a firewall-blocked network or a
// missing key never heal with time and fail at once.

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === "number" ? s : undefined;
}

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** Storage answers these error codes (x-ms-error-code) until the data-plane role applies. */
export const STORAGE_PROPAGATION_CODES = new Set(["AuthorizationPermissionMismatch", "AuthorizationFailure"]);

export function storageAuthorizationPending(err: unknown): string | undefined {
  const code = codeOf(err);
  return statusOf(err) === 403 && code !== undefined && STORAGE_PROPAGATION_CODES.has(code) ? `HTTP 403 ${code}` : undefined;
}

/**
 * Key Vault's RBAC refusal: `{"error":{"code":"Forbidden","message":"Caller is not authorized to
 * perform action on resource. If role assignments ... were changed recently, please observe
 * propagation time. ...","innererror":{"code":"ForbiddenByRbac"}}}`. The SDK's RestError keeps the
 * parsed body in `details` (innererror spelled innerError after deserialisation).
 */
export function keyVaultAuthorizationPending(err: unknown): string | undefined {
  if (statusOf(err) !== 403) return undefined;
  const body = (err as { details?: { error?: { innerError?: { code?: unknown }; innererror?: { code?: unknown } } } } | null)?.details?.error;
  const inner = body?.innerError?.code ?? body?.innererror?.code;
  if (inner === "ForbiddenByRbac") return "HTTP 403 ForbiddenByRbac";
  const message = err instanceof Error ? err.message : "";
  return /Caller is not authorized to perform action on resource/i.test(message) ? "HTTP 403 (caller not authorized)" : undefined;
}

/**
 * AzureAttestSKR (confidential-node mode) releases the key itself and exits 4 on any Key Vault
 * refusal; only its diagnostics, which carry Key Vault's answer, tell an RBAC refusal (retried) from a
 * release-policy denial ("attestation statement cannot satisfy release policy", final).
 */
export function releaseToolAuthorizationPending(err: unknown): string | undefined {
  if ((err as { code?: unknown } | null)?.code !== "KEY_RELEASE_DENIED") return undefined;
  const message = err instanceof Error ? err.message : "";
  if (!/^AzureAttestSKR /.test(message)) return undefined;
  if (/ForbiddenByRbac/.test(message)) return "AzureAttestSKR: HTTP 403 ForbiddenByRbac";
  return /Caller is not authorized to perform action on resource/i.test(message) ? "AzureAttestSKR: HTTP 403 (caller not authorized)" : undefined;
}
