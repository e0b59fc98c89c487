// A dedicated attestation provider's policy can be replaced by whoever holds control-plane rights on
// its subscription (Entra ID trust model when it has no policy signing certificates); a token it then
// issues for any VM would satisfy a release policy that only names the provider. Pinning the
// x-ms-policy-hash claim in every alternative of every release policy makes such a swap deny release.
import { MaaClaims, ReleasePolicyError, decodeReleasePolicy, type Condition } from "../../../enclave-app/src/protocol/index.ts";
import { AzureTypes } from "../resource-types.ts";
import type { CleanRoomStackPolicy } from "../policy.ts";
import { keysOf } from "./model.ts";

/** True when an allOf list demands x-ms-policy-hash equal to some value. */
function pinsPolicyHash(conditions: readonly Condition[] | undefined): boolean {
  return (conditions ?? []).some((c) => "claim" in c && c.claim === MaaClaims.policyHash && "equals" in c && typeof c.equals === "string" && c.equals !== "");
}

export const stackDedicatedAttestationPinsPolicyHash: CleanRoomStackPolicy = {
  name: "stack-dedicated-attestation-pins-policy-hash",
  description:
    "With a dedicated attestation provider, every alternative of every key release policy pins x-ms-policy-hash, so a replaced provider policy cannot release keys.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    'Set attestation.policyHash (the x-ms-policy-hash of the provider\'s policy) so CleanRoom pins it in every release policy, or use the shared regional provider: attestation { kind: "shared" }.',
  validateStack: (args, report) => {
    const providers = args.resources.filter((r) => r.type === AzureTypes.attestationProvider);
    if (providers.length === 0) args.notApplicable("the stack uses no dedicated attestation provider");
    for (const key of keysOf(args.resources)) {
      const data = key.releasePolicyData();
      if (!data) continue;
      let unpinned: number[];
      try {
        const policy = decodeReleasePolicy(data);
        unpinned = policy.anyOf.flatMap((alt, i) => (alt.allOf && pinsPolicyHash(alt.allOf) ? [] : [i]));
      } catch (err) {
        // An undecodable policy is key-release-policy-attested's finding.
        if (err instanceof ReleasePolicyError) continue;
        throw err;
      }
      if (unpinned.length > 0) {
        report(
          `key "${key.name}" release policy does not pin ${MaaClaims.policyHash} in ${unpinned.map((i) => `anyOf[${i}]`).join(", ")}, although the stack uses the dedicated attestation provider ${providers.map((p) => p.name).join(", ")}.`,
          key.resource.urn,
        );
      }
    }
  },
};
