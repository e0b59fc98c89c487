// A throwaway certificate authority for the local clean room. It lives only in memory: the root
// key is generated at start, never exported and never written anywhere, so nothing outside this
// process (and the clients it explicitly hands `certPem` to) ever trusts what it signs.
import {
  createHash,
  generateKeyPair,
  randomBytes,
  randomUUID,
  sign,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { isIP } from "node:net";
import { promisify } from "node:util";
import * as der from "./der.ts";
import { LocalCleanRoomError } from "./errors.ts";

export interface IssuedCert {
  certPem: string;
  keyPem: string /* PKCS#8 */;
  chainPem: string[] /* leaf first, then CA */;
}

export type CertKeyAlgorithm = "RSA" | "EC";

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses put in subjectAltName (IP literals become iPAddress entries). */
  hostnames?: string[];
  /** "server": TLS server auth; "signing": digital signatures only (JWS, receipts). */
  usage: "server" | "signing";
  /** Default: EC P-256 for server certs (fast TLS), RSA-2048 for signing certs (RS256). */
  keyAlgorithm?: CertKeyAlgorithm;
  /**
   * Validity window; default from 5 minutes ago for 7 days. Any window is accepted, also one in the
   * past: tests use it to present an expired certificate.
   */
  notBefore?: Date;
  notAfter?: Date;
}

export interface LocalCaOptions {
  /**
   * How many intermediate CAs may stand below this root (basicConstraints pathLenConstraint).
   * Default 0: the root signs only end-entity certificates, which is all the local clean room needs.
   */
  maxIntermediates?: number;
}

export interface LocalCa {
  certPem: string;
  /** This CA's certificate followed by those above it up to the root; `[certPem]` for a root. */
  chainPem: string[];
  issueServerCert(hostnames: string[]): Promise<IssuedCert>;
  issueSigningCert(commonName: string): Promise<IssuedCert>;
  /** The general form of the two above (e.g. an RSA signing cert bound to a host name). */
  issueCertificate(request: CertificateRequest): Promise<IssuedCert>;
  /**
   * A subordinate CA signed by this one, so chains read leaf -> intermediate -> root as Key Vault's
   * do. Refused (CA_INVALID_REQUEST) beyond the root's `maxIntermediates`.
   */
  issueIntermediateCa(commonName: string): Promise<LocalCa>;
}

const generateKeyPairAsync = promisify(generateKeyPair);

// Backdated so a freshly issued cert is valid despite small clock differences between processes.
const BACKDATE_MS = 5 * 60_000;
const LEAF_VALIDITY_MS = 7 * 24 * 3600_000;
const CA_VALIDITY_MS = 8 * 24 * 3600_000;
const ORGANIZATION = "Confidential Clean Room (local, simulated)";
// Conservative DNS name check: labels of letters, digits and hyphens.
const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

// KeyUsage bit numbers (RFC 5280 4.2.1.3).
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

async function generateKeys(algorithm: CertKeyAlgorithm): Promise<KeyPair> {
  return algorithm === "RSA"
    ? generateKeyPairAsync("rsa", { modulusLength: 2048 })
    : generateKeyPairAsync("ec", { namedCurve: "P-256" });
}

/** Validates host names and classifies each as a DNS name or an IP address. */
export function subjectAltNames(hostnames: string[]): { type: "dns" | "ip"; value: string }[] {
  return hostnames.map((name) => {
    if (isIP(name) !== 0) return { type: "ip", value: name };
    if (!DNS_NAME.test(name)) {
      throw new LocalCleanRoomError(
        "CA_INVALID_REQUEST",
        `certificate host name '${name}' is neither an IP address nor a valid DNS name`,
      );
    }
    return { type: "dns", value: name };
  });
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head = "", tail] = ip.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = groups(tail);
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill("0");
  const bytes = Buffer.concat([...left, ...fill, ...right].map((g) => Buffer.from(g.padStart(4, "0"), "hex")));
  if (bytes.length !== 16) {
    throw new LocalCleanRoomError("CA_INVALID_REQUEST", `IPv6 address '${ip}' is not supported in a certificate (use plain hex groups)`);
  }
  return bytes;
}

