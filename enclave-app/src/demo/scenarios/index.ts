// The demo's scenarios: the pure definitions (fraud.ts, rare-disease.ts, also the source of the
// example stacks) joined with their synthetic data generators (*-data.ts).
import { generateFraudData } from "./fraud-data.ts";
import { fraudDefinition } from "./fraud.ts";
import { generateRareDiseaseData } from "./rare-disease-data.ts";
import { rareDiseaseDefinition } from "./rare-disease.ts";
import type { Scenario, ScenarioId } from "./types.ts";

export type { GeneratedDataset, GenerateOptions, Scenario, ScenarioDataset, ScenarioDefinition, ScenarioId, ScenarioParty } from "./types.ts";
export { fraudDefinition } from "./fraud.ts";
export { rareDiseaseDefinition } from "./rare-disease.ts";
export { generateFraudData, FRAUD_REGIONS } from "./fraud-data.ts";
export { generateRareDiseaseData, RARE_DIAGNOSES, AGE_BANDS } from "./rare-disease-data.ts";

export const fraudScenario: Scenario = { ...fraudDefinition, generate: generateFraudData };
export const rareDiseaseScenario: Scenario = { ...rareDiseaseDefinition, generate: generateRareDiseaseData };

export const SCENARIOS: Readonly<Record<ScenarioId, Scenario>> = {
  fraud: fraudScenario,
  "rare-disease": rareDiseaseScenario,
};

export function isScenarioId(value: string): value is ScenarioId {
  return Object.hasOwn(SCENARIOS, value);
}
