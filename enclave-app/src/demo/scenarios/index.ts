import { fraudScenario } from "./fraud.ts";
import { rareDiseaseScenario } from "./rare-disease.ts";
import type { Scenario, ScenarioId } from "./types.ts";

export type { GeneratedDataset, GenerateOptions, Scenario, ScenarioDataset, ScenarioId, ScenarioParty } from "./types.ts";
export { fraudScenario, generateFraudData, FRAUD_REGIONS } from "./fraud.ts";
export { rareDiseaseScenario, generateRareDiseaseData, RARE_DIAGNOSES, AGE_BANDS } from "./rare-disease.ts";

export const SCENARIOS: Readonly<Record<ScenarioId, Scenario>> = {
  fraud: fraudScenario,
  "rare-disease": rareDiseaseScenario,
};

export function isScenarioId(value: string): value is ScenarioId {
  return Object.hasOwn(SCENARIOS, value);
}
