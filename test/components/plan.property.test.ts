// Properties of the plan over generated collaborations (fast-check): whatever valid names a platform
// team picks, every physical name is within Azure's rules and unique where Azure needs it unique,
// each party's key lives in that party's vault, every release policy names the planned authority, and
// the plan does not depend on the order in which it is asked for.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planCleanRoom, type CleanRoomArgs } from "../../components/index.ts";
import { NAME_RULES } from "../../components/naming.ts";
import { parseKeyVaultKeyId } from "../../enclave-app/src/protocol/index.ts";
import { phase1Args, principals } from "./fixtures.ts";

const collaboration = fc.stringMatching(/^[a-z][a-z0-9]{2,12}(-[a-z0-9]{1,8}){0,2}$/).filter((c) => c.length <= 40);
const partyName = fc.stringMatching(/^[a-z][a-z0-9]{1,10}(-[a-z0-9]{1,6})?$/);
const partyNames = fc.uniqueArray(partyName, { minLength: 2, maxLength: 6 });
const seed = fc.option(fc.stringMatching(/^[a-z0-9]{1,12}$/), { nil: undefined });

function argsFor(name: string, parties: string[], namingSeed: string | undefined): CleanRoomArgs {
  const base = phase1Args();
  const template = base.datasets[0]!;
  return {
    ...base,
    collaboration: name,
    ...(namingSeed !== undefined ? { namingSeed } : {}),
    parties: parties.map((p) => ({ name: p, admins: [principals.bankAdmin], uploaders: [principals.bankUploader] })),
    datasets: parties.map((p, i) => ({ ...template, name: `ds_${i}`, owner: p, blobName: `${p}.csv.enc` })),
    sql: parties.map((_, i) => `SELECT region, count(*) AS n FROM ds_${i} GROUP BY region`).join(" UNION ALL "),
    recipients: [parties[0]!],
  };
}

describe("planCleanRoom over generated collaborations", () => {
  it("keeps every physical name within Azure's rules, unique, and each key in its party's vault", () => {
    fc.assert(
      fc.property(collaboration, partyNames, seed, (name, parties, namingSeed) => {
        const plan = planCleanRoom(argsFor(name, parties, namingSeed));
        expect(plan.storageAccountName).toMatch(NAME_RULES.storageAccount);
        for (const n of [plan.resourceGroupName, plan.clusterName, plan.vnetName, plan.nodeResourceGroupName]) expect(n.length).toBeLessThanOrEqual(90);
        expect(plan.clusterName).toMatch(NAME_RULES.dnsLabel);
        const vaults = plan.parties.map((p) => p.vaultName);
        for (const v of vaults) expect(v).toMatch(NAME_RULES.vault);
        expect(new Set(vaults).size).toBe(parties.length);
        expect(new Set(plan.parties.map((p) => p.inputContainer)).size).toBe(parties.length);
        for (const c of plan.parties.map((p) => p.inputContainer)) expect(c).toMatch(NAME_RULES.dnsLabel);
        for (const p of plan.parties) {
          const key = parseKeyVaultKeyId(p.kek.keyId);
          expect(key.vaultName).toBe(p.vaultName);
          expect(key.name).toMatch(NAME_RULES.key);
          for (const alternative of p.kek.releasePolicy.anyOf) expect(alternative.authority).toBe(plan.attestation.endpoint);
        }
        expect(plan.phase).toBe("awaiting-contract-inputs");
      }),
      { numRuns: 60 },
    );
  });

  it("depends only on the arguments: the same arguments give the same plan, another seed other global names", () => {
    fc.assert(
      fc.property(collaboration, partyNames, fc.stringMatching(/^[a-z0-9]{1,12}$/), (name, parties, other) => {
        const a = planCleanRoom(argsFor(name, parties, undefined));
        const again = planCleanRoom(JSON.parse(JSON.stringify(argsFor(name, parties, undefined))) as CleanRoomArgs);
        expect(again).toEqual(a);
        const b = planCleanRoom(argsFor(name, parties, `${other}x`));
        expect(b.storageAccountName).not.toBe(a.storageAccountName);
        expect(b.parties.map((p) => p.vaultName)).not.toEqual(a.parties.map((p) => p.vaultName));
      }),
      { numRuns: 40 },
    );
  });
});
