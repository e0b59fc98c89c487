import type { ColumnSpec, PrivacyRules } from "../../protocol/index.ts";

export type ScenarioId = "fraud" | "rare-disease";

export interface ScenarioParty {
  /** Party name as it appears in the contract (^[a-z][a-z0-9-]{1,22}$). */
  name: string;
  /** Human label for the printed tables. */
  label: string;
}

export interface ScenarioDataset {
  /** SQL table name. */
  name: string;
  owner: string;
  /** The owner's input container in the shared storage account. */
  container: string;
  blobName: string;
  schema: ColumnSpec[];
}

export interface GeneratedDataset {
  dataset: string;
  /** CSV (header first) in large chunks, ready to stream into the encryptor. */
  chunks: Buffer[];
  rows: number;
  bytes: number;
}

export interface GenerateOptions {
  rows: number;
  seed: number;
  /** Called now and then with the rows generated so far across all datasets. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/**
 * What the parties agree on, without any data: the single source of the example collaborations'
 * SQL, schemas and privacy rules (stacks/examples imports it), so it must stay free of generators.
 */
export interface ScenarioDefinition {
  id: ScenarioId;
  title: string;
  /** One paragraph for the demo's header and docs. */
  summary: string;
  collaboration: string;
  parties: ScenarioParty[];
  datasets: ScenarioDataset[];
  sql: string;
  privacy: PrivacyRules;
  recipients: string[];
  /** Rows per dataset when --rows is not given. */
  defaultRows: number;
}

export interface Scenario extends ScenarioDefinition {
  /** Deterministic for (rows, seed): the tests regenerate the same plaintext to check the result. */
  generate(opts: GenerateOptions): GeneratedDataset[];
}