function name(commonName: string): Buffer {
  const rdn = (type: string, value: string) => der.set(der.sequence(der.oid(type), der.utf8String(value)));
  return der.sequence(rdn(OID.commonName, commonName), rdn(OID.organization, ORGANIZATION));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(id), ...(critical ? [der.booleanTrue()] : []), der.octetString(value));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  // RFC 5280 allows any unique method; a SHA-1 of the SPKI is as good as the bit-string hash.
  return createHash("sha1").update(publicKey.export({ type: "spki", format: "der" })).digest();
}

function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and exactly 16 bytes
  return der.integerFromBytes(bytes);
}

function toPem(label: string, derBytes: Uint8Array): string {
  const lines = Buffer.from(derBytes).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

interface CertificateParts {
  subject: Buffer;
  issuer: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject /* EC P-256 */;
  notBefore: Date;
  notAfter: Date;
  extensions: Buffer[];
}

function buildCertificate(parts: CertificateParts): string {
  const signatureAlgorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    serialNumber(),
    signatureAlgorithm,
    parts.issuer,
    der.sequence(der.time(parts.notBefore), der.time(parts.notAfter)),
    parts.subject,
    parts.publicKey.export({ type: "spki", format: "der" }),
    der.explicit(3, der.sequence(...parts.extensions)),
  );
  const signature = sign("sha256", tbs, parts.signingKey); // DER ECDSA-Sig-Value
  return toPem("CERTIFICATE", der.sequence(tbs, signatureAlgorithm, der.bitString(signature)));
}

function checkCommonName(commonName: string): string {
  const trimmed = commonName.trim();
  if (trimmed.length === 0 || trimmed.length > 64) {
    throw new LocalCleanRoomError("CA_INVALID_REQUEST", "certificate common name must be 1-64 characters");
  }
  return trimmed;
}

function validityOf(request: CertificateRequest): { notBefore: Date; notAfter: Date } {
  const issuedAt = Date.now();
  const notBefore = request.notBefore ?? new Date(issuedAt - BACKDATE_MS);
  const notAfter = request.notAfter ?? new Date(notBefore.getTime() + BACKDATE_MS + LEAF_VALIDITY_MS);
  if (!(notBefore.getTime() < notAfter.getTime())) {
    throw new LocalCleanRoomError("CA_INVALID_REQUEST", "certificate notBefore must be earlier than notAfter");
  }
  return { notBefore, notAfter };
}

/** A CA's key and certificate; the private key stays inside the issuer built from it. */
interface CaIdentity {
  keys: KeyPair;
  subject: Buffer;
  keyId: Buffer;
  chainPem: string[];
  /** Intermediates still allowed below this CA. */
  pathLength: number;
}

function caExtensions(keyId: Buffer, pathLength: number, issuerKeyId?: Buffer): Buffer[] {
  return [
    extension(OID.basicConstraints, true, der.sequence(der.booleanTrue(), der.integer(pathLength))),
    extension(OID.keyUsage, true, der.namedBits([KU.keyCertSign, KU.cRLSign])),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
    ...(issuerKeyId ? [extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, issuerKeyId)))] : []),
  ];
}

