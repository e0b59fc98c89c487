// A party approves a contract by signing its hash: compact JWS, ES256 for EC P-256 keys, RS256
// for RSA keys, verified against the signingKey the contract itself lists for that party.
import { JSON_MAX_BYTES, JsonDocumentError, parseJsonStrict } from "./json-text.ts";
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import { contractHash, requiredApprovers } from "./contract.ts";
import { ApprovalError } from "./errors.ts";
import { isRecord } from "./issues.ts";
import { publicKeyFromJwk, signingAlgorithmFor, type SigningAlgorithm } from "./jwk.ts";
import type { ApprovalReport, Approvals, Contract } from "./types.ts";

export const APPROVAL_JWS_TYPE = "cleanroom-approval+jws";

export interface ApprovalPayload {
  contractHash: string;
  party: string;
  /** Seconds since the epoch when the party signed. */
  iat: number;
}

function toPrivateKey(party: string, key: KeyObject | JsonWebKey): KeyObject {
  if (isKeyObject(key)) {
    if (key.type !== "private") {
      throw new ApprovalError("APPROVAL_KEY_NOT_PRIVATE", party, `signing an approval for ${party} needs the private key; a ${key.type} key was given`);
    }
    return key;
  }
  if (!isRecord(key) || typeof key.d !== "string") {
    throw new ApprovalError("APPROVAL_KEY_NOT_PRIVATE", party, `signing an approval for ${party} needs a private JWK (with "d"); a public JWK was given`);
  }
  try {
    return createPrivateKey({ key: { ...key, kty: key.kty === "RSA-HSM" ? "RSA" : key.kty }, format: "jwk" });
  } catch (err) {
    throw new ApprovalError("APPROVAL_KEY_UNSUPPORTED", party, `the private JWK for ${party} cannot be read: ${(err as Error).message}`);
  }
}

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === "object" && value !== null && "asymmetricKeyType" in value && "export" in value && "type" in value;
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  const ja = a.export({ format: "jwk" });
  const jb = b.export({ format: "jwk" });
  return ja.kty === jb.kty && ja.n === jb.n && ja.e === jb.e && ja.crv === jb.crv && ja.x === jb.x && ja.y === jb.y;
}

/**
 * Signs the contract's hash as `party`. Fails early (ApprovalError) when the party is unknown, the
 * key type is unsupported, or the key is not the one the contract lists for that party: such an
 * approval could never verify.
 */
export async function signApproval(contract: Contract, party: string, privateKey: KeyObject | JsonWebKey): Promise<string> {
  const spec = contract.parties.find((p) => p.name === party);
  if (!spec) {
    throw new ApprovalError(
      "APPROVAL_UNKNOWN_PARTY",
      party,
      `${JSON.stringify(party)} is not a party of contract ${contract.collaboration} (parties: ${contract.parties.map((p) => p.name).join(", ")})`,
    );
  }
  const key = toPrivateKey(party, privateKey);
  const alg = signingAlgorithmFor(key);
  if (!alg) {
    throw new ApprovalError(
      "APPROVAL_KEY_UNSUPPORTED",
      party,
      `the key for ${party} is ${key.asymmetricKeyType ?? "unknown"}; approvals are signed with EC P-256 (ES256) or RSA >= 2048 (RS256)`,
    );
  }
  if (!sameKey(createPublicKey(key), publicKeyFromJwk(spec.signingKey))) {
    throw new ApprovalError(
      "APPROVAL_KEY_MISMATCH",
      party,
      `the private key does not match the signingKey that contract ${contract.collaboration} lists for ${party}; the approval would not verify`,
    );
  }
  const payload: ApprovalPayload = { contractHash: contractHash(contract), party, iat: Math.floor(Date.now() / 1000) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, typ: APPROVAL_JWS_TYPE })
    .sign(key);
}

