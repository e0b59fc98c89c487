// Offline receipt verification. Checks run in a fixed order and the first failure is returned, named:
//  shape -> token-issuer -> token-signature -> token-validity -> signer-binding -> receipt-signature
//  -> [contract-hash -> contract-match] -> attestation-policy -> output-digest
// The token is judged at the time of the run (between startedAt and finishedAt), not now: receipts
// are verified long after MAA's 8-hour tokens expire.
import { createHash, createPublicKey, type JsonWebKey, type JsonWebKeyInput, type KeyObject } from "node:crypto";
import { compactVerify, decodeProtectedHeader } from "jose";
import {
  compareDecimals,
  decimalProblem,
  effectiveMinGroupSize,
  buildReleasePolicy,
  checkHostdata,
  contractHash,
  decodeJwtClaims,
  describeHostdataMismatch,
  evaluateReleasePolicy,
  explainDecision,
  tokenBindsKey,
  tokenBindsNonce,
  type Claims,
  type Contract,
} from "../protocol/index.ts";
import { RECEIPT_JWS_TYPE, receiptSchema, receiptSigningPayload, type Receipt } from "./format.ts";
import { candidateKeys, fetchAuthorityJwks, isJwks, type JsonWebKeySet } from "./jwks.ts";
import { receiptKeyNonce } from "./key-binding.ts";

export type ReceiptCheck =
  | "shape"
  | "token-issuer"
  | "token-signature"
  | "token-validity"
  | "signer-binding"
  | "receipt-signature"
  | "contract-hash"
  | "contract-match"
  | "attestation-policy"
  | "output-digest";

export interface VerifyReceiptOptions {
  /** The authority's signing keys (e.g. a saved copy of {authority}/certs). */
  jwks?: JsonWebKeySet;
  /** Authorities whose JWKS may be fetched; the token issuer must be one of them. */
  trustedAuthorities?: string[];
  /** Trust anchor for fetching from authorities with a private CA (local clean room). */
  caCertPem?: string | string[];
  /** Replaces the HTTPS fetch of an authority's JWKS. */
  fetchJwks?: (authority: string) => Promise<JsonWebKeySet>;
  /** When given: contract hash, datasets, recipients, image and attestation policy are checked. */
  contract?: Contract;
  /** Output blobs by blob name (or by file name), as bytes or hex SHA-256; each must match the receipt. */
  outputBlobs?: Record<string, Buffer | Uint8Array | string>;
  /** Allowed clock skew for the token's validity window (default 300 s). */
  clockToleranceSeconds?: number;
}

export interface ReceiptFailure {
  check: ReceiptCheck;
  message: string;
}

export type ReceiptVerification =
  | { ok: true; receipt: Receipt; claims: Claims; passed: ReceiptCheck[] }
  | { ok: false; failure: ReceiptFailure; passed: ReceiptCheck[] };

const TOKEN_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"];

function sameAuthority(a: string, b: string): boolean {
  return a.replace(/\/+$/, "").toLowerCase() === b.replace(/\/+$/, "").toLowerCase();
}

