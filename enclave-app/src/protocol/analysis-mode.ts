// Which privacy mode a contract runs in, and its k. One answer for the enclave, the CLI and the docs:
// a contract is "enforced" as soon as any owner declares analysis rules, and then the strictest k of
// every party applies (an owner can only raise it).
import type { Contract, DatasetSpec } from "./types.ts";

export type PrivacyMode = "legacy" | "enforced";

export function privacyMode(contract: Pick<Contract, "datasets">): PrivacyMode {
  return contract.datasets.some((d: DatasetSpec) => d.analysis !== undefined) ? "enforced" : "legacy";
}

/** k = max(privacy.minGroupSize, every owner's analysis.minGroupSize). */
export function effectiveMinGroupSize(contract: Pick<Contract, "datasets" | "privacy">): number {
  return Math.max(contract.privacy.minGroupSize, ...contract.datasets.map((d) => d.analysis?.minGroupSize ?? 0));
}
