import { CsvBuilder, daysOfYear } from "../csv.ts";
import { createPrng, cumulativeWeights } from "../prng.ts";
import { demoSalt, pseudonymize } from "../pseudonym.ts";
import { rareDiseaseDefinition } from "./rare-disease.ts";
import type { GeneratedDataset, GenerateOptions } from "./types.ts";

// Synthetic registries for the rare-disease scenario: patients drawn from a shared population, so
// that some appear at more than one hospital.

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

export function generateRareDiseaseData(opts: GenerateOptions): GeneratedDataset[] {
  const { rows, seed } = opts;
  const patients = buildPatients(rows, seed);
  const days = daysOfYear(2025);
  const total = rows * rareDiseaseDefinition.datasets.length;
  // Each hospital treats a window of half the patients; neighbouring windows overlap by half,
  // so a quarter-to-half of each registry's patients also appear at another hospital.
  const window = Math.max(1, Math.floor(patients.count / 2));
  return rareDiseaseDefinition.datasets.map((dataset, h) => {
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
