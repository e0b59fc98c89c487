// A loopback HTTPS stand-in for the subset of the Azure Key Vault keys REST API the clean room
// uses (create, import, get, release), so `@azure/keyvault-keys` works against it unchanged.
// Release runs the protocol's release-policy evaluator on an attestation token verified against
// its authority's published keys, and wraps the key exactly as Key Vault does (key-release.ts).
// Role model: any local principal may create/import/get; only principals granted the release role
// on a key (Key Vault Crypto Service Release User at key scope) may release it.
import { createPrivateKey } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { evaluateReleasePolicy, normalizeAuthority, type Claims, type PolicyFailure } from "../protocol/index.ts";
import type { LocalCa } from "./ca.ts";
import { HttpError } from "./errors.ts";
import { KEY_VAULT_RESOURCE, LOCAL_TENANT_ID, readLocalAccessToken } from "./entra-token.ts";
import { readJsonBody, sendJson, startLoopbackHttpsServer } from "./https-server.ts";
import {
  AttestationTokenError,
  createAttestationVerifier,
  decodeUnverifiedClaims,
  type AttestationVerifier,
} from "./attestation-verifier.ts";
import {
  DEFAULT_KEY_EXPORT_ENCRYPTION,
  encodeKeyHsm,
  isKeyExportEncryption,
  selectWrappingKey,
  signReleaseResponse,
  wrapPrivateKey,
  type ResponseSigner,
} from "./key-release.ts";
import {
  checkKeyName,
  generateRsaKey,
  KeyStore,
  parseCreateKeyRequest,
  parseImportKeyRequest,
  renderAttributes,
  renderKeyBundle,
  type StoredKey,
} from "./key-vault-model.ts";

export interface LocalKeyVault {
  url: string /* https://127.0.0.1:<port> (vault URL) */;
  caCertPem: string;
  close(): Promise<void>;
  /** Grants `principal` the release role on key `keyName` (all its versions). */
  grantRelease(keyName: string, principal: string): void;
  revokeRelease(keyName: string, principal: string): void;
}

export interface LocalKeyVaultOptions {
  ca: LocalCa;
  /** When given, release accepts only tokens whose `iss` is one of these authorities. */
  trustedAuthorities?: string[];
  /** Release role assignments made at start (same as calling grantRelease). */
  releaseGrants?: { keyName: string; principal: string }[];
}

/** The data action the release role grants (what Key Vault names in its 403). */
export const RELEASE_DATA_ACTION = "Microsoft.KeyVault/vaults/keys/release/action";

const CHALLENGE = `Bearer authorization="https://login.microsoftonline.com/${LOCAL_TENANT_ID}", resource="${KEY_VAULT_RESOURCE}"`;

function unauthorized(message: string): HttpError {
  return new HttpError(401, "Unauthorized", message, { headers: { "www-authenticate": CHALLENGE } });
}

function accessDenied(message: string): HttpError {
  return new HttpError(403, "AccessDenied", message);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function requirement(operator: string | undefined, expected: unknown): string {
  switch (operator) {
    case "equals":
      return `must equal ${describe(expected)}`;
    case "notEquals":
      return `must not equal ${describe(expected)}`;
    case "less":
      return `must be less than ${describe(expected)}`;
    case "lessOrEquals":
      return `must be at most ${describe(expected)}`;
    case "greater":
      return `must be greater than ${describe(expected)}`;
    case "greaterOrEquals":
      return `must be at least ${describe(expected)}`;
    case "exists":
      return expected === false ? "must be absent" : "must be present";
    default:
      return "failed its condition";
  }
}

/**
 * One line naming the failing claim, what the policy required and what the token had, plus where
 * in the policy the condition is (what an operator needs to fix either side).
 */
export function describePolicyFailure(keyName: string, failure: PolicyFailure): string {
  const where = [failure.authority ? `authority ${failure.authority}` : undefined, `policy ${failure.path || "(root)"}`]
    .filter(Boolean)
    .join(", ");
  const head = `release of key '${keyName}' denied by its release policy (${where})`;
  if (failure.claim === undefined) return `${head}: ${failure.reason}`;
  const seen = failure.absent || failure.actual === undefined ? "the token does not carry it" : `the token has ${describe(failure.actual)}`;
  return `${head}: claim '${failure.claim}' ${requirement(failure.operator, failure.expected)}, but ${seen}`;
}

interface Route {
  kind: "create" | "import" | "get" | "release";
  name: string;
  version?: string;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "BadParameter", "request path is not valid percent-encoding");
  }
}

