// Throwaway certificate chains with chosen names and validity dates, for testing how the runtime
// verifies Key Vault's signed release responses. Built on the local clean room's CA (node:crypto),
// so the tests exercise the same certificates the local Key Vault stand-in signs with.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import * as der from "../../../enclave-app/src/local/der.ts";
import { CompactSign } from "jose";
import { createLocalCa, pemChainToX5c, type IssuedCert, type LocalCa } from "../../../enclave-app/src/local/ca.ts";

export type TestCa = LocalCa;

/** A root that may issue one level of intermediates, like the public roots above Key Vault's chains. */
export function makeRoot(): Promise<TestCa> {
  return createLocalCa({ maxIntermediates: 1 });
}

/** An RSA signing certificate (RS256) from `issuer`, optionally named for hosts and with a chosen validity window. */
export function issue(issuer: TestCa, opts: { commonName: string; hostnames?: string[]; notBefore?: Date; notAfter?: Date }): Promise<IssuedCert> {
  return issuer.issueCertificate({
    commonName: opts.commonName,
    usage: "signing",
    keyAlgorithm: "RSA",
    ...(opts.hostnames ? { hostnames: opts.hostnames } : {}),
    ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
    ...(opts.notAfter ? { notAfter: opts.notAfter } : {}),
  });
}

/** A certificate as it goes into a JWS `x5c`: either an issued one or a CA's own. */
export type ChainLink = IssuedCert | TestCa;

/** A compact JWS signed RS256 by `signer`'s key, with `x5c` = the given chain (leaf first). */
export async function signWithChain(payload: object, signer: IssuedCert, chain: ChainLink[]): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "RS256", x5c: pemChainToX5c(chain.map((link) => link.certPem)) })
    .sign(createPrivateKey(signer.keyPem));
}

// --- Hand-built certificates, for chains the local CA refuses to make -------------------------------

const OIDS = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  subjectAltName: "2.5.29.17",
} as const;

function x500Name(commonName: string): Buffer {
  return der.sequence(der.set(der.sequence(der.oid(OIDS.commonName), der.utf8String(commonName))));
}

function extension(id: string, value: Buffer): Buffer {
  return der.sequence(der.oid(id), der.booleanTrue(), der.octetString(value));
}

/**
 * A certificate signed (ECDSA P-256) by `issuerKey`. `ca: true` sets basicConstraints cA; otherwise
 * the certificate has no basicConstraints and no keyUsage extension, like some end-entity
 * certificates public CAs have issued, which node's checkIssued() then accepts as an issuer.
 */
export function handBuiltCertificate(opts: {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  issuerKey: KeyObject;
  ca?: boolean;
  dnsName?: string;
}): string {
  const now = Date.now();
  const extensions: Buffer[] = [];
  if (opts.ca) extensions.push(extension(OIDS.basicConstraints, der.sequence(der.booleanTrue())));
  if (opts.dnsName) extensions.push(der.sequence(der.oid(OIDS.subjectAltName), der.octetString(der.sequence(der.implicitPrimitive(2, Buffer.from(opts.dnsName, "ascii"))))));
  const algorithm = der.sequence(der.oid(OIDS.ecdsaWithSha256));
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integerFromBytes(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    algorithm,
    x500Name(opts.issuer),
    der.sequence(der.time(new Date(now - 60_000)), der.time(new Date(now + 86_400_000))),
    x500Name(opts.subject),
    opts.publicKey.export({ type: "spki", format: "der" }),
    ...(extensions.length > 0 ? [der.explicit(3, der.sequence(...extensions))] : []),
  );
  const certDer = der.sequence(tbs, algorithm, der.bitString(sign("sha256", tbs, opts.issuerKey)));
  return `-----BEGIN CERTIFICATE-----\n${certDer.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
}

export function ecKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}
