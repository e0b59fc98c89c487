// Throwaway certificate chains with chosen names and validity dates, for testing how the runtime
// verifies Key Vault's signed release responses. Built on the local clean room's CA (node:crypto),
// so the tests exercise the same certificates the local Key Vault stand-in signs with.
import { createPrivateKey } from "node:crypto";
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
