// The fraud collaboration at N parties: party 0 is the bank (bank_transactions), parties 1..N-1
// are insurers (insurer_claims, insurer_claims_2, ...). N = 2 is exactly the demo's scenario; for
// N > 2 the suspicious-claims side of the SQL reads the UNION ALL of every insurer's table, and
// the extra insurers hold copies of the first insurer's rows (same plaintext, own key, own ciphertext).
import { fraudDefinition } from "../../enclave-app/src/demo/scenarios/index.ts";
import type { ColumnSpec } from "../../enclave-app/src/protocol/index.ts";

export interface BenchDataset {
  name: string;
  owner: string;
  container: string;
  /** Blob name without the format extension. */
  blobStem: string;
  schema: ColumnSpec[];
  /** Which generated table it holds. */
  source: "bank_transactions" | "insurer_claims";
}

export interface BenchScenario {
  parties: string[];
  datasets: BenchDataset[];
  sql: string;
}

export function benchScenario(parties: number): BenchScenario {
  if (!Number.isInteger(parties) || parties < 2) throw new Error("the fraud collaboration needs at least 2 parties");
  const [bank, insurer] = fraudDefinition.datasets as [typeof fraudDefinition.datasets[0], typeof fraudDefinition.datasets[0]];
  const names = ["bank", "insurer", ...Array.from({ length: parties - 2 }, (_, i) => `insurer-${i + 2}`)];
  const datasets: BenchDataset[] = [
    { name: bank.name, owner: "bank", container: bank.container, blobStem: bank.blobName.replace(/\.csv$/, ""), schema: bank.schema, source: "bank_transactions" },
    ...names.slice(1).map((owner, i) => ({
      name: i === 0 ? insurer.name : `${insurer.name}_${i + 1}`,
      owner,
      container: `input-${owner}`,
      blobStem: insurer.blobName.replace(/\.csv$/, ""),
      schema: insurer.schema,
      source: "insurer_claims" as const,
    })),
  ];
  return { parties: names, datasets, sql: fraudSql(datasets.slice(1).map((d) => d.name)) };
}

export function fraudSql(claimTables: readonly string[]): string {
  const sql = fraudDefinition.sql;
  if (claimTables.length === 1 && claimTables[0] === "insurer_claims") return sql;
  const from = "FROM insurer_claims\n";
  if (!sql.includes(from)) throw new Error("the fraud SQL no longer reads FROM insurer_claims: update bench/lib/scenario.ts");
  const union = claimTables.map((t) => `SELECT customer_pid, claim_amount, suspicious FROM ${t}`).join(" UNION ALL ");
  return sql.replace(from, `FROM (${union}) AS insurer_claims\n`);
}
