// The bearer token format shared by `localCredential` and the Key Vault stand-in: an unsigned JWT
// (alg "none") naming a principal. It stands in for a Microsoft Entra access token so the
// stand-in can model role assignments; it is NOT an authentication mechanism: anyone on the
// machine can mint one for any principal. Real Entra tokens never reach the local servers.

export const KEY_VAULT_RESOURCE = "https://vault.azure.net";
/** Tenant the stand-in names in its challenge (Entra-shaped, obviously not a real tenant). */
export const LOCAL_TENANT_ID = "00000000-0000-0000-0000-000000000000";
export const LOCAL_TOKEN_MARKER = "x-cleanroom-local";
export const LOCAL_TOKEN_LIFETIME_SECONDS = 3600;

const PRINCIPAL = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;

export function isValidPrincipal(principal: string): boolean {
  return PRINCIPAL.test(principal);
}

export function mintLocalAccessToken(principal: string, audience: string, tenantId: string, nowSeconds: number): string {
  const header = { alg: "none", typ: "JWT" };
  const payload = {
    aud: audience,
    iss: `https://login.microsoftonline.com/${tenantId}/v2.0`,
    tid: tenantId,
    oid: principal,
    sub: principal,
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + LOCAL_TOKEN_LIFETIME_SECONDS,
    [LOCAL_TOKEN_MARKER]: true,
  };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  return `${encode(header)}.${encode(payload)}.`;
}

export type LocalTokenCheck = { ok: true; principal: string } | { ok: false; reason: string };

/** Reads a bearer token minted by `mintLocalAccessToken`; says why when it is unusable. */
export function readLocalAccessToken(token: string, expectedAudience: string, nowSeconds: number): LocalTokenCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "bearer token is not a JWT" };
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: "bearer token payload is not JSON" };
  }
  if (typeof payload !== "object" || payload === null) return { ok: false, reason: "bearer token payload is not an object" };
  if (payload.aud !== expectedAudience) {
    return { ok: false, reason: `bearer token audience must be '${expectedAudience}'` };
  }
  if (typeof payload.exp !== "number" || payload.exp <= nowSeconds) return { ok: false, reason: "bearer token is expired" };
  if (typeof payload.oid !== "string" || !isValidPrincipal(payload.oid)) {
    return { ok: false, reason: "bearer token does not name a principal (oid)" };
  }
  return { ok: true, principal: payload.oid };
}