function sha256Hex(data: Buffer | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

async function verifiesWithAny(jws: string, keys: KeyObject[], algorithms: string[]): Promise<boolean> {
  for (const key of keys) {
    try {
      await compactVerify(jws, key, { algorithms });
      return true;
    } catch {
      // try the next key
    }
  }
  return false;
}

export async function verifyReceipt(input: unknown, opts: VerifyReceiptOptions = {}): Promise<ReceiptVerification> {
  const passed: ReceiptCheck[] = [];
  const fail = (check: ReceiptCheck, message: string): ReceiptVerification => ({ ok: false, failure: { check, message }, passed });

  // shape
  const parsed = receiptSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail("shape", `receipt is malformed at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  const receipt = input as Receipt;
  let claims: Claims;
  try {
    claims = decodeJwtClaims(receipt.attestation.token);
  } catch (err) {
    return fail("shape", `attestation token is unreadable: ${(err as Error).message}`);
  }
  passed.push("shape");

  // token-issuer
  const iss = typeof claims["iss"] === "string" ? claims["iss"] : undefined;
  if (!iss) return fail("token-issuer", "attestation token has no iss claim");
  if (!sameAuthority(iss, receipt.attestation.authority)) {
    return fail("token-issuer", `attestation token issuer ${iss} differs from the receipt's authority ${receipt.attestation.authority}`);
  }
  if (opts.contract && !sameAuthority(iss, opts.contract.attestation.authority)) {
    return fail("token-issuer", `attestation token issuer ${iss} is not the contract's attestation authority ${opts.contract.attestation.authority}`);
  }
  if (opts.trustedAuthorities && !opts.trustedAuthorities.some((a) => sameAuthority(a, iss))) {
    return fail("token-issuer", `attestation token issuer ${iss} is not a trusted authority (${opts.trustedAuthorities.join(", ")})`);
  }
  passed.push("token-issuer");

  // token-signature
  let jwks = opts.jwks;
  if (!jwks) {
    const mayFetch = opts.fetchJwks !== undefined || opts.trustedAuthorities !== undefined || opts.contract !== undefined;
    if (!mayFetch) return fail("token-signature", "no authority keys: pass a JWKS, a trusted authority or the contract");
    try {
      jwks = opts.fetchJwks ? await opts.fetchJwks(iss) : await fetchAuthorityJwks(iss, opts.caCertPem !== undefined ? { caCertPem: opts.caCertPem } : {});
    } catch (err) {
      return fail("token-signature", `cannot obtain the signing keys of ${iss}: ${(err as Error).message}`);
    }
  }
  if (!isJwks(jwks)) return fail("token-signature", "the authority keys are not a JWKS");
  let tokenKid: string | undefined;
  try {
    const header = decodeProtectedHeader(receipt.attestation.token);
    tokenKid = typeof header.kid === "string" ? header.kid : undefined;
  } catch {
    return fail("token-signature", "attestation token header is unreadable");
  }
  if (!(await verifiesWithAny(receipt.attestation.token, candidateKeys(jwks, tokenKid), TOKEN_ALGS))) {
    return fail("token-signature", `attestation token signature does not verify with the keys of ${iss}`);
  }
  passed.push("token-signature");

  // token-validity, judged over the run's own time window
  const tolerance = (opts.clockToleranceSeconds ?? 300) * 1000;
  const started = Date.parse(receipt.startedAt);
  const finished = Date.parse(receipt.finishedAt);
  if (finished < started) return fail("token-validity", "receipt finishedAt is before startedAt");
  const nbf = typeof claims["nbf"] === "number" ? claims["nbf"] * 1000 : typeof claims["iat"] === "number" ? claims["iat"] * 1000 : undefined;
  const exp = typeof claims["exp"] === "number" ? claims["exp"] * 1000 : undefined;
  if (nbf !== undefined && nbf > finished + tolerance) return fail("token-validity", `attestation token is not valid before ${new Date(nbf).toISOString()}, after the run finished`);
  if (exp !== undefined && exp < started - tolerance) return fail("token-validity", `attestation token expired at ${new Date(exp).toISOString()}, before the run started`);
  passed.push("token-validity");

  // signer-binding
  const signerJwk = receipt.signer.jwk;
  const bound = receipt.signer.binding === "runtime-keys" ? tokenBindsKey(claims, signerJwk) : tokenBindsNonce(claims, receiptKeyNonce(signerJwk));
  if (!bound) {
    return fail(
      "signer-binding",
      receipt.signer.binding === "runtime-keys"
        ? "the receipt signing key is not among the token's x-ms-runtime.keys"
        : "the token's x-ms-runtime.client-payload.nonce does not bind the receipt signing key",
    );
  }
  passed.push("signer-binding");

  // receipt-signature
  const [sigHeader, , sigValue] = receipt.signature.split(".");
  const attached = `${sigHeader}.${Buffer.from(receiptSigningPayload(receipt)).toString("base64url")}.${sigValue}`;
  try {
    const header = decodeProtectedHeader(attached);
    if (header.typ !== RECEIPT_JWS_TYPE) return fail("receipt-signature", `receipt signature typ is ${String(header.typ)}, expected ${RECEIPT_JWS_TYPE}`);
    const { kid: _kid, key_ops: _ops, alg: _alg, ...keyParams } = signerJwk as JsonWebKey & { kid?: string };
    const key = createPublicKey({ key: keyParams as JsonWebKeyInput["key"], format: "jwk" });
    await compactVerify(attached, key, { algorithms: ["ES256"] });
  } catch {
    return fail("receipt-signature", "the receipt signature does not verify: the receipt was altered or signed by another key");
  }
  passed.push("receipt-signature");

  if (opts.contract) {
    const contract = opts.contract;
    const expectedHash = contractHash(contract);
    if (receipt.contractHash !== expectedHash) {
      return fail("contract-hash", `receipt contract hash ${receipt.contractHash} differs from the contract's ${expectedHash}`);
    }
    passed.push("contract-hash");

    const mismatch = contractMismatch(receipt, contract);
    if (mismatch) return fail("contract-match", mismatch);
    passed.push("contract-match");

    // Named first: the container policy the run was started with must be the one the parties approved.
    const hostdata = checkHostdata(contract.attestation, claims);
    if (!hostdata.ok) return fail("attestation-policy", `the attestation does not show the contract's container policy: ${describeHostdataMismatch(hostdata)}`);
    const policy = buildReleasePolicy(contract.attestation);
    const decision = evaluateReleasePolicy(policy, claims);
    if (!decision.allowed) {
      return fail("attestation-policy", `the attestation does not meet the contract's requirements: ${explainDecision(policy, claims, decision)}`);
    }
    passed.push("attestation-policy");
  } else {
    // Without the contract the token must still show the kind of TEE every release policy demands
    // (compliant, non-debuggable SEV-SNP): a valid signature alone says nothing about that.
    const problem = attestationWithoutContract(receipt, claims);
    if (problem) return fail("attestation-policy", problem);
    passed.push("attestation-policy");
  }

  if (opts.outputBlobs) {
    for (const [name, blob] of Object.entries(opts.outputBlobs)) {
      const output = receipt.outputs.find((o) => o.blobName === name) ?? receipt.outputs.find((o) => o.blobName.split("/").pop() === name);
      if (!output) return fail("output-digest", `output "${name}" is not listed in the receipt`);
      const digest = typeof blob === "string" ? blob.toLowerCase() : sha256Hex(blob);
      if (digest !== output.ciphertextSha256) {
        return fail("output-digest", `output "${output.blobName}" has SHA-256 ${digest}, the receipt says ${output.ciphertextSha256}`);
      }
    }
    passed.push("output-digest");
  }

  return { ok: true, receipt, claims, passed };
}

/**
 * The release-policy check built from the receipt's own authority and mode. In confidential-container
 * mode the approved container policy hash lives only in the contract, so the token's own hostdata is
 * used: every other claim is checked, the hash itself only with --contract.
 */
function attestationWithoutContract(receipt: Receipt, claims: Claims): string | undefined {
  const { authority, mode } = receipt.attestation;
  const hostdata = claims["x-ms-sevsnpvm-hostdata"];
  if (mode === "confidential-container" && (typeof hostdata !== "string" || !/^[0-9a-f]{64}$/.test(hostdata))) {
    return "the confidential-container token carries no x-ms-sevsnpvm-hostdata (container policy hash)";
  }
  let policy: ReturnType<typeof buildReleasePolicy>;
  try {
    policy = buildReleasePolicy(mode === "confidential-container" ? { authority, mode, hostdata: hostdata as string } : { authority, mode });
  } catch (err) {
    return `the receipt's attestation authority ${authority} is not usable: ${(err as Error).message}`;
  }
  const decision = evaluateReleasePolicy(policy, claims);
  if (decision.allowed) return undefined;
  return `the attestation does not meet the ${mode} release requirements: ${explainDecision(policy, claims, decision)}`;
}

/** First difference between what the receipt says was run and what the contract approved. */
function contractMismatch(receipt: Receipt, contract: Contract): string | undefined {
  if (receipt.collaboration !== contract.collaboration) return `receipt collaboration "${receipt.collaboration}" is not the contract's "${contract.collaboration}"`;
  if (receipt.enclaveImage !== contract.enclave.image) return `receipt enclave image ${receipt.enclaveImage} is not the contract's ${contract.enclave.image}`;
  if (receipt.attestation.mode !== contract.attestation.mode) return `receipt isolation mode ${receipt.attestation.mode} is not the contract's ${contract.attestation.mode}`;
  for (const ds of contract.datasets) {
    const r = receipt.datasets.find((d) => d.name === ds.name);
    if (!r) return `dataset "${ds.name}" of the contract is missing from the receipt`;
    if (r.ciphertextSha256 !== ds.ciphertextSha256 || r.plaintextLength !== ds.plaintextLength) {
      return `dataset "${ds.name}": receipt digest/length differ from the contract's`;
    }
  }
  if (receipt.datasets.length !== contract.datasets.length) return "the receipt lists datasets the contract does not";
  const recipients = [...new Set(contract.recipients)].sort();
  const produced = [...new Set(receipt.outputs.map((o) => o.recipient))].sort();
  if (recipients.join("\n") !== produced.join("\n")) return `receipt outputs are for ${produced.join(", ") || "nobody"}, the contract's recipients are ${recipients.join(", ")}`;
  if (receipt.privacy.minGroupSize !== effectiveMinGroupSize(contract) || receipt.privacy.countColumn !== contract.privacy.countColumn) {
    return "receipt privacy rules differ from the contract's";
  }
  return dpMismatch(receipt, contract);
}

/** A differentially private contract's receipt states its spend, within the contract's, and a ledger head. */
function dpMismatch(receipt: Receipt, contract: Contract): string | undefined {
  const dp = contract.privacy.mode === "dp" ? contract.privacy.dp : undefined;
  const stated = receipt.privacy.dp;
  if (!dp) return stated ? "the receipt states a differential-privacy spend but the contract is not differentially private" : undefined;
  if (!stated) return "the contract is differentially private but the receipt states no spend or ledger head";
  const same = (a: string | number, b: string | number) => decimalProblem(a) === undefined && decimalProblem(b) === undefined && compareDecimals(a, b) === 0;
  if (!same(stated.epsilon, dp.epsilon)) return `receipt epsilon ${stated.epsilon} is not the contract's ${String(dp.epsilon)}`;
  if (!same(stated.delta, dp.delta) && !same(stated.delta, 0)) return `receipt delta ${stated.delta} is neither the contract's ${String(dp.delta)} nor 0`;
  if (!same(stated.budget.epsilon, dp.budget.epsilon) || !same(stated.budget.delta, dp.budget.delta)) return "receipt privacy budget differs from the contract's";
  const spent = stated.ledger.spent;
  if (decimalProblem(spent.epsilon) !== undefined || decimalProblem(spent.delta) !== undefined) return "receipt ledger head's spend is not a pair of decimals";
  if (compareDecimals(spent.epsilon, stated.epsilon) < 0 || compareDecimals(spent.epsilon, dp.budget.epsilon) > 0 || compareDecimals(spent.delta, dp.budget.delta) > 0) {
    return "receipt ledger head states a spend below this run's or beyond the contract's budget";
  }
  if (receipt.privacy.rowsSuppressed !== undefined) return "a differentially private receipt must not state how many groups were withheld";
  return undefined;
}
