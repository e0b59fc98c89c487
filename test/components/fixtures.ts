// Arguments shared by the component tests: a two-party collaboration (bank + insurer), phase 1 by
// default, with helpers that add real keys and real approvals for phase 2.
import { generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { signApproval, type Approvals } from "../../enclave-app/src/protocol/index.ts";
import { cleanRoomContract, verifyContractApprovals, type CleanRoomArgs } from "../../components/index.ts";
import { DEFAULT_TENANT, fakeGuid } from "../helpers/pulumi.ts";

export const TENANT = DEFAULT_TENANT;
export const ADMIN_GROUP = fakeGuid("cluster-admins");
export const IMAGE = `ghcr.io/example/cleanroom-enclave@sha256:${"ab".repeat(32)}`;

export const principals = {
  bankAdmin: fakeGuid("bank-admin"),
  bankUploader: fakeGuid("bank-uploader"),
  insurerAdmin: fakeGuid("insurer-admin"),
  insurerUploader: fakeGuid("insurer-uploader"),
  insurerAnalyst: fakeGuid("insurer-analyst"),
};

export function phase1Args(overrides: Partial<CleanRoomArgs> = {}): CleanRoomArgs {
  return {
    collaboration: "fraud-overlap",
    location: "westeurope",
    tenantId: TENANT,
    clusterAdminGroupObjectIds: [ADMIN_GROUP],
    parties: [
      {
        name: "bank",
        admins: [{ objectId: principals.bankAdmin, type: "Group" }],
        uploaders: [principals.bankUploader],
        ipRanges: ["203.0.113.0/24"],
      },
      {
        name: "insurer",
        admins: [principals.insurerAdmin],
        uploaders: [principals.insurerUploader],
        resultReaders: [principals.insurerAnalyst],
        ipRanges: ["198.51.100.7"],
      },
    ],
    datasets: [
      {
        name: "transactions",
        owner: "bank",
        blobName: "transactions.csv.enc",
        format: "csv",
        schema: [
          { name: "customer_ref", type: "VARCHAR" },
          { name: "region", type: "VARCHAR" },
          { name: "amount", type: "DECIMAL(12,2)" },
        ],
      },
      {
        name: "claims",
        owner: "insurer",
        blobName: "claims.csv.enc",
        format: "csv",
        schema: [
          { name: "customer_ref", type: "VARCHAR" },
          { name: "region", type: "VARCHAR" },
          { name: "flagged", type: "BOOLEAN" },
        ],
      },
    ],
    sql: "SELECT t.region, count(*) AS n FROM transactions t JOIN claims c USING (customer_ref) WHERE c.flagged GROUP BY t.region",
    privacy: { minGroupSize: 5, countColumn: "n", allowedColumns: ["region", "n"] },
    recipients: ["bank", "insurer"],
    enclaveImage: IMAGE,
    ...overrides,
  };
}

export interface PartyKeys {
  signing: { privateKey: KeyObject; publicJwk: JsonWebKey };
  kekPublicJwk: JsonWebKey;
}

let cachedKeys: Record<string, PartyKeys> | undefined;

/** Real keys, generated once per test file: EC P-256 signing keys and RSA-2048 KEK public keys. */
export function partyKeys(): Record<string, PartyKeys> {
  if (cachedKeys) return cachedKeys;
  const make = (): PartyKeys => {
    const signing = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const kek = generateKeyPairSync("rsa", { modulusLength: 2048 });
    return {
      signing: { privateKey: signing.privateKey, publicJwk: signing.publicKey.export({ format: "jwk" }) },
      kekPublicJwk: kek.publicKey.export({ format: "jwk" }),
    };
  };
  cachedKeys = { bank: make(), insurer: make() };
  return cachedKeys;
}

/** Phase-2 arguments: keys and digests filled in (no approvals yet). */
export function completeArgs(overrides: Partial<CleanRoomArgs> = {}): CleanRoomArgs {
  const keys = partyKeys();
  const base = phase1Args(overrides);
  return {
    ...base,
    parties: base.parties.map((p) => ({ ...p, signingKey: keys[p.name]!.signing.publicJwk, kekPublicKey: keys[p.name]!.kekPublicJwk })),
    datasets: base.datasets.map((d, i) => ({ ...d, ciphertextSha256: String(i + 1).repeat(64).slice(0, 64), plaintextLength: 1000 * (i + 1) })),
  };
}

export async function signAll(args: CleanRoomArgs, parties = ["bank", "insurer"]): Promise<Approvals> {
  const contract = cleanRoomContract(args);
  if (!contract) throw new Error("contract incomplete");
  const approvals: Approvals = {};
  for (const p of parties) approvals[p] = await signApproval(contract, p, partyKeys()[p]!.signing.privateKey);
  return approvals;
}

/** Phase-2 arguments with verified approvals: the enclave workload gets created. */
export async function approvedArgs(overrides: Partial<CleanRoomArgs> = {}): Promise<CleanRoomArgs> {
  const args = completeArgs({
    ...overrides,
  });
  const contract = cleanRoomContract(args)!;
  const approvals = await verifyContractApprovals(contract, await signAll(args));
  return {
    ...args,
    approvals,
    // A Job exists only in confidential-node mode.
    ...(args.isolationMode === "confidential-container" ? {} : { workload: { ...args.workload } }),
  };
}
