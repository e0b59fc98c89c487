import { describe, expect, it } from "vitest";
import { requiredApprovers } from "../../../enclave-app/src/protocol/index.ts";
import { RuntimeError } from "../../../enclave-app/src/runtime/errors.ts";
import type { AttestedEnclave } from "../../../enclave-app/src/runtime/steps/attest.ts";
import { releaseKeys } from "../../../enclave-app/src/runtime/steps/release.ts";
import { makeContract, makeParty } from "../helpers/contract.ts";
import { MemoryBlobStore, SALES_CSV, SALES_SCHEMA, inspected, recordingReporter, storeDataset, toolAttester } from "./step-helpers.ts";

const bank = makeParty("bank");
const insurer = makeParty("insurer");

async function setup() {
  const store = new MemoryBlobStore();
  const sales = await storeDataset(store, bank, { name: "sales", blobPath: "bank-in/sales.enc", schema: SALES_SCHEMA }, SALES_CSV);
  const claims = await storeDataset(store, insurer, { name: "claims", blobPath: "insurer-in/claims.enc", schema: SALES_SCHEMA }, SALES_CSV);
  const contract = makeContract({ parties: [bank, insurer], datasets: [sales.spec, claims.spec], sql: "SELECT 1 AS n", recipients: ["bank"], authority: "https://maa.example.test" });
  return { contract, datasets: [inspected(sales), inspected(claims)] };
}

const attested: AttestedEnclave = {
  attestation: { token: "t.o.k", claims: {} },
  nonce: "cleanroom-receipt-key.x",
  releasePolicyPreview: { allowed: true } as AttestedEnclave["releasePolicyPreview"],
};

describe("release step", () => {
  it("releases once per data owner, in order, and returns 32-byte content keys by dataset", async () => {
    const { contract, datasets } = await setup();
    const attester = toolAttester([bank, insurer]);
    const { reporter, names, events } = recordingReporter();
    const released = await releaseKeys({ contract, datasets, attester, attested }, reporter);
    expect(released.keysReleased).toEqual(requiredApprovers(contract).map((party) => ({ party, keyId: contract.parties.find((p) => p.name === party)!.kek.keyId, mechanism: "azure-attest-skr" })));
    expect([...released.contentKeys.keys()].sort()).toEqual(["claims", "sales"]);
    for (const key of released.contentKeys.values()) expect(key).toHaveLength(32);
    expect(names()).toEqual(["release:start", "release:done", "release:start", "release:done"]);
    expect(events.map((e) => e.party)).toEqual(["bank", "bank", "insurer", "insurer"]);
    expect(attester.requests.map((r) => r.nonce)).toEqual([attested.nonce, attested.nonce]);
  });

  it("zeroes the keys already unwrapped when a later party fails, and names that party", async () => {
    const { contract, datasets } = await setup();
    const attester = toolAttester([bank]); // no KEK for the insurer
    const seen: Buffer[] = [];
    const unwrap = attester.unwrapContentKeys!.bind(attester);
    attester.unwrapContentKeys = async (req) => {
      const out = await unwrap(req);
      seen.push(...out.values());
      return out;
    };
    const err = await releaseKeys({ contract, datasets, attester, attested }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err).toMatchObject({ step: "release", party: "insurer" });
    expect(seen.length).toBeGreaterThan(0);
    for (const raw of seen) expect(raw.every((b) => b === 0)).toBe(true);
  });

  it("refuses an attester that can neither unwrap a released key nor content keys", async () => {
    const { contract, datasets } = await setup();
    const { unwrapContentKeys: _drop, ...bare } = toolAttester([bank, insurer]);
    const err = await releaseKeys({ contract, datasets, attester: bare, attested }, recordingReporter().reporter).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ATTESTER_UNSUPPORTED", party: "bank" });
  });
});
