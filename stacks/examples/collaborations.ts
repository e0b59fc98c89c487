// The two example collaborations, as stack config (phase 2: keys, digests and — added by the
// generator — approvals). Party keys are test-only and come from test/fixtures/stacks/*.test-only.json;
// everything else is deterministic, so regenerating changes nothing unless the example changes.
import { createHash, type JsonWebKey } from "node:crypto";

/** A GUID derived from a label: stable, obviously fake ids for principals, tenants and subscriptions. */
export function exampleGuid(label: string): string {
  const h = createHash("sha256").update(`cleanroom-example:${label}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Placeholder digest for an example dataset. A real one is printed by `cleanroom encrypt` for the
 * blob the party uploaded; the examples ship no ciphertext, so this is sha256 of a label.
 */
export function exampleDigest(label: string): string {
  return createHash("sha256").update(`cleanroom-example-ciphertext:${label}`).digest("hex");
}

/** Placeholder enclave image digest; a real deployment pins the digest its CI published. */
export const EXAMPLE_ENCLAVE_IMAGE = `ghcr.io/confidential-clean-room/enclave@sha256:${exampleDigest("enclave-image")}`;

export interface ExamplePartyKeys {
  signingKey: JsonWebKey;
  kekPublicKey: JsonWebKey;
}

export interface ExampleCollaboration {
  stack: string;
  title: string;
  /** Party name -> algorithm of its test-only approval key and size of its KEK. */
  parties: Record<string, { signing: "ES256" | "RS256"; keySize: 3072 | 4096 }>;
  config(keys: Record<string, ExamplePartyKeys>): Record<string, unknown>;
}

const NS = "confidential-clean-room";

function party(example: ExampleCollaboration, name: string, keys: ExamplePartyKeys, ipRange: string, extra: Record<string, unknown> = {}) {
  const stack = example.stack;
  return {
    name,
    keySize: example.parties[name]!.keySize,
    admins: [{ objectId: exampleGuid(`${stack}/${name}/admins`), type: "Group" }],
    uploaders: [{ objectId: exampleGuid(`${stack}/${name}/uploader`), type: "ServicePrincipal" }],
    resultReaders: [{ objectId: exampleGuid(`${stack}/${name}/analysts`), type: "Group" }],
    ipRanges: [ipRange],
    ...extra,
    signingKey: keys.signingKey,
    kekPublicKey: keys.kekPublicKey,
  };
}

const FRAUD_SQL = `WITH flagged AS (
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

export const fraudBankInsurer: ExampleCollaboration = {
  stack: "fraud-bank-insurer",
  title: "A bank and an insurer count, per region, customers flagged for card fraud who also filed a suspicious claim (k = 10).",
  parties: { bank: { signing: "ES256", keySize: 3072 }, insurer: { signing: "RS256", keySize: 3072 } },
  config(keys) {
    const s = this.stack;
    return {
      "azure-native:location": "westeurope",
      [`${NS}:collaboration`]: s,
      [`${NS}:location`]: "westeurope",
      [`${NS}:tenantId`]: exampleGuid(`${s}/tenant`),
      [`${NS}:clusterAdminGroupObjectIds`]: [exampleGuid(`${s}/platform-admins`)],
      [`${NS}:attestation`]: { kind: "dedicated" },
      [`${NS}:enclaveImage`]: EXAMPLE_ENCLAVE_IMAGE,
      [`${NS}:parties`]: [party(this, "bank", keys.bank!, "203.0.113.0/24"), party(this, "insurer", keys.insurer!, "198.51.100.0/24")],
      [`${NS}:datasets`]: [
        {
          name: "bank_transactions",
          owner: "bank",
          blobName: "2025/transactions.csv.enc",
          format: "csv",
          schema: [
            { name: "txn_id", type: "BIGINT" },
            { name: "customer_pid", type: "VARCHAR" },
            { name: "region", type: "VARCHAR" },
            { name: "amount", type: "DECIMAL(12,2)" },
            { name: "merchant_category", type: "VARCHAR" },
            { name: "txn_date", type: "DATE" },
            { name: "flagged_fraud", type: "BOOLEAN" },
          ],
          ciphertextSha256: exampleDigest(`${s}/bank_transactions`),
          plaintextLength: 15_482_113,
        },
        {
          name: "insurer_claims",
          owner: "insurer",
          blobName: "2025/claims.csv.enc",
          format: "csv",
          schema: [
            { name: "claim_id", type: "BIGINT" },
            { name: "customer_pid", type: "VARCHAR" },
            { name: "region", type: "VARCHAR" },
            { name: "claim_amount", type: "DECIMAL(12,2)" },
            { name: "claim_type", type: "VARCHAR" },
            { name: "filed_date", type: "DATE" },
            { name: "suspicious", type: "BOOLEAN" },
          ],
          ciphertextSha256: exampleDigest(`${s}/insurer_claims`),
          plaintextLength: 14_903_557,
        },
      ],
      [`${NS}:sql`]: FRAUD_SQL,
      [`${NS}:privacy`]: {
        minGroupSize: 10,
        countColumn: "overlap_customers",
        allowedColumns: ["region", "overlap_customers", "flagged_txns", "flagged_amount", "suspicious_claims", "suspicious_claim_amount"],
      },
      [`${NS}:recipients`]: ["bank", "insurer"],
      [`${NS}:cluster`]: {
        enclavePool: { vmSize: "Standard_DC4as_v5", minCount: 1, maxCount: 2 },
        apiServerAuthorizedIpRanges: ["203.0.113.0/24", "198.51.100.0/24"],
      },
      [`${NS}:workload`]: { tpm: { mode: "hostPath", groupId: 113 }, activeDeadlineSeconds: 3600 },
      [`${NS}:tags`]: { "cost-center": "fraud-analytics", environment: "production" },
    };
  },
};

const RARE_DISEASE_SQL = `WITH all_records AS (
  SELECT patient_pid, diagnosis_code, age_band FROM hospital_a_registry
  UNION ALL
  SELECT patient_pid, diagnosis_code, age_band FROM hospital_b_registry
  UNION ALL
  SELECT patient_pid, diagnosis_code, age_band FROM hospital_c_registry
)
SELECT diagnosis_code, age_band, COUNT(DISTINCT patient_pid) AS patients
FROM all_records
GROUP BY diagnosis_code, age_band
ORDER BY diagnosis_code, age_band`;

const REGISTRY_SCHEMA = [
  { name: "record_id", type: "BIGINT" },
  { name: "patient_pid", type: "VARCHAR" },
  { name: "diagnosis_code", type: "VARCHAR" },
  { name: "age_band", type: "VARCHAR" },
  { name: "sex", type: "VARCHAR" },
  { name: "recorded_date", type: "DATE" },
];

export const rareDiseaseHospitals: ExampleCollaboration = {
  stack: "rare-disease-hospitals",
  title: "Three hospitals count distinct patients per rare diagnosis and age band (k = 11); hospital C keeps its vault in its own subscription.",
  parties: {
    "hospital-a": { signing: "ES256", keySize: 3072 },
    "hospital-b": { signing: "ES256", keySize: 4096 },
    "hospital-c": { signing: "ES256", keySize: 3072 },
  },
  config(keys) {
    const s = this.stack;
    const tenant = exampleGuid(`${s}/tenant`);
    const hospitals = ["hospital-a", "hospital-b", "hospital-c"];
    return {
      "azure-native:location": "northeurope",
      [`${NS}:collaboration`]: s,
      [`${NS}:location`]: "northeurope",
      [`${NS}:tenantId`]: tenant,
      [`${NS}:clusterAdminGroupObjectIds`]: [exampleGuid(`${s}/platform-admins`)],
      [`${NS}:attestation`]: { kind: "shared" },
      [`${NS}:enclaveImage`]: EXAMPLE_ENCLAVE_IMAGE,
      [`${NS}:parties`]: [
        party(this, "hospital-a", keys["hospital-a"]!, "192.0.2.0/24"),
        party(this, "hospital-b", keys["hospital-b"]!, "203.0.113.64/26"),
        party(this, "hospital-c", keys["hospital-c"]!, "198.51.100.128/25", {
          subscriptionId: exampleGuid(`${s}/hospital-c/subscription`),
          tenantId: tenant,
        }),
      ],
      [`${NS}:datasets`]: hospitals.map((h, i) => ({
        name: `${h.replace("-", "_")}_registry`,
        owner: h,
        blobName: "rare-disease-registry.csv.enc",
        format: "csv",
        schema: REGISTRY_SCHEMA,
        ciphertextSha256: exampleDigest(`${s}/${h}`),
        plaintextLength: 3_950_000 + i * 41_337,
      })),
      [`${NS}:sql`]: RARE_DISEASE_SQL,
      [`${NS}:privacy`]: { minGroupSize: 11, countColumn: "patients", allowedColumns: ["diagnosis_code", "age_band", "patients"] },
      [`${NS}:recipients`]: hospitals,
      [`${NS}:cluster`]: { enclavePool: { vmSize: "Standard_DC8as_v5", minCount: 0, maxCount: 1 }, upgradeChannel: "stable" },
      [`${NS}:storage`]: { skuName: "Standard_ZRS", deleteRetentionDays: 90 },
      [`${NS}:workload`]: {
        tpm: { mode: "hostPath", groupId: 113 },
        resources: { cpu: "7", memoryMiB: 24576, scratchMiB: 8192 },
        activeDeadlineSeconds: 7200,
      },
      [`${NS}:tags`]: { "data-classification": "special-category-health", environment: "production" },
    };
  },
};

export const EXAMPLES: readonly ExampleCollaboration[] = [fraudBankInsurer, rareDiseaseHospitals];
