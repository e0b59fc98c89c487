/**
 * Independent, plain-JS computation of each scenario's result from the generated plaintext:
 * the end-to-end tests compare the demo's decrypted output with these, so a wrong join, a
 * lost region or a mis-decrypted row in the enclave shows up as a mismatch.
 */
import type { GeneratedDataset } from "../../enclave-app/src/demo/scenarios/index.ts";

export interface ExpectedGroup {
  key: string;
  count: number;
  /** Other numeric columns, money as integer cents. */
  values: Record<string, number>;
}

function rowsOf(dataset: GeneratedDataset): { header: string[]; rows: string[][] } {
  const text = Buffer.concat(dataset.chunks).toString("utf8");
  const [head, ...lines] = text.trimEnd().split("\n");
  return { header: head!.split(","), rows: lines.map((l) => l.split(",")) };
}

function cents(value: string): number {
  const [whole, frac = ""] = value.split(".");
  return Number(whole) * 100 + Number(frac.padEnd(2, "0"));
}

export function expectedFraud(data: GeneratedDataset[]): ExpectedGroup[] {
  const bank = rowsOf(data.find((d) => d.dataset === "bank_transactions")!);
  const insurer = rowsOf(data.find((d) => d.dataset === "insurer_claims")!);
  const col = (h: string[], name: string) => h.indexOf(name);

  const flagged = new Map<string, { region: string; txns: number; cents: number }>();
  const [bPid, bRegion, bAmount, bFlag] = ["customer_pid", "region", "amount", "flagged_fraud"].map((n) => col(bank.header, n));
  for (const r of bank.rows) {
    if (r[bFlag!] !== "true") continue;
    const entry = flagged.get(r[bPid!]!) ?? { region: r[bRegion!]!, txns: 0, cents: 0 };
    entry.txns++;
    entry.cents += cents(r[bAmount!]!);
    flagged.set(r[bPid!]!, entry);
  }
  const suspicious = new Map<string, { claims: number; cents: number }>();
  const [iPid, iAmount, iFlag] = ["customer_pid", "claim_amount", "suspicious"].map((n) => col(insurer.header, n));
  for (const r of insurer.rows) {
    if (r[iFlag!] !== "true") continue;
    const entry = suspicious.get(r[iPid!]!) ?? { claims: 0, cents: 0 };
    entry.claims++;
    entry.cents += cents(r[iAmount!]!);
    suspicious.set(r[iPid!]!, entry);
  }
  const groups = new Map<string, ExpectedGroup>();
  for (const [pid, f] of flagged) {
    const s = suspicious.get(pid);
    if (!s) continue;
    const g = groups.get(f.region) ?? {
      key: f.region,
      count: 0,
      values: { flagged_txns: 0, flagged_amount: 0, suspicious_claims: 0, suspicious_claim_amount: 0 },
    };
    g.count++;
    g.values.flagged_txns! += f.txns;
    g.values.flagged_amount! += f.cents;
    g.values.suspicious_claims! += s.claims;
    g.values.suspicious_claim_amount! += s.cents;
    groups.set(f.region, g);
  }
  return [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

export function expectedRareDisease(data: GeneratedDataset[]): ExpectedGroup[] {
  const seen = new Map<string, Set<string>>();
  for (const dataset of data) {
    const { header, rows } = rowsOf(dataset);
    const [pid, code, band] = ["patient_pid", "diagnosis_code", "age_band"].map((n) => header.indexOf(n));
    for (const r of rows) {
      const key = `${r[code!]}|${r[band!]}`;
      const set = seen.get(key) ?? new Set<string>();
      set.add(r[pid!]!);
      seen.set(key, set);
    }
  }
  return [...seen.entries()]
    .map(([key, pids]) => ({ key, count: pids.size, values: {} }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

export { cents };
