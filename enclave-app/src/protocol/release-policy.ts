// Builds the Key Vault Secure Key Release policy that every party attaches to its KEK, and the
// encodings Key Vault uses for it.
import { JSON_MAX_BYTES, parseJsonStrict } from "./json-text.ts";
import { canonicalJson, sha256Hex } from "./canonical.ts";
import { checkAttestationRequirements, normalizeAuthority } from "./attestation-requirements.ts";
import { AttestationTypes, ComplianceStatus, MaaClaims, isolationTeeClaim } from "./claims.ts";
import { ReleasePolicyError } from "./errors.ts";
import { RELEASE_POLICY_VERSION, validateReleasePolicy } from "./release-policy-validate.ts";
import type { AttestationRequirements, ClaimCondition, ReleasePolicy } from "./types.ts";

export const RELEASE_POLICY_CONTENT_TYPE = "application/json; charset=utf-8";

/**
 * Claims a confidential node's token must carry. An AKS confidential node attests through the
 * CVM guest-attestation flow (vTPM), so MAA returns x-ms-attestation-type "azurevm" and nests the
 * hardware claims under x-ms-isolation-tee. Microsoft's CVM SKR sample policy pins
 * x-ms-isolation-tee.x-ms-attestation-type and .x-ms-compliance-status
 * (Azure/confidential-computing-cvm-guest-attestation: cvm-securekey-release-app/README.md).
 * Non-debuggable: the SNP report's debug policy bit appears in a CVM token as
 * x-ms-isolation-tee.x-ms-sevsnpvm-is-debuggable (published decoded guest-attestation tokens; the
 * same README's Azure Local policy pins it to "false"). We pin that hardware bit rather than
 * x-ms-azurevm-debuggersdisabled, which reports the guest OS's own debugger configuration and says
 * nothing about whether the host can read the VM's memory.
 */
function confidentialNodeConditions(): { conditions: ClaimCondition[]; debugClaim: string } {
  return {
    conditions: [
      { claim: isolationTeeClaim(MaaClaims.attestationType), equals: AttestationTypes.sevSnpVm },
      { claim: isolationTeeClaim(MaaClaims.complianceStatus), equals: ComplianceStatus.cvm },
    ],
    debugClaim: isolationTeeClaim(MaaClaims.isDebuggable),
  };
}

/**
 * Claims a confidential container group's token must carry (SEV-SNP raw evidence via the SKR
 * sidecar): a compliant utility VM, running exactly the approved container policy (hostdata), not
 * debuggable (the claims microsoft/confidential-sidecar-containers tools/importkey pins, examples/skr).
 */
function confidentialContainerConditions(hostdata: string): { conditions: ClaimCondition[]; debugClaim: string } {
  return {
    conditions: [
      { claim: MaaClaims.attestationType, equals: AttestationTypes.sevSnpVm },
      { claim: MaaClaims.complianceStatus, equals: ComplianceStatus.uvm },
      { claim: MaaClaims.hostdata, equals: hostdata },
    ],
    debugClaim: MaaClaims.isDebuggable,
  };
}

/**
 * Spellings of "not debuggable" a policy accepts. Real tokens carry the claim as the JSON boolean
 * false, while Microsoft's only published CVM policy that pins it writes the string "false"; how
 * Key Vault compares the two is undocumented. One alternative per spelling keeps the policy inside
 * the grammar every Key Vault version documents (only `equals`, one `allOf` per authority) and
 * releases on either, whichever comparison the vault makes.
 */
export const NOT_DEBUGGABLE_SPELLINGS: readonly (false | "false")[] = [false, "false"];

/**
 * The release policy for one attestation authority and isolation mode: one `allOf` alternative per
 * spelling of "not debuggable", each with only `equals` conditions (older Key Vault documentation
 * supports nothing more), the authority normalised to https://<lower-case host>[:port] without a
 * trailing slash, and `x-ms-policy-hash` pinned when the requirements name the attestation policy.
 * Throws ReleasePolicyError ATTESTATION_REQUIREMENTS_INVALID listing every problem of `req`.
 */
