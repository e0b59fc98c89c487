// Key Vault key identifiers: the one parser, formatter and comparison every part of the project uses
// (contract schema, CLI, enclave runtime, policy pack, components).
//
// Form: https://<vault host>[:port]/keys/<key name>[/<version>]
// (learn.microsoft.com/azure/key-vault/about-keys-secrets-and-certificates#object-identifiers).
//
// Case rule, one for the whole identifier: Microsoft documents that objects "are uniquely identified
// within Key Vault using a case-insensitive identifier" and that identifiers "should always be
// compared as case-insensitive strings" (same page, "Object identifiers"). So the vault host (a DNS
// name, case-insensitive anyway), the key name and the version are all compared ignoring case.
// Versions are hex strings, so ignoring their case loses nothing. The scheme and the `keys`
// segment are fixed. Parsing keeps the name and version as written (Key Vault echoes names as they
// were created); only the host is lower-cased, as the URL standard does.

/** Key names: 1-127 letters, digits and dashes (Key Vault's object-name rule). */
const KEY_NAME = /^[0-9A-Za-z-]{1,127}$/;
/** Versions: Key Vault issues 32 hex characters; up to 64 alphanumerics are accepted. */
const KEY_VERSION = /^[0-9A-Za-z]{1,64}$/;

export interface KeyVaultUrl {
  /** `https://<host>[:port]`, host lower-cased, no trailing slash. */
  vaultUrl: string;
  /** The host name without port (IPv6 without brackets): what Key Vault's TLS certificate names. */
  vaultHost: string;
  /** The vault's name: the first DNS label of the host (`bank-1a2b` of `bank-1a2b.vault.azure.net`); an IP address as is. */
  vaultName: string;
}

export interface KeyVaultKeyId extends KeyVaultUrl {
  /** The key's name, as written. */
  name: string;
  /** The key version, when the id names one. */
  version?: string;
}

export class KeyIdError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.name = "KeyIdError";
    this.input = input;
  }
}

function parseHttpsUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new KeyIdError(text, `${what} ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== "https:") throw new KeyIdError(text, `${what} ${JSON.stringify(text)} must use https`);
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || /[?#]/.test(text)) {
    throw new KeyIdError(text, `${what} ${JSON.stringify(text)} must not carry credentials, a query or a fragment`);
  }
  return url;
}

function vaultOf(url: URL): KeyVaultUrl {
  const vaultHost = url.hostname.replace(/^\[|\]$/g, "");
  const isIp = /^[\d.]+$/.test(vaultHost) || vaultHost.includes(":");
  return { vaultUrl: `https://${url.host}`, vaultHost, vaultName: isIp ? vaultHost : (vaultHost.split(".")[0] as string) };
}

/** Splits `https://<vault>/keys/<name>[/<version>]`; throws KeyIdError naming what is wrong. */
export function parseKeyVaultKeyId(text: string): KeyVaultKeyId {
  const url = parseHttpsUrl(text, "key id");
  const m = /^\/keys\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
  if (!m || !KEY_NAME.test(m[1] as string) || (m[2] !== undefined && !KEY_VERSION.test(m[2]))) {
    throw new KeyIdError(text, `key id ${JSON.stringify(text)} is not of the form https://<vault>/keys/<name>[/<version>]`);
  }
  return { ...vaultOf(url), name: m[1] as string, ...(m[2] !== undefined ? { version: m[2] } : {}) };
}

/** The key id, or undefined when the text is not one. */
export function tryParseKeyVaultKeyId(text: unknown): KeyVaultKeyId | undefined {
  if (typeof text !== "string") return undefined;
  try {
    return parseKeyVaultKeyId(text);
  } catch {
    return undefined;
  }
}

export function isKeyVaultKeyId(text: unknown): text is string {
  return tryParseKeyVaultKeyId(text) !== undefined;
}

/** A vault's own URL (`https://<vault>[:port][/]`, as in a vault's `vaultUri`). */
export function parseKeyVaultUrl(text: string): KeyVaultUrl {
  const url = parseHttpsUrl(text, "vault URL");
  if (url.pathname !== "/" && url.pathname !== "") throw new KeyIdError(text, `vault URL ${JSON.stringify(text)} must have no path`);
  return vaultOf(url);
}

/** The inverse of parseKeyVaultKeyId: `https://<vault>/keys/<name>[/<version>]`. */
export function formatKeyVaultKeyId(id: { vaultUrl: string; name: string; version?: string | undefined }): string {
  const vault = id.vaultUrl.replace(/\/+$/, "");
  return `${vault}/keys/${id.name}${id.version !== undefined ? `/${id.version}` : ""}`;
}

/** The id without its version (what a contract pins; Key Vault resolves it to the current version). */
export function versionlessKeyVaultKeyId(id: KeyVaultKeyId): string {
  return formatKeyVaultKeyId({ vaultUrl: id.vaultUrl, name: id.name });
}

/**
 * Whether two ids name the same key: same vault and key name, ignoring case (see the rule above);
 * the versions must agree (ignoring case) when both ids name one, so a versionless id matches every
 * version of its key. Text that is not a key id matches nothing.
 */
export function sameKeyVaultKey(a: string | KeyVaultKeyId, b: string | KeyVaultKeyId): boolean {
  const x = typeof a === "string" ? tryParseKeyVaultKeyId(a) : a;
  const y = typeof b === "string" ? tryParseKeyVaultKeyId(b) : b;
  if (!x || !y) return false;
  const eq = (p: string, q: string) => p.toLowerCase() === q.toLowerCase();
  return eq(x.vaultUrl, y.vaultUrl) && eq(x.name, y.name) && (x.version === undefined || y.version === undefined || eq(x.version, y.version));
}