function issuerFor(ca: CaIdentity): LocalCa {
  async function issueCertificate(request: CertificateRequest): Promise<IssuedCert> {
    const commonName = checkCommonName(request.commonName);
    const hostnames = request.hostnames ?? [];
    if (request.usage === "server" && hostnames.length === 0) {
      throw new LocalCleanRoomError("CA_INVALID_REQUEST", "a server certificate needs at least one host name");
    }
    const sans = subjectAltNames(hostnames);
    const { notBefore, notAfter } = validityOf(request);
    const algorithm = request.keyAlgorithm ?? (request.usage === "server" ? "EC" : "RSA");
    const keys = await generateKeys(algorithm);
    const usageBits: number[] =
      request.usage === "server" && algorithm === "RSA"
        ? [KU.digitalSignature, KU.keyEncipherment]
        : [KU.digitalSignature];
    const extensions = [
      extension(OID.basicConstraints, true, der.sequence()),
      extension(OID.keyUsage, true, der.namedBits(usageBits)),
      extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(keys.publicKey))),
      extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, ca.keyId))),
    ];
    if (request.usage === "server") {
      extensions.push(extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))));
    }
    if (sans.length > 0) {
      const generalNames = sans.map((san) =>
        san.type === "ip" ? der.implicitPrimitive(7, ipBytes(san.value)) : der.implicitPrimitive(2, Buffer.from(san.value, "ascii")),
      );
      extensions.push(extension(OID.subjectAltName, false, der.sequence(...generalNames)));
    }
    const certPem = buildCertificate({
      subject: name(commonName),
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      notBefore,
      notAfter,
      extensions,
    });
    const keyPem = keys.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    return { certPem, keyPem, chainPem: [certPem, ...ca.chainPem] };
  }

  async function issueIntermediateCa(commonName: string): Promise<LocalCa> {
    const checked = checkCommonName(commonName);
    if (ca.pathLength < 1) {
      throw new LocalCleanRoomError(
        "CA_INVALID_REQUEST",
        `CA "${checked}" would exceed the root's path length: create the root with createLocalCa({ maxIntermediates }) to allow intermediates`,
      );
    }
    const keys = await generateKeys("EC");
    const subject = name(checked);
    const keyId = keyIdentifier(keys.publicKey);
    const pathLength = ca.pathLength - 1;
    const now = Date.now();
    const certPem = buildCertificate({
      subject,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + CA_VALIDITY_MS),
      extensions: caExtensions(keyId, pathLength, ca.keyId),
    });
    return issuerFor({ keys, subject, keyId, chainPem: [certPem, ...ca.chainPem], pathLength });
  }

  return {
    certPem: ca.chainPem[0]!,
    chainPem: [...ca.chainPem],
    issueCertificate,
    issueIntermediateCa,
    issueServerCert(hostnames: string[]) {
      const first = hostnames[0];
      if (first === undefined) {
        return Promise.reject(
          new LocalCleanRoomError("CA_INVALID_REQUEST", "a server certificate needs at least one host name"),
        );
      }
      return issueCertificate({ commonName: first, hostnames, usage: "server" });
    },
    issueSigningCert(commonName: string) {
      return issueCertificate({ commonName, usage: "signing" });
    },
  };
}

export async function createLocalCa(opts: LocalCaOptions = {}): Promise<LocalCa> {
  const pathLength = opts.maxIntermediates ?? 0;
  if (!Number.isSafeInteger(pathLength) || pathLength < 0 || pathLength > 8) {
    throw new LocalCleanRoomError("CA_INVALID_REQUEST", `maxIntermediates must be an integer 0-8, got ${String(opts.maxIntermediates)}`);
  }
  const keys = await generateKeys("EC");
  const subject = name(`Cleanroom Local CA ${randomUUID().slice(0, 8)}`);
  const keyId = keyIdentifier(keys.publicKey);
  const now = Date.now();
  const certPem = buildCertificate({
    subject,
    issuer: subject,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_MS),
    extensions: caExtensions(keyId, pathLength),
  });
  return issuerFor({ keys, subject, keyId, chainPem: [certPem], pathLength });
}

/** base64 (standard, padded) DER of each PEM certificate: the form JOSE `x5c` uses. */
export function pemChainToX5c(chainPem: string[]): string[] {
  return chainPem.map((pem) => Buffer.from(new X509Certificate(pem).raw).toString("base64"));
}
