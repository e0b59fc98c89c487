import { inputContainerName } from "../../protocol/index.ts";
import type { ScenarioDefinition } from "./types.ts";

const SQL = `WITH flagged AS (
  SELECT customer_pid, region, COUNT(*) AS flagged_txns, SUM(amount) AS flagged_amount
  FROM bank_transactions
  WHERE flagged_fraud
  GROUP BY customer_pid, region
),
suspicious AS (
  SELECT customer_pid, COUNT(*) AS suspicious_claims, SUM(claim_amount) AS claimed_amount
  FROM insurer_claims
  WHERE suspicious
  GROUP BY customer_pid
)
SELECT f.region AS region,
       COUNT(*) AS overlap_customers,
       SUM(f.flagged_txns) AS flagged_txns,
       SUM(f.flagged_amount) AS flagged_amount,
       SUM(s.suspicious_claims) AS suspicious_claims,
       SUM(s.claimed_amount) AS suspicious_claim_amount
FROM flagged f
JOIN suspicious s ON s.customer_pid = f.customer_pid
GROUP BY f.region
ORDER BY f.region`;

/**
 * A bank and an insurer look for customers who show up in both their fraud signals (a flagged
 * card transaction at the bank AND a suspicious claim at the insurer), per region, without
 * either showing the other its customers. The synthetic data comes from fraud-data.ts.
 */
export const fraudDefinition: ScenarioDefinition = {
  id: "fraud",
  title: "Cross-industry fraud overlap",
  summary:
    "A bank and an insurer count, per region, the customers that the bank flagged for card fraud AND that filed a suspicious insurance claim, with the amounts involved. Neither sees the other's rows; regions with fewer than 10 such customers are suppressed.",
  collaboration: "fraud-overlap",
  parties: [
    { name: "bank", label: "Bank (card transactions)" },
    { name: "insurer", label: "Insurer (claims)" },
  ],
  datasets: [
    {
      name: "bank_transactions",
      owner: "bank",
      container: inputContainerName("bank"),
      blobName: "transactions.csv",
      schema: [
        { name: "txn_id", type: "BIGINT" },
        { name: "customer_pid", type: "VARCHAR" },
        { name: "region", type: "VARCHAR" },
        { name: "amount", type: "DECIMAL(12,2)" },
        { name: "merchant_category", type: "VARCHAR" },
        { name: "txn_date", type: "DATE" },
        { name: "flagged_fraud", type: "BOOLEAN" },
      ],
    },
    {
      name: "insurer_claims",
      owner: "insurer",
      container: inputContainerName("insurer"),
      blobName: "claims.csv",
      schema: [
        { name: "claim_id", type: "BIGINT" },
        { name: "customer_pid", type: "VARCHAR" },
        { name: "region", type: "VARCHAR" },
        { name: "claim_amount", type: "DECIMAL(12,2)" },
        { name: "claim_type", type: "VARCHAR" },
        { name: "filed_date", type: "DATE" },
        { name: "suspicious", type: "BOOLEAN" },
      ],
    },
  ],
  sql: SQL,
  privacy: {
    minGroupSize: 10,
    countColumn: "overlap_customers",
    allowedColumns: ["region", "overlap_customers", "flagged_txns", "flagged_amount", "suspicious_claims", "suspicious_claim_amount"],
  },
  recipients: ["bank", "insurer"],
  defaultRows: 200_000,
};