function matchRoute(method: string, pathname: string): Route | undefined {
  // "/keys/<name>[/<version>][/create|/release]", a trailing slash allowed (the SDK's getKey
  // without a version sends "/keys/<name>/").
  const segments = pathname.replace(/\/+$/, "").split("/").slice(1);
  if (segments[0] !== "keys" || !segments[1]) return undefined;
  const name = decodeSegment(segments[1]);
  const rest = segments.slice(2).map(decodeSegment);
  if (method === "POST" && rest.length === 1 && rest[0] === "create") return { kind: "create", name };
  if (method === "PUT" && rest.length === 0) return { kind: "import", name };
  if (method === "GET" && rest.length === 0) return { kind: "get", name };
  if (method === "GET" && rest.length === 1) return { kind: "get", name, version: rest[0]! };
  if (method === "POST" && rest.length === 1 && rest[0] === "release") return { kind: "release", name };
  if (method === "POST" && rest.length === 2 && rest[1] === "release") return { kind: "release", name, version: rest[0]! };
  return undefined;
}

export async function startLocalKeyVault(opts: LocalKeyVaultOptions): Promise<LocalKeyVault> {
  const [tlsCert, signingCert] = await Promise.all([
    opts.ca.issueServerCert(["127.0.0.1", "localhost"]),
    // Key Vault signs release responses with a certificate for its own host name.
    opts.ca.issueCertificate({ commonName: "127.0.0.1", hostnames: ["127.0.0.1", "localhost"], usage: "signing", keyAlgorithm: "RSA" }),
  ]);
  const signer: ResponseSigner = { privateKey: createPrivateKey(signingCert.keyPem), chainPem: signingCert.chainPem };
  const verifier: AttestationVerifier = createAttestationVerifier({ caCertPem: opts.ca.certPem });
  const trusted = opts.trustedAuthorities?.map(normalizeAuthority);
  const grants = new Map<string, Set<string>>();
  const grant = (keyName: string, principal: string) => {
    const key = keyName.toLowerCase();
    grants.set(key, (grants.get(key) ?? new Set()).add(principal));
  };
  for (const { keyName, principal } of opts.releaseGrants ?? []) grant(keyName, principal);

  let store: KeyStore | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    // Authentication comes first, as in Key Vault: the SDK's first request is a bodiless probe
    // that must be answered with the challenge.
    const principal = authenticate(req);
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion) throw new HttpError(400, "BadParameter", "the api-version query parameter is required");
    const route = matchRoute(req.method ?? "GET", url.pathname);
    if (!route) {
      throw new HttpError(
        501,
        "NotImplemented",
        `${req.method} ${url.pathname} is not supported by the local Key Vault stand-in (create, import, get and release of keys only)`,
      );
    }
    checkKeyName(route.name);
    const keys = store!;
    switch (route.kind) {
      case "create": {
        const spec = parseCreateKeyRequest(await readJsonBody(req));
        const key = keys.add(route.name, spec, await generateRsaKey(spec.keySize));
        sendJson(res, 200, renderKeyBundle(key));
        return;
      }
      case "import": {
        const { privateKey, ...spec } = parseImportKeyRequest(await readJsonBody(req));
        sendJson(res, 200, renderKeyBundle(keys.add(route.name, spec, privateKey)));
        return;
      }
      case "get": {
        sendJson(res, 200, renderKeyBundle(findKey(keys, route)));
        return;
      }
      case "release": {
        const body = await readJsonBody(req);
        sendJson(res, 200, { value: await release(findKeyForRelease(keys, route, principal), body, apiVersion) });
        return;
      }
    }
  }

  function authenticate(req: IncomingMessage): string {
    const header = req.headers.authorization;
    if (!header) throw unauthorized("AKV10000: Request is missing a Bearer or PoP token.");
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized("the Authorization header must be 'Bearer <token>'");
    const check = readLocalAccessToken(match[1], KEY_VAULT_RESOURCE, Math.floor(Date.now() / 1000));
    if (!check.ok) throw unauthorized(check.reason);
    return check.principal;
  }

  function findKey(keys: KeyStore, route: Route): StoredKey {
    const key = keys.get(route.name, route.version);
    if (!key) {
      const id = route.version ? `${route.name}/${route.version}` : route.name;
      throw new HttpError(404, "KeyNotFound", `A key with (name/id) ${id} was not found in this key vault.`);
    }
    return key;
  }

  function findKeyForRelease(keys: KeyStore, route: Route, principal: string): StoredKey {
    // Role check before the lookup: a caller without the role learns nothing about the key.
    if (!grants.get(route.name.toLowerCase())?.has(principal)) {
      throw new HttpError(
        403,
        "Forbidden",
        `Caller is not authorized to perform action on resource. Caller: principal=${principal}; ` +
          `Action: '${RELEASE_DATA_ACTION}'; Resource: key '${route.name}'. ` +
          `Grant the release role (Key Vault Crypto Service Release User) on this key.`,
        { innerCode: "ForbiddenByRbac" },
      );
    }
    const key = findKey(keys, route);
    const now = Math.floor(Date.now() / 1000);
    if (!key.attributes.enabled) throw new HttpError(403, "Forbidden", `Operation release is not allowed on a disabled key ('${key.name}').`);
    if ((key.attributes.nbf !== undefined && now < key.attributes.nbf) || (key.attributes.exp !== undefined && now >= key.attributes.exp)) {
      throw new HttpError(403, "Forbidden", `Operation release is not allowed: key '${key.name}' is not yet valid or expired.`);
    }
    if (!key.attributes.exportable || !key.releasePolicy) {
      throw new HttpError(400, "BadParameter", `key '${key.name}' is not exportable; only exportable keys with a release policy can be released`);
    }
    return key;
  }

  async function release(key: StoredKey, body: unknown, apiVersion: string): Promise<string> {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new HttpError(400, "BadParameter", "request body must be a JSON object with 'target'");
    }
    const { target } = body as { target?: unknown };
    const enc = (body as { enc?: unknown }).enc ?? DEFAULT_KEY_EXPORT_ENCRYPTION;
    if (typeof target !== "string" || target.length === 0) {
      throw new HttpError(400, "BadParameter", "'target' (the attestation token) is required");
    }
    if (!isKeyExportEncryption(enc)) {
      throw new HttpError(400, "BadParameter", "'enc' must be CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256 or RSA_AES_KEY_WRAP_384");
    }
    const policy = key.releasePolicy!.policy;
    let unverified: Claims;
    try {
      unverified = decodeUnverifiedClaims(target);
    } catch (error) {
      throw new HttpError(400, "BadParameter", (error as Error).message);
    }
    if (trusted && (typeof unverified.iss !== "string" || !trusted.includes(normalizeAuthority(unverified.iss)))) {
      throw accessDenied(`attestation authority '${String(unverified.iss)}' is not trusted by this vault`);
    }
    // The policy picks the authority. A denial needs no verification (nothing is released), and
    // keys are only ever fetched from an authority the policy names.
    const first = evaluateReleasePolicy(policy, unverified);
    if (!first.allowed) throw accessDenied(describePolicyFailure(key.name, first.failure));
    let claims: Claims;
    try {
      claims = await verifier.verify(target, first.authority);
    } catch (error) {
      if (error instanceof AttestationTokenError) {
        const claim = error.claim ? ` (claim '${error.claim}')` : "";
        throw accessDenied(`release of key '${key.name}' denied: ${error.message}${claim}`);
      }
      throw error;
    }
    // The decision that releases must rest on the verified claims, not on the first look.
    const decision = evaluateReleasePolicy(policy, claims);
    if (!decision.allowed) throw accessDenied(describePolicyFailure(key.name, decision.failure));
    const wrapping = selectWrappingKey(claims);
    if (!wrapping.ok) throw accessDenied(`release of key '${key.name}' denied: claim '${wrapping.claim}': ${wrapping.reason}`);
    const keyHsm = encodeKeyHsm(wrapping.key.kid, enc, wrapPrivateKey(key.privateKey, wrapping.key.publicKey, enc));
    return signReleaseResponse(
      {
        request: { "api-version": apiVersion, enc, kid: key.kid },
        response: {
          key: {
            key: { kid: key.kid, kty: key.kty, key_ops: key.keyOps, n: key.publicJwk.n, e: key.publicJwk.e, key_hsm: keyHsm },
            attributes: renderAttributes(key),
            release_policy: key.releasePolicy!.wire,
          },
        },
      },
      signer,
    );
  }

  const server = await startLoopbackHttpsServer(tlsCert, handle);
  store = new KeyStore(server.url);
  return {
    url: server.url,
    caCertPem: opts.ca.certPem,
    close: () => server.close(),
    grantRelease: grant,
    revokeRelease(keyName: string, principal: string) {
      grants.get(keyName.toLowerCase())?.delete(principal);
    },
  };
}
