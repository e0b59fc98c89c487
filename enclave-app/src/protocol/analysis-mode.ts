// Which privacy mode a contract runs in, and its k. One answer for the enclave, the CLI and the docs:
// "dp" when the parties approved differential privacy; otherwise "enforced" as soon as any owner
// declares analysis rules; "legacy" (the query's own count column) when none does. In every mode
// but legacy the strictest k of every party applies (an owner can only raise it).
import type { Contract, DatasetSpec } from "./types.ts";

export type PrivacyMode = "legacy" | "enforced" | "dp";

export function privacyMode(contract: Pick<Contract, "datasets" | "privacy">): PrivacyMode {
  if (contract.privacy.mode === "dp") return "dp";
  return contract.datasets.some((d: DatasetSpec) => d.analysis !== undefined) ? "enforced" : "legacy";
}

/** k = max(privacy.minGroupSize, every owner's analysis.minGroupSize). */
export function effectiveMinGroupSize(contract: Pick<Contract, "datasets" | "privacy">): number {
  return Math.max(contract.privacy.minGroupSize, ...contract.datasets.map((d) => d.analysis?.minGroupSize ?? 0));
}
