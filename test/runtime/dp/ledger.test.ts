// The privacy-budget ledger: entries chain and verify under a real ES256 key, basic composition
// refuses overspending exactly, and every tampering the brief names is detected and named.
import { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { LedgerError, type LedgerFailure } from "../../../enclave-app/src/runtime/privacy/dp/errors.ts";
import {
  type AppendOptions,
  type AppendRequest,
  appendEntry,
  entryHash,
  genesisHash,
  type LedgerRecord,
  ledgerHead,
  verifyChain,
} from "../../../enclave-app/src/runtime/privacy/dp/ledger.ts";
import { es256LedgerSigner, es256LedgerVerifier } from "../../../enclave-app/src/runtime/privacy/dp/ledger-signer.ts";

const budget = { collaborationId: "fraud-2026", epsilon: "1.5", delta: "1e-5" };
const contractHash = "a".repeat(64);

function p256() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { signer: es256LedgerSigner(privateKey), verifier: es256LedgerVerifier(publicKey) };
}

const key = p256();
const options: AppendOptions = { budget, ...key };

function request(epsilon: number | string, delta: number | string = 0, runId = "run-1"): AppendRequest {
  return { epsilon, delta, runId, contractHash, template: "tau-threshold+noisy-sum", parameters: { maxRowsPerUnit: 5, lower: 0, upper: 1000 } };
}

async function chainOf(...requests: AppendRequest[]): Promise<LedgerRecord[]> {
  let records: LedgerRecord[] = [];
  for (const r of requests) records = (await appendEntry(records, r, options)).records;
  return records;
}

async function failure(promise: Promise<unknown>): Promise<{ reason: LedgerFailure; seq?: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof LedgerError) return { reason: err.reason, ...(err.seq === undefined ? {} : { seq: err.seq }), message: err.message };
    throw err;
  }
  throw new Error("expected a LedgerError");
}

let three: LedgerRecord[];
beforeAll(async () => {
  three = await chainOf(request("0.5", "1e-6", "run-1"), request(0.5, 0, "run-2"), request("0.25", "2e-6", "run-3"));
});

describe("append and verify", () => {
  it("chains entries from the genesis hash and verifies them, the head carrying exact spend", async () => {
    expect(three.map((r) => r.entry.seq)).toEqual([1, 2, 3]);
    expect(three[0]!.entry.prevHash).toBe(genesisHash(budget));
    expect(three[2]!.entry.prevHash).toBe(three[1]!.hash);
    const head = await verifyChain(three, { budget, verifier: key.verifier, expectedHead: { seq: 3, hash: three[2]!.hash }, runsHappened: true });
    expect(head).toEqual({ seq: 3, hash: three[2]!.hash, spent: { epsilon: "1.25", delta: "0.000003" } });
    expect(ledgerHead(three, budget)).toEqual(head);
    expect(await verifyChain(three, { budget, verifier: key.verifier, expectedHead: { seq: 1, hash: three[0]!.hash } })).toEqual(head);
  });

  it("accounts decimals exactly: 0.1 + 0.2 fits a budget of 0.3 (in doubles it would be 0.30000000000000004)", async () => {
    const small = { budget: { ...budget, epsilon: 0.3 }, ...key };
    const first = await appendEntry([], request(0.1), small);
    const second = await appendEntry(first.records, request(0.2), small);
    expect(second.head.spent.epsilon).toBe("0.3");
    expect((await failure(appendEntry(second.records, request("0.000001"), small))).reason).toBe("budget-exhausted");
  });

  it("verifies an empty ledger as the genesis head when no runs happened", async () => {
    expect(await verifyChain([], { budget, verifier: key.verifier })).toEqual({ seq: 0, hash: genesisHash(budget), spent: { epsilon: "0", delta: "0" } });
  });
});

describe("budget (basic composition)", () => {
  it("refuses an append whose epsilon would exceed the budget, naming the totals, and leaves the chain as it was", async () => {
    const before = three.length;
    const f = await failure(appendEntry(three, request("0.3"), options));
    expect(f.reason).toBe("budget-exhausted");
    expect(f.message).toMatch(/epsilon 1\.55 exceeds the collaboration budget 1\.5/);
    expect(three.length).toBe(before);
    expect((await appendEntry(three, request("0.25"), options)).head.spent.epsilon).toBe("1.5");
  });

  it("refuses an append whose delta would exceed the budget", async () => {
    const f = await failure(appendEntry(three, request("0.1", "0.00001"), options));
    expect(f.reason).toBe("budget-exhausted");
    expect(f.message).toMatch(/delta 0\.000013 exceeds the collaboration budget 0\.00001/);
  });
});

