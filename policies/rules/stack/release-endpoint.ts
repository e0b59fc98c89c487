// Every release policy names the stack's own attestation endpoint, and nothing else: a key that also
// trusts another attestation service can be released to whatever that service vouches for.
import { ReleasePolicyError, decodeReleasePolicy, normalizeAuthority } from "../../../enclave-app/src/protocol/index.ts";
import type { CleanRoomStackPolicy } from "../policy.ts";
import { attestationEndpointsOf, keysOf } from "./model.ts";

export const stackReleasePolicyNamesStackEndpoint: CleanRoomStackPolicy = {
  name: "stack-release-policy-names-stack-endpoint",
  description:
    "The stack declares one attestation endpoint (provider attestUri, contract, enclave environment, stack output), and every key release policy names that endpoint as its only authority.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Build every party's release policy from the collaboration's attestation endpoint (CleanRoom does); a new endpoint means new keys (key names carry the policy digest).",
  validateStack: (args, report) => {
    const declared = attestationEndpointsOf(args.resources);
    const endpoints = [...new Set(declared.map((d) => d.endpoint))];
    if (endpoints.length === 0) args.notApplicable("the stack declares no attestation endpoint");
    if (endpoints.length > 1) {
      report(
        `the stack names ${endpoints.length} different attestation endpoints: ${declared.map((d) => `${d.endpoint} (${d.source})`).join("; ")}; keys, contract and enclave must agree on one.`,
      );
      return;
    }
    const endpoint = endpoints[0]!;
    for (const key of keysOf(args.resources)) {
      const data = key.releasePolicyData();
      if (!data) continue;
      let authorities: string[];
      try {
        authorities = decodeReleasePolicy(data).anyOf.map((a) => a.authority);
      } catch (err) {
        // An undecodable policy is key-release-policy-attested's finding.
        if (err instanceof ReleasePolicyError) continue;
        throw err;
      }
      // One alternative per spelling of "not debuggable" repeats the authority: name each once.
      const foreign = [...new Set(authorities.filter((a) => normalizeAuthority(a) !== endpoint))];
      if (foreign.length > 0) {
        report(
          `key "${key.name}" release policy names ${foreign.map((a) => JSON.stringify(a)).join(", ")}, not the stack's attestation endpoint ${endpoint}.`,
          key.resource.urn,
        );
      }
    }
  },
};
