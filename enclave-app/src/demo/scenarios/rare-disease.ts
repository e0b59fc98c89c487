import { inputContainerName } from "../../protocol/index.ts";
import type { ScenarioDataset, ScenarioDefinition } from "./types.ts";

const HOSPITALS = ["hospital-a", "hospital-b", "hospital-c"] as const;

function registry(owner: (typeof HOSPITALS)[number]): ScenarioDataset {
  return {
    name: `${owner.replace("-", "_")}_registry`,
    owner,
    container: inputContainerName(owner),
    blobName: "rare-disease-registry.csv",
    schema: [
      { name: "record_id", type: "BIGINT" },
      { name: "patient_pid", type: "VARCHAR" },
      { name: "diagnosis_code", type: "VARCHAR" },
      { name: "age_band", type: "VARCHAR" },
      { name: "sex", type: "VARCHAR" },
      { name: "recorded_date", type: "DATE" },
    ],
  };
}

const DATASETS = HOSPITALS.map(registry);

const SQL = `WITH all_records AS (
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

/**
 * Three hospitals pool their rare-disease registries to learn how many distinct patients each
 * diagnosis has per age band. A patient treated at two hospitals appears in both registries
 * under the same pseudonymous id and must be counted once, which is exactly what no hospital
 * can do alone without seeing the others' patients.
 */
export const rareDiseaseDefinition: ScenarioDefinition = {
  id: "rare-disease",
  title: "Rare-disease patient counts across three hospitals",
  summary:
    "Three hospitals count distinct patients per rare diagnosis (ICD-10) and age band over the union of their registries, deduplicating patients treated at more than one hospital. Groups with fewer than 11 patients are suppressed; every hospital receives the result.",
  collaboration: "rare-disease-registry",
  parties: [
    { name: "hospital-a", label: "Hospital A (registry)" },
    { name: "hospital-b", label: "Hospital B (registry)" },
    { name: "hospital-c", label: "Hospital C (registry)" },
  ],
  datasets: DATASETS,
  sql: SQL,
  privacy: { minGroupSize: 11, countColumn: "patients", allowedColumns: ["diagnosis_code", "age_band", "patients"] },
  recipients: [...HOSPITALS],
  defaultRows: 70_000,
};
