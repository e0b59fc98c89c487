// Throwaway certificate chains with chosen names and validity dates, for testing how the runtime
// verifies Key Vault's signed release responses.
import "./reflect-shim.ts";
import { KeyObject, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { CompactSign } from "jose";

type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;

export interface TestCert {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
  /** Standard base64 DER, as in a JWS x5c. */
  der: string;
}

async function keys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
}

function wrap(cert: x509.X509Certificate, k: CryptoKeyPair): TestCert {
  return { cert, keys: k, pem: cert.toString("pem"), der: Buffer.from(cert.rawData).toString("base64") };
}

const DAY = 24 * 3600_000;

export async function makeRoot(name = "Test Root CA", opts: { notBefore?: Date; notAfter?: Date } = {}): Promise<TestCert> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys: k,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 30 * DAY),
    signingAlgorithm: RSA,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return wrap(cert, k);
}

export async function issue(
  issuer: TestCert,
  opts: { commonName: string; hostnames?: string[]; ca?: boolean; notBefore?: Date; notAfter?: Date },
): Promise<TestCert> {
  const k = await keys();
  const san = (opts.hostnames ?? []).map((h) => ({ type: /^\d+\.\d+\.\d+\.\d+$/.test(h) ? ("ip" as const) : ("dns" as const), value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${opts.commonName}`,
    issuer: issuer.cert.subject,
    publicKey: k.publicKey,
    signingKey: issuer.keys.privateKey,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 7 * DAY),
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
      new x509.KeyUsagesExtension(opts.ca ? x509.KeyUsageFlags.keyCertSign : x509.KeyUsageFlags.digitalSignature, true),
      ...(san.length > 0 ? [new x509.SubjectAlternativeNameExtension(san)] : []),
    ],
  });
  return wrap(cert, k);
}

/** A compact JWS signed RS256 by `signer`, with `x5c` = the given chain (leaf first). */
export async function signWithChain(payload: object, signer: TestCert, chain: TestCert[]): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "RS256", x5c: chain.map((c) => c.der) })
    .sign(KeyObject.from(signer.keys.privateKey));
}
