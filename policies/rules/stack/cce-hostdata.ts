// In confidential-container mode a key is released to whatever container group attests with the
// hostdata its release policy pins, and the enclave refuses a contract whose attestation.hostdata is
// not its own group's. All three must be the sha256 of the group's ccePolicy: a key pinning another
// hash is released to another policy (or never), a key pinning none to any compliant group holding
// the release identity, and a contract pinning another hash approves a different enclave than runs.
import type { ReportViolation } from "@pulumi/policy";
import { ccePolicyHostdata, CcePolicyEncodingError, decodeReleasePolicy, MaaClaims, ReleasePolicyError, type Condition } from "../../../enclave-app/src/protocol/index.ts";
import type { CleanRoomStackPolicy } from "../policy.ts";
import { confidentialGroupsOf, contractsOf, keysOf, type KeyView } from "./model.ts";

/** The hostdata values an allOf list demands (through nested allOf too: every one of them must hold). */
export function pinnedHostdata(conditions: readonly Condition[] | undefined): string[] {
  const out: string[] = [];
  for (const c of conditions ?? []) {
    if ("allOf" in c && Array.isArray(c.allOf)) out.push(...pinnedHostdata(c.allOf));
    else if ("claim" in c && c.claim === MaaClaims.hostdata && "equals" in c && typeof c.equals === "string") out.push(c.equals);
  }
  return out;
}

interface KeyPins {
  key: KeyView;
  /** Per anyOf alternative, the hostdata values it demands. */
  alternatives: string[][];
}

function pinsOf(key: KeyView): KeyPins | undefined {
  const data = key.releasePolicyData();
  if (!data) return undefined;
  try {
    return { key, alternatives: decodeReleasePolicy(data).anyOf.map((alt) => pinnedHostdata(alt.allOf)) };
  } catch (err) {
    // An undecodable policy is key-release-policy-attested's finding.
    if (err instanceof ReleasePolicyError) return undefined;
    throw err;
  }
}

const HOSTDATA = MaaClaims.hostdata;

type HashedGroup = { name: string; urn: string; hostdata: string };

/** The keys against the groups' hostdata: none pinned at all (reported per group), an unpinned alternative, another value. */
function reportKeys(keys: KeyPins[], hashed: HashedGroup[], report: ReportViolation): void {
  if (!keys.some((k) => k.alternatives.some((pins) => pins.length > 0))) {
    for (const g of hashed) {
      report(
        `no key's release policy pins ${HOSTDATA}, so container group "${g.name}" is not what the keys are bound to: any confidential group holding the release identity gets them; pin ${g.hostdata} (the sha256 of its ccePolicy).`,
        g.urn,
      );
    }
    return;
  }
  for (const { key, alternatives } of keys) {
    const unpinned = alternatives.flatMap((pins, i) => (pins.length === 0 ? [i] : []));
    if (unpinned.length > 0) {
      report(
        `key "${key.name}" release policy does not pin ${HOSTDATA} in ${unpinned.map((i) => `anyOf[${i}]`).join(", ")}: it releases the key to a group under any container policy.`,
        key.resource.urn,
      );
    }
    for (const g of hashed) {
      const other = [...new Set(alternatives.flat().filter((h) => h !== g.hostdata))];
      if (other.length > 0) {
        report(
          `key "${key.name}" release policy pins ${HOSTDATA} ${other.join(", ")}, but the ccePolicy of container group "${g.name}" hashes to ${g.hostdata}: the key would be released to another policy, never to this group.`,
          key.resource.urn,
        );
      }
    }
  }
}

export const stackCcePolicyHostdataPinned: CleanRoomStackPolicy = {
  name: "stack-cce-policy-hostdata-pinned",
  description: `Every key's release policy pins ${HOSTDATA} in every alternative, and it and the contract the group mounts (attestation.hostdata) equal the sha256 of each Confidential ACI group's ccePolicy.`,
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Build every release policy with mode \"confidential-container\" and hostdata = ccePolicyHostdata(ccePolicy) (CleanRoom does, from enclave.ccePolicy), and have the parties approve a contract whose attestation.hostdata is that same value; after regenerating the policy, rotate both.",
  validateStack: (args, report) => {
    const groups = confidentialGroupsOf(args.resources);
    if (groups.length === 0) args.notApplicable("the stack has no Confidential ACI container group");
    const keys = keysOf(args.resources)
      .map(pinsOf)
      .filter((k): k is KeyPins => k !== undefined);
    const contracts = contractsOf(args.resources);

    const hashed: HashedGroup[] = [];
    for (const group of groups) {
      try {
        hashed.push({ name: group.name, urn: group.resource.urn, hostdata: ccePolicyHostdata(group.ccePolicy() ?? "") });
      } catch (err) {
        // A missing or undecodable policy is aci-cce-policy-locked-down's finding.
        if (err instanceof CcePolicyEncodingError) continue;
        throw err;
      }
    }
    if (hashed.length === 0) return;

    // With no release policy in the stack nothing is released; only the contract is left to compare.
    if (keys.length > 0) reportKeys(keys, hashed, report);

    for (const g of hashed) {
      for (const contract of contracts.filter((c) => c.source.urn === g.urn)) {
        if (contract.hostdata === g.hostdata) continue;
        report(
          contract.hostdata === undefined
            ? `the contract mounted by container group "${g.name}" pins no attestation.hostdata; the parties must approve the hash of the ccePolicy the group runs (${g.hostdata}).`
            : `the contract mounted by container group "${g.name}" pins attestation.hostdata ${contract.hostdata}, but the group's ccePolicy hashes to ${g.hostdata}: the parties approved another enclave than the one that would run.`,
          g.urn,
        );
      }
    }
  },
};
