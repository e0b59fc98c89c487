import { CsvBuilder, daysOfYear } from "../csv.ts";
import { createPrng, cumulativeWeights } from "../prng.ts";
import { demoSalt, pseudonymize } from "../pseudonym.ts";
import type { GeneratedDataset, GenerateOptions, Scenario, ScenarioDataset } from "./types.ts";

/**
 * Three hospitals pool their rare-disease registries to learn how many distinct patients each
 * diagnosis has per age band. A patient treated at two hospitals appears in both registries
 * under the same pseudonymous id and must be counted once, which is exactly what no hospital
 * can do alone without seeing the others' patients.
 */
export const AGE_BANDS = ["00-04", "05-17", "18-39", "40-64", "65+"] as const;

/** Real WHO ICD-10 codes of rare diseases; weights are invented for the demo, band weights follow typical onset. */
export const RARE_DIAGNOSES: readonly { code: string; name: string; weight: number; bands: readonly number[] }[] = [
  { code: "E84.0", name: "Cystic fibrosis with pulmonary manifestations", weight: 0.2, bands: [0.15, 0.35, 0.35, 0.13, 0.02] },
  { code: "D66", name: "Hereditary factor VIII deficiency (haemophilia A)", weight: 0.12, bands: [0.08, 0.22, 0.35, 0.25, 0.1] },
  { code: "Q87.4", name: "Marfan syndrome", weight: 0.11, bands: [0.04, 0.2, 0.4, 0.28, 0.08] },
  { code: "G71.0", name: "Muscular dystrophy (incl. Duchenne)", weight: 0.1, bands: [0.2, 0.5, 0.25, 0.04, 0.01] },
  { code: "G12.2", name: "Motor neuron disease (incl. ALS)", weight: 0.1, bands: [0, 0.0005, 0.07, 0.5, 0.4295] },
  { code: "G10", name: "Huntington disease", weight: 0.08, bands: [0, 0.001, 0.2, 0.55, 0.249] },
  { code: "E70.0", name: "Classical phenylketonuria", weight: 0.08, bands: [0.25, 0.4, 0.3, 0.05, 0] },
  { code: "Q85.1", name: "Tuberous sclerosis", weight: 0.05, bands: [0.2, 0.4, 0.3, 0.09, 0.01] },
  { code: "E83.0", name: "Disorders of copper metabolism (Wilson disease)", weight: 0.05, bands: [0, 0.3, 0.5, 0.18, 0.02] },
  { code: "Q78.0", name: "Osteogenesis imperfecta", weight: 0.045, bands: [0.2, 0.35, 0.3, 0.13, 0.02] },
  { code: "E75.2", name: "Other sphingolipidosis (incl. Fabry, Gaucher)", weight: 0.04, bands: [0.05, 0.15, 0.4, 0.3, 0.1] },
  { code: "E76.0", name: "Mucopolysaccharidosis, type I", weight: 0.0012, bands: [0.5, 0.4, 0.1, 0, 0] },
  { code: "G11.3", name: "Cerebellar ataxia with defective DNA repair (ataxia telangiectasia)", weight: 0.0008, bands: [0.3, 0.55, 0.15, 0, 0] },
  { code: "E72.0", name: "Disorders of amino-acid transport (incl. cystinosis)", weight: 0.0006, bands: [0.35, 0.45, 0.2, 0, 0] },
  { code: "D61.0", name: "Constitutional aplastic anaemia (incl. Fanconi anaemia)", weight: 0.0004, bands: [0.3, 0.5, 0.2, 0, 0] },
];

const HOSPITALS = ["hospital-a", "hospital-b", "hospital-c"] as const;

function registry(owner: (typeof HOSPITALS)[number]): ScenarioDataset {
  return {
    name: `${owner.replace("-", "_")}_registry`,
    owner,
    container: `input-${owner}`,
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

export const rareDiseaseScenario: Scenario = {
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
  generate: generateRareDiseaseData,
};

export function generateRareDiseaseData(opts: GenerateOptions): GeneratedDataset[] {
  const { rows, seed } = opts;
  const patients = buildPatients(rows, seed);
  const days = daysOfYear(2025);
  const total = rows * HOSPITALS.length;
  // Each hospital treats a window of half the patients; neighbouring windows overlap by half,
  // so a quarter-to-half of each registry's patients also appear at another hospital.
  const window = Math.max(1, Math.floor(patients.count / 2));
  return DATASETS.map((dataset, h) => {
    const rng = createPrng(seed, dataset.name);
    const start = Math.floor((h * patients.count) / 4);
    const csv = new CsvBuilder(dataset.schema.map((c) => c.name));
    for (let i = 0; i < rows; i++) {
      const p = (start + rng.int(window)) % patients.count;
      const diagnosis = RARE_DIAGNOSES[patients.diagnosis[p]!]!.code;
      csv.push(`${i + 1},${patients.pid[p]},${diagnosis},${AGE_BANDS[patients.band[p]!]},${patients.sex[p] === 1 ? "F" : "M"},${days[rng.int(days.length)]}`);
      if ((i & 0xffff) === 0) opts.onProgress?.(h * rows + i, total);
    }
    opts.onProgress?.((h + 1) * rows, total);
    return { dataset: dataset.name, ...csv.finish() };
  });
}

function buildPatients(rows: number, seed: number) {
  const count = Math.max(60, Math.round(rows / 2));
  const rng = createPrng(seed, "rare-disease-patients");
  const salt = demoSalt("rare-disease", seed);
  const diagnoses = cumulativeWeights(RARE_DIAGNOSES.map((d) => d.weight));
  const bandsByDiagnosis = RARE_DIAGNOSES.map((d) => cumulativeWeights(d.bands));
  const diagnosis = new Uint8Array(count);
  const band = new Uint8Array(count);
  const sex = new Uint8Array(count);
  const pid = new Array<string>(count);
  for (let p = 0; p < count; p++) {
    const d = rng.pick(diagnoses);
    diagnosis[p] = d;
    band[p] = rng.pick(bandsByDiagnosis[d]!);
    sex[p] = rng.chance(0.5) ? 1 : 0;
    pid[p] = pseudonymize(salt, `patient-${p}`);
  }
  return { count, diagnosis, band, sex, pid };
}