export function buildReleasePolicy(req: AttestationRequirements): ReleasePolicy {
  const issues = checkAttestationRequirements(req, "");
  if (issues.length > 0) {
    throw new ReleasePolicyError("ATTESTATION_REQUIREMENTS_INVALID", "cannot build a release policy", issues);
  }
  const { conditions, debugClaim } =
    req.mode === "confidential-container" ? confidentialContainerConditions(req.hostdata!) : confidentialNodeConditions();
  const pinned: ClaimCondition[] =
    req.policyHash !== undefined ? [...conditions, { claim: MaaClaims.policyHash, equals: req.policyHash }] : conditions;
  const authority = normalizeAuthority(req.authority);
  return {
    version: RELEASE_POLICY_VERSION,
    anyOf: NOT_DEBUGGABLE_SPELLINGS.map((spelling) => ({ authority, allOf: [...pinned, { claim: debugClaim, equals: spelling }] })),
  };
}

function assertValid(policy: unknown): asserts policy is ReleasePolicy {
  const issues = validateReleasePolicy(policy);
  if (issues.length > 0) throw new ReleasePolicyError("POLICY_INVALID", "release policy does not follow the Key Vault grammar", issues);
}

/**
 * The Key Vault `release_policy` object: base64url of the policy's canonical JSON (deterministic
 * bytes, so the same policy always encodes the same way).
 */
export function encodeReleasePolicy(policy: ReleasePolicy): { contentType: "application/json; charset=utf-8"; data: string } {
  assertValid(policy);
  return { contentType: RELEASE_POLICY_CONTENT_TYPE, data: Buffer.from(canonicalJson(policy), "utf8").toString("base64url") };
}

const BASE64_ANY = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes `release_policy.data` (base64url as Key Vault returns it, or standard base64; raw JSON
 * text is accepted too) and checks the grammar. Throws ReleasePolicyError POLICY_ENCODING_INVALID
 * or POLICY_INVALID.
 */
export function decodeReleasePolicy(encoded: { data: string } | string): ReleasePolicy {
  const data = typeof encoded === "string" ? encoded : (encoded as { data?: unknown } | null)?.data;
  if (typeof data !== "string") {
    throw new ReleasePolicyError("POLICY_ENCODING_INVALID", "release_policy.data must be a base64url string");
  }
  const text = data.trim();
  let json: string;
  if (text.startsWith("{")) {
    json = text;
  } else {
    if (!BASE64_ANY.test(text) || text.length === 0) {
      throw new ReleasePolicyError("POLICY_ENCODING_INVALID", "release_policy.data is neither base64url nor base64");
    }
    const bytes = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    try {
      json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ReleasePolicyError("POLICY_ENCODING_INVALID", "release_policy.data does not decode to UTF-8 text");
    }
  }
  let policy: unknown;
  try {
    policy = parseJsonStrict(json, { what: "release_policy.data", maxBytes: JSON_MAX_BYTES.smallDocument });
  } catch (err) {
    throw new ReleasePolicyError("POLICY_ENCODING_INVALID", `release_policy.data does not decode to one JSON document: ${(err as Error).message}`);
  }
  assertValid(policy);
  return policy;
}

/**
 * Lowercase hex sha256 of the policy's canonical JSON. Components put a prefix of it in key names,
 * because Key Vault never updates the policy of an existing key: a new policy means a new key.
 */
export function releasePolicyDigest(policy: ReleasePolicy): string {
  return sha256Hex(canonicalJson(policy));
}

/** Hex characters of the release policy digest that go into a KEK's name. */
export const KEK_NAME_DIGEST_LENGTH = 12;

/**
 * Name of a party's key-encryption key: `<party>-kek-rsa<bits>-<12 hex of the policy digest>`.
 * Key Vault (and ARM) create a key only under a new name and never change an existing key's release
 * policy, so a changed policy or size must yield a new name, never a silent no-op. The components
 * and the local clean room both name keys through here, so a key reads the same in either.
 */
export function kekKeyName(party: string, keySize: number, policy: ReleasePolicy): string {
  return kekKeyNameFromDigest(party, keySize, releasePolicyDigest(policy));
}

/** `kekKeyName` when the policy digest is already at hand (lowercase hex sha256). */
export function kekKeyNameFromDigest(party: string, keySize: number, policyDigest: string): string {
  return `${party}-kek-rsa${keySize}-${policyDigest.slice(0, KEK_NAME_DIGEST_LENGTH)}`;
}
