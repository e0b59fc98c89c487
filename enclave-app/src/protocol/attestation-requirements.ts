import type { IsolationMode, ValidationIssue } from "./types.ts";
import { IssueList, isRecord, joinPath } from "./issues.ts";

export const ISOLATION_MODES: readonly IsolationMode[] = ["confidential-node", "confidential-container"];

export const HEX64 = /^[0-9a-f]{64}$/;
/** MAA's x-ms-policy-hash: base64url (no padding) of a sha256 digest. */
export const POLICY_HASH = /^[A-Za-z0-9_-]{43}$/;
/** A released `az confcom` version, e.g. "1.2.6". */
export const CONFCOM_VERSION = /^\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Canonical form of an attestation authority for comparison: scheme and host lower-case (the URL
 * parser does that), default port dropped, no trailing slash. Key Vault tolerates a trailing slash:
 * Microsoft's own CVM release policy lists authorities as "https://sharedeus.eus.attest.azure.net/"
 * while MAA issues tokens with iss "https://sharedeus.eus.attest.azure.net"
 * (Azure/confidential-computing-cvm: cvm_deployment/key/skr-policy.json).
 */
export function normalizeAuthority(authority: string): string {
  const trimmed = authority.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return trimmed.toLowerCase().replace(/\/+$/, "");
  }
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.protocol}//${url.host}${path}`;
}

export function sameAuthority(a: string, b: string): boolean {
  return normalizeAuthority(a) === normalizeAuthority(b);
}

/** Problems with an authority URL: it must be an absolute https URL naming only a host. */
export function authorityProblem(authority: unknown): { rule: string; message: string } | undefined {
  if (typeof authority !== "string" || authority.trim() === "") {
    return { rule: "bad-authority", message: "authority must be the https URL of the attestation endpoint" };
  }
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    return { rule: "bad-authority", message: `authority ${JSON.stringify(authority)} is not a URL` };
  }
  if (url.protocol !== "https:") {
    return {
      rule: "authority-not-https",
      message: `authority ${JSON.stringify(authority)} must use https (tokens are fetched and keys are trusted over TLS)`,
    };
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
    return {
      rule: "bad-authority",
      message: `authority ${JSON.stringify(authority)} must be just https://<host>[:port], without path, query or credentials`,
    };
  }
  return undefined;
}

/**
 * Every problem with attestation requirements, with paths under `base` ("attestation" in a
 * contract, "" for the policy builder's own input).
 */
export function checkAttestationRequirements(input: unknown, base: string): ValidationIssue[] {
  const issues = new IssueList({ keepDuplicates: true });
  const at = (key: string) => joinPath(base, key);
  if (!isRecord(input)) {
    return [{ path: base, rule: "type", message: "attestation requirements must be an object {authority, mode, hostdata?, policyHash?, confcomVersion?}" }];
  }
  const authority = authorityProblem(input.authority);
  if (authority) issues.push({ path: at("authority"), ...authority });

  const mode = input.mode;
  if (!ISOLATION_MODES.includes(mode as IsolationMode)) {
    issues.push({
      path: at("mode"),
      rule: "invalid-value",
      message: `mode must be one of ${ISOLATION_MODES.map((m) => JSON.stringify(m)).join(", ")}; got ${JSON.stringify(mode)}`,
    });
  }
  const hostdata = input.hostdata;
  if (hostdata !== undefined && (typeof hostdata !== "string" || !HEX64.test(hostdata))) {
    issues.push({
      path: at("hostdata"),
      rule: "bad-hex",
      message: "hostdata must be 64 lowercase hex characters (sha256 of the container security policy)",
    });
  }
  if (mode === "confidential-container" && hostdata === undefined) {
    issues.push({
      path: at("hostdata"),
      rule: "hostdata-required",
      message:
        "mode confidential-container needs hostdata (the container security policy hash): without it any container group could release the keys",
    });
  }
  if (mode === "confidential-node" && hostdata !== undefined) {
    issues.push({
      path: at("hostdata"),
      rule: "hostdata-forbidden",
      message:
        "mode confidential-node must not set hostdata: a confidential node's attestation does not bind a container policy, so the value would pin nothing and suggest a pod-level guarantee that does not exist",
    });
  }
  const policyHash = input.policyHash;
  if (policyHash !== undefined && (typeof policyHash !== "string" || !POLICY_HASH.test(policyHash))) {
    issues.push({
      path: at("policyHash"),
      rule: "bad-policy-hash",
      message: "policyHash must be the x-ms-policy-hash claim: 43 base64url characters (sha256 of the attestation policy)",
    });
  }
  const confcomVersion = input.confcomVersion;
  if (confcomVersion !== undefined && (typeof confcomVersion !== "string" || !CONFCOM_VERSION.test(confcomVersion))) {
    issues.push({ path: at("confcomVersion"), rule: "bad-version", message: 'confcomVersion must be an az confcom release such as "1.2.6"' });
  }
  if (mode === "confidential-node" && confcomVersion !== undefined) {
    issues.push({
      path: at("confcomVersion"),
      rule: "confcom-version-forbidden",
      message: "mode confidential-node has no container security policy, so confcomVersion must not be set",
    });
  }
  const known = new Set(["authority", "mode", "hostdata", "policyHash", "confcomVersion"]);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) issues.push({ path: at(key), rule: "unknown-field", message: `unknown field ${JSON.stringify(key)}` });
  }
  return issues.items;
}
