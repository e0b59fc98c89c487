// A loopback HTTPS stand-in for Microsoft Azure Attestation: OpenID metadata, a JWKS, and RS256
// tokens with MAA's claim shapes for both isolation modes. It attests nothing: it signs whatever
// runtime keys it is given and marks every token `x-cleanroom-simulated: true`.
import { createHash, createPrivateKey, generateKeyPair, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import type { JsonWebKey } from "node:crypto";
import { promisify } from "node:util";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CompactSign } from "jose";
import { pemChainToX5c, type LocalCa } from "./ca.ts";
import { HttpError, LocalCleanRoomError } from "./errors.ts";
import { readJsonBody, sendJson, startLoopbackHttpsServer } from "./https-server.ts";
import { buildSimulatedClaims, validateTokenRequest, SIMULATED_CLAIM, type TokenRequest } from "./maa-claims.ts";

export type { TokenRequest } from "./maa-claims.ts";

export interface LocalAttestationAuthority {
  url: string /* https://127.0.0.1:<port>, equals the token iss */;
  issueToken(req: TokenRequest): Promise<string>;
  close(): Promise<void>;
}

export const OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";
export const JWKS_PATH = "/certs";
export const SIMULATED_ATTEST_PATH = "/attest/simulated";

const generateKeyPairAsync = promisify(generateKeyPair);

interface SigningIdentity {
  privateKey: KeyObject;
  kid: string;
  jwk: JsonWebKey;
}

async function signingIdentity(ca: LocalCa): Promise<SigningIdentity> {
  const issued = await ca.issueSigningCert("Cleanroom Local Attestation Authority");
  const leaf = new X509Certificate(issued.certPem);
  // MAA names its signing keys by the base64 SHA-256 of the certificate.
  const kid = createHash("sha256").update(leaf.raw).digest("base64");
  const publicJwk = leaf.publicKey.export({ format: "jwk" });
  return {
    privateKey: createPrivateKey(issued.keyPem),
    kid,
    // MAA's JWKS entries carry only kty, kid and x5c; n and e are added so JOSE libraries can
    // import the key without parsing the certificate.
    jwk: { kty: "RSA", kid, use: "sig", alg: "RS256", n: publicJwk.n, e: publicJwk.e, x5c: pemChainToX5c(issued.chainPem) } as JsonWebKey,
  };
}

async function hclAttestationKey(): Promise<JsonWebKey> {
  const { publicKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
  const { kty, n, e } = publicKey.export({ format: "jwk" });
  return { kty, n, e };
}

export async function startAttestationAuthority(opts: { ca: LocalCa }): Promise<LocalAttestationAuthority> {
  const [tlsCert, signer, hclKey] = await Promise.all([
    opts.ca.issueServerCert(["127.0.0.1", "localhost"]),
    signingIdentity(opts.ca),
    hclAttestationKey(),
  ]);
  let url = "";

  async function issueToken(input: TokenRequest): Promise<string> {
    const req = validateTokenRequest(input);
    const claims = buildSimulatedClaims(req, {
      issuer: url,
      now: Math.floor(Date.now() / 1000),
      jti: randomBytes(32).toString("hex"),
      hclKey,
    });
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "RS256", jku: `${url}${JWKS_PATH}`, kid: signer.kid, typ: "JWT" })
      .sign(signer.privateKey);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", url).pathname;
    if (req.method === "GET" && path === OPENID_CONFIGURATION_PATH) {
      sendJson(res, 200, {
        issuer: url,
        jwks_uri: `${url}${JWKS_PATH}`,
        response_types_supported: ["token", "none"],
        id_token_signing_alg_values_supported: ["RS256"],
        claims_supported: ["iss", "iat", "exp", "nbf", "jti", "x-ms-attestation-type", "x-ms-runtime", SIMULATED_CLAIM],
      });
      return;
    }
    if (req.method === "GET" && path === JWKS_PATH) {
      sendJson(res, 200, { keys: [signer.jwk] });
      return;
    }
    if (req.method === "POST" && path === SIMULATED_ATTEST_PATH) {
      const body = await readJsonBody(req);
      // Only the evidence an attester controls: lifetime and claim overrides stay in-process.
      const { mode, runtimeKeys, nonce, hostdata } = (body ?? {}) as Record<string, unknown>;
      try {
        const token = await issueToken({ mode, runtimeKeys, nonce, hostdata } as TokenRequest);
        sendJson(res, 200, { token });
      } catch (error) {
        if (error instanceof LocalCleanRoomError) throw new HttpError(400, "InvalidRequest", error.message);
        throw error;
      }
      return;
    }
    throw new HttpError(404, "NotFound", `the local attestation authority has no ${req.method ?? ""} ${path}`);
  }

  const server = await startLoopbackHttpsServer(tlsCert, handle);
  url = server.url;
  return { url, issueToken, close: () => server.close() };
}
