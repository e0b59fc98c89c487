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
}

export interface LocalCa {
  certPem: string;
  issueServerCert(hostnames: string[]): Promise<IssuedCert>;
  issueSigningCert(commonName: string): Promise<IssuedCert>;
  /** The general form of the two above (e.g. an RSA signing cert bound to a host name). */
  issueCertificate(request: CertificateRequest): Promise<IssuedCert>;
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

export async function createLocalCa(): Promise<LocalCa> {
  const caKeys = await generateKeys("EC");
  const caSubject = name(`Cleanroom Local CA ${randomUUID().slice(0, 8)}`);
  const caKeyId = keyIdentifier(caKeys.publicKey);
  const now = Date.now();
  const caPem = buildCertificate({
    subject: caSubject,
    issuer: caSubject,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_MS),
    extensions: [
      extension(OID.basicConstraints, true, der.sequence(der.booleanTrue(), der.integer(0))),
      extension(OID.keyUsage, true, der.namedBits([KU.keyCertSign, KU.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, der.octetString(caKeyId)),
    ],
  });

  async function issueCertificate(request: CertificateRequest): Promise<IssuedCert> {
    const commonName = request.commonName.trim();
    if (commonName.length === 0 || commonName.length > 64) {
      throw new LocalCleanRoomError("CA_INVALID_REQUEST", "certificate common name must be 1-64 characters");
    }
    const hostnames = request.hostnames ?? [];
    if (request.usage === "server" && hostnames.length === 0) {
      throw new LocalCleanRoomError("CA_INVALID_REQUEST", "a server certificate needs at least one host name");
    }
    const sans = subjectAltNames(hostnames);
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
      extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, caKeyId))),
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
    const issuedAt = Date.now();
    const certPem = buildCertificate({
      subject: name(commonName),
      issuer: caSubject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      notBefore: new Date(issuedAt - BACKDATE_MS),
      notAfter: new Date(issuedAt + LEAF_VALIDITY_MS),
      extensions,
    });
    const keyPem = keys.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    return { certPem, keyPem, chainPem: [certPem, caPem] };
  }

  return {
    certPem: caPem,
    issueCertificate,
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

/** base64 (standard, padded) DER of each PEM certificate: the form JOSE `x5c` uses. */
export function pemChainToX5c(chainPem: string[]): string[] {
  return chainPem.map((pem) => Buffer.from(new X509Certificate(pem).raw).toString("base64"));
}