describe("tampering", () => {
  const verifyOpts = () => ({ budget, verifier: key.verifier });
  const clone = (records: LedgerRecord[]): LedgerRecord[] => structuredClone(records);

  it("detects an altered entry (lower epsilon written into entry 2)", async () => {
    const forged = clone(three);
    forged[1]!.entry.epsilon = "0.01";
    expect(await failure(verifyChain(forged, verifyOpts()))).toMatchObject({ reason: "bad-hash", seq: 2 });
  });

  it("detects an altered entry whose hash was recomputed: the signature no longer verifies", async () => {
    const forged = clone(three);
    forged[2]!.entry.epsilon = "0.01";
    forged[2]!.hash = entryHash(forged[2]!.entry);
    expect(await failure(verifyChain(forged, verifyOpts()))).toMatchObject({ reason: "bad-signature", seq: 3 });
  });

  it("detects reordered entries", async () => {
    const swapped = [three[0]!, three[2]!, three[1]!];
    expect(await failure(verifyChain(swapped, verifyOpts()))).toMatchObject({ reason: "bad-sequence", seq: 2 });
  });

  it("detects a removed middle entry (renumbered, the link breaks)", async () => {
    const gap = clone([three[0]!, three[2]!]);
    gap[1]!.entry.seq = 2;
    expect(await failure(verifyChain(gap, verifyOpts()))).toMatchObject({ reason: "broken-link", seq: 2 });
  });

  it("detects truncation (rollback) against the head the caller remembers from the last receipt", async () => {
    const remembered = { seq: 3, hash: three[2]!.hash };
    const f = await failure(verifyChain(three.slice(0, 2), { ...verifyOpts(), expectedHead: remembered }));
    expect(f.reason).toBe("rollback");
    expect(f.message).toMatch(/ends at seq 2 but the remembered head is seq 3/);
  });

  it("detects rewritten history of the same length, even signed by the ledger key", async () => {
    const rewritten = await chainOf(request("0.5", "1e-6", "run-1"), request("0.1", 0, "run-2-other"), request("0.25", "2e-6", "run-3"));
    const f = await failure(verifyChain(rewritten, { ...verifyOpts(), expectedHead: { seq: 3, hash: three[2]!.hash } }));
    expect(f).toMatchObject({ reason: "rollback", seq: 3 });
  });

  it("detects a deleted chain when runs happened, or when the caller remembers a head", async () => {
    expect((await failure(verifyChain([], { ...verifyOpts(), runsHappened: true }))).reason).toBe("missing-chain");
    expect((await failure(verifyChain([], { ...verifyOpts(), expectedHead: { seq: 2, hash: three[1]!.hash } }))).reason).toBe("missing-chain");
  });

  it("detects a signature by another key", async () => {
    const other = p256();
    const foreign = (await appendEntry(three, request("0.1"), { budget, ...other, verifier: key.verifier })).records;
    expect(await failure(verifyChain(foreign, verifyOpts()))).toMatchObject({ reason: "bad-signature", seq: 4 });
    expect(await failure(verifyChain(three, { budget, verifier: other.verifier }))).toMatchObject({ reason: "bad-signature", seq: 1 });
  });

  it("binds the budget: the same chain under a larger budget does not verify", async () => {
    expect(await failure(verifyChain(three, { budget: { ...budget, epsilon: "100" }, verifier: key.verifier }))).toMatchObject({ reason: "broken-link", seq: 1 });
  });

  it("refuses to append to a chain that does not verify", async () => {
    const forged = clone(three);
    forged[0]!.entry.runId = "someone-else";
    expect((await failure(appendEntry(forged, request("0.1"), options))).reason).toBe("bad-hash");
  });
});

describe("entries and keys", () => {
  it("refuses malformed requests naming the field", async () => {
    expect((await failure(appendEntry([], { ...request("0.1"), contractHash: "xyz" }, options))).message).toMatch(/contractHash must be 64 lowercase hex digits/);
    expect((await failure(appendEntry([], request("0"), options))).message).toMatch(/epsilon must be > 0/);
    expect((await failure(appendEntry([], { ...request("0.1"), runId: "" }, options))).message).toMatch(/runId must be a non-empty string/);
  });

  it("refuses a stored record that is not shaped as one, naming its position", async () => {
    const garbage = [three[0]!, { entry: null, hash: 1 } as unknown as LedgerRecord];
    expect(await failure(verifyChain(garbage, { budget, verifier: key.verifier }))).toMatchObject({ reason: "bad-entry", seq: 2 });
  });

  it("refuses a ledger key that is not EC P-256", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect(() => es256LedgerSigner(rsa.privateKey)).toThrow(/must be an EC P-256 private key/);
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    expect(() => es256LedgerVerifier(p384.publicKey)).toThrow(/must be an EC P-256 public key/);
  });
});