function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 12)}…` : hash;
}

/** Why one party's approval does not hold for this contract, or undefined when it verifies. */
async function approvalProblem(contract: Contract, hash: string, party: string, jws: unknown): Promise<string | undefined> {
  const spec = contract.parties.find((p) => p.name === party);
  if (!spec) return `${JSON.stringify(party)} is not a party of this contract`;
  if (typeof jws !== "string" || jws.split(".").length !== 3) return "malformed approval: not a compact JWS (header.payload.signature)";

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    return "malformed approval: the JWS header is not base64url JSON";
  }
  let publicKey: KeyObject;
  let expectedAlg: SigningAlgorithm | undefined;
  try {
    publicKey = publicKeyFromJwk(spec.signingKey);
    expectedAlg = signingAlgorithmFor(publicKey);
  } catch (err) {
    return `the contract's signingKey for ${party} is unusable: ${(err as Error).message}`;
  }
  if (!expectedAlg) return `the contract's signingKey for ${party} is not EC P-256 or RSA >= 2048`;
  if (header.alg === undefined || header.alg === "none") return `alg ${JSON.stringify(header.alg ?? null)} is not allowed: approvals must be signed (${expectedAlg})`;
  if (header.alg !== expectedAlg) return `alg ${header.alg} is not allowed for ${party}'s key; expected ${expectedAlg}`;
  if (header.typ !== APPROVAL_JWS_TYPE) return `typ ${JSON.stringify(header.typ ?? null)} is not ${APPROVAL_JWS_TYPE}: this is not a clean-room approval`;

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(jws, publicKey, { algorithms: [expectedAlg] }));
  } catch {
    return `signature does not verify with ${party}'s signingKey`;
  }
  let payload: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(payloadBytes);
    payload = parseJsonStrict(text, { what: "approval payload", maxBytes: JSON_MAX_BYTES.tokenSegment });
  } catch (error) {
    // Two contractHash members would let a signer and a verifier read different hashes.
    if (error instanceof JsonDocumentError && error.code !== "JSON_SYNTAX") return `malformed approval: ${error.message}`;
    return "malformed approval: the payload is not JSON";
  }
  if (!isRecord(payload)) return "malformed approval: the payload is not a JSON object";
  if (payload.contractHash !== hash) {
    const other = typeof payload.contractHash === "string" ? shortHash(payload.contractHash) : "no hash";
    return `signed for another contract (hash ${other}, this contract is ${shortHash(hash)})`;
  }
  if (payload.party !== party) return `the party claim names ${JSON.stringify(payload.party)}, not ${JSON.stringify(party)}`;
  if (typeof payload.iat !== "number" || !Number.isFinite(payload.iat) || payload.iat < 0) return "malformed approval: iat is not a timestamp";
  return undefined;
}

/**
 * Checks every supplied approval and that every dataset owner approved this exact contract hash.
 * Extra approvals (e.g. recipients co-signing) are fine when they verify and reported when not.
 */
export async function verifyApprovals(contract: Contract, approvals: Approvals): Promise<ApprovalReport> {
  const hash = contractHash(contract);
  const required = requiredApprovers(contract);
  const supplied = isRecord(approvals) ? approvals : {};
  const approved: string[] = [];
  const invalid: { party: string; reason: string }[] = [];
  for (const party of Object.keys(supplied).sort()) {
    const problem = await approvalProblem(contract, hash, party, supplied[party]);
    if (problem) invalid.push({ party, reason: problem });
    else approved.push(party);
  }
  const missing = required.filter((p) => !Object.hasOwn(supplied, p));
  return { ok: missing.length === 0 && invalid.length === 0, contractHash: hash, required, approved, missing, invalid };
}

/** Validates a parsed approvals document: an object mapping party names to compact JWS strings. */
export function parseApprovals(input: unknown): Approvals {
  if (!isRecord(input)) {
    throw new ApprovalError("APPROVALS_MALFORMED", "", "approvals must be a JSON object mapping party name -> compact JWS");
  }
  const out: Approvals = {};
  for (const [party, jws] of Object.entries(input)) {
    if (typeof jws !== "string") {
      throw new ApprovalError("APPROVALS_MALFORMED", party, `approval for ${JSON.stringify(party)} must be a compact JWS string`);
    }
    out[party] = jws;
  }
  return out;
}
