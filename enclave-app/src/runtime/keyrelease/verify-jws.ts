// Verifies Key Vault's release response before anything in it is trusted: the compact JWS must be
// signed by the leaf of its `x5c` chain, the chain must lead to a trusted root with every certificate
// inside its validity period, and the leaf must be issued for the vault's host name. Without this a
// man in the middle of the enclave's outbound TLS (or a confused proxy) could hand the enclave a key
// of its choosing.
import { X509Certificate, createVerify, constants, type KeyObject } from "node:crypto";
import { isIP } from "node:net";
import { JSON_MAX_BYTES, JsonDocumentError, parseJsonStrict } from "../../protocol/index.ts";

export type ReleaseJwsFailure =
  | "malformed"
  | "unsupported-alg"
  | "missing-x5c"
  | "bad-certificate"
  | "bad-signature"
  | "broken-chain"
  | "issuer-not-ca"
  | "untrusted-root"
  | "expired-certificate"
  | "host-mismatch";

export class ReleaseJwsError extends Error {
  readonly code = "RELEASE_RESPONSE_INVALID" as const;
  readonly reason: ReleaseJwsFailure;
  constructor(reason: ReleaseJwsFailure, message: string) {
    super(message);
    this.name = "ReleaseJwsError";
    this.reason = reason;
  }
}

export interface VerifyReleaseJwsOptions {
  /** Trust anchors (PEM strings or certificates): tls.rootCertificates on Azure, the local CA locally. */
  trustedRoots: readonly (string | X509Certificate)[];
  /** Host name (or IP literal) of the vault the release was requested from. */
  vaultHost: string;
  now?: Date;
}

export interface VerifiedReleaseJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  leaf: X509Certificate;
}

const ALGS: Record<string, { hash: string; padding?: number; dsa?: boolean }> = {
  RS256: { hash: "sha256" },
  RS384: { hash: "sha384" },
  RS512: { hash: "sha512" },
  PS256: { hash: "sha256", padding: constants.RSA_PKCS1_PSS_PADDING },
  PS384: { hash: "sha384", padding: constants.RSA_PKCS1_PSS_PADDING },
  ES256: { hash: "sha256", dsa: true },
  ES384: { hash: "sha384", dsa: true },
};

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  try {
    const text = Buffer.from(segment, "base64url").toString("utf8");
    const value: unknown = parseJsonStrict(text, { what: `release response ${what}`, maxBytes: JSON_MAX_BYTES.tokenSegment });
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    // A key given twice (two "key_hsm" or "x5c") has no single meaning: refused, naming it.
    if (error instanceof JsonDocumentError && error.code !== "JSON_SYNTAX") throw new ReleaseJwsError("malformed", error.message);
  }
  throw new ReleaseJwsError("malformed", `release response ${what} is not a base64url JSON object`);
}

function toCertificate(value: string | X509Certificate): X509Certificate {
  return typeof value === "string" ? new X509Certificate(value) : value;
}

function checkValidity(cert: X509Certificate, now: Date, role: string): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from || now > to) {
    throw new ReleaseJwsError("expired-certificate", `release response ${role} certificate "${cert.subject.replace(/\n/g, ", ")}" is not valid at ${now.toISOString()} (valid ${from.toISOString()} .. ${to.toISOString()})`);
  }
}

function verifySignature(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const spec = ALGS[alg];
  if (!spec) return false;
  const verifier = createVerify(spec.hash);
  verifier.update(signingInput);
  verifier.end();
  return verifier.verify(
    {
      key,
      ...(spec.padding !== undefined ? { padding: spec.padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : {}),
      ...(spec.dsa ? { dsaEncoding: "ieee-p1363" as const } : {}),
    },
    signature,
  );
}

export function verifyReleaseJws(jws: string, opts: VerifyReleaseJwsOptions): VerifiedReleaseJws {
  const parts = jws.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    throw new ReleaseJwsError("malformed", "release response is not a compact JWS");
  }
  const [h, p, s] = parts as [string, string, string];
  const header = decodeSegment(h, "header");
  const alg = header["alg"];
  if (typeof alg !== "string" || !(alg in ALGS)) {
    throw new ReleaseJwsError("unsupported-alg", `release response alg "${String(alg)}" is not one of ${Object.keys(ALGS).join(", ")}`);
  }
  const x5c = header["x5c"];
  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === "string")) {
    throw new ReleaseJwsError("missing-x5c", "release response header has no x5c certificate chain");
  }
  let chain: X509Certificate[];
  try {
    chain = (x5c as string[]).map((der) => new X509Certificate(Buffer.from(der, "base64")));
  } catch {
    throw new ReleaseJwsError("bad-certificate", "release response x5c contains an unreadable certificate");
  }
  const leaf = chain[0] as X509Certificate;
  if (!verifySignature(alg, leaf.publicKey, `${h}.${p}`, Buffer.from(s, "base64url"))) {
    throw new ReleaseJwsError("bad-signature", "release response signature does not verify with the x5c leaf certificate");
  }

  const now = opts.now ?? new Date();
  const roots = opts.trustedRoots.map(toCertificate);
  const isTrusted = (cert: X509Certificate): boolean => roots.some((r) => r.fingerprint256 === cert.fingerprint256);
  let anchored = false;
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i] as X509Certificate;
    checkValidity(cert, now, i === 0 ? "leaf" : `chain[${i}]`);
    if (isTrusted(cert)) {
      anchored = true;
      break;
    }
    const next = chain[i + 1];
    if (next) {
      if (!cert.checkIssued(next) || !cert.verify(next.publicKey)) {
        throw new ReleaseJwsError("broken-chain", `release response x5c[${i}] is not issued by x5c[${i + 1}]`);
      }
      // checkIssued matches names and key usage only. Without the CA flag, anyone holding an
      // ordinary certificate from a public CA could sign a "leaf" for any vault host with its key.
      if (!next.ca) {
        throw new ReleaseJwsError("issuer-not-ca", `release response x5c[${i + 1}] ("${next.subject.replace(/\n/g, ", ")}") issues x5c[${i}] but is not a CA certificate`);
      }
      continue;
    }
    // Last certificate of the chain: it must be issued by a trust anchor.
    const root = roots.find((r) => r.ca && cert.checkIssued(r) && cert.verify(r.publicKey));
    if (!root) {
      throw new ReleaseJwsError("untrusted-root", `release response certificate chain does not lead to a trusted root (last issuer "${cert.issuer.replace(/\n/g, ", ")}")`);
    }
    checkValidity(root, now, "root");
    anchored = true;
  }
  if (!anchored) throw new ReleaseJwsError("untrusted-root", "release response certificate chain does not lead to a trusted root");

  const hostMatches = isIP(opts.vaultHost) !== 0 ? leaf.checkIP(opts.vaultHost) !== undefined : leaf.checkHost(opts.vaultHost) !== undefined;
  if (!hostMatches) {
    throw new ReleaseJwsError("host-mismatch", `release response leaf certificate "${leaf.subject.replace(/\n/g, ", ")}" is not issued for the vault host ${opts.vaultHost}`);
  }
  return { header, payload: decodeSegment(p, "payload"), leaf };
}
