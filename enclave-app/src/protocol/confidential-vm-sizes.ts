// Confidential VM sizes. On an AKS confidential node the node VM is the trust boundary, so whether a
// size is confidential decides whether the enclave's memory is encrypted and attestable at all. AMD
// SEV-SNP: DCasv5, DCadsv5, ECasv5, ECadsv5 and their v6 generation; Intel TDX: DCesv5, DCedsv5,
// ECesv5, ECedsv5 (learn.microsoft.com/azure/confidential-computing/confidential-vm-overview).
// One table for the components (which refuse a non-confidential enclave pool) and the policy pack
// (which reports one).
export type ConfidentialTee = "sev-snp" | "tdx";

export interface ConfidentialSize {
  /** The size as given. */
  size: string;
  tee: ConfidentialTee;
  vcpus: number;
  /** e.g. "DCasv5", "ECadsv6", "DCesv5". */
  family: string;
}

export interface ParseConfidentialSizeOptions {
  /**
   * Accept any letter case. ARM compares VM size names case-insensitively, so a checker of what will
   * be deployed (the policy pack) sets this; the components insist on the documented spelling.
   */
  ignoreCase?: boolean;
}

// Standard_<DC|EC><vCPUs><as|ads|es|eds>_v<5|6>, e.g. Standard_DC4as_v5, Standard_EC16ads_v5, Standard_DC8es_v5.
const SIZE = /^Standard_(DC|EC)(\d+)(as|ads|es|eds)_v(5|6)$/;
const SIZE_ANY_CASE = new RegExp(SIZE.source, "i");

/** vCPU counts the confidential families are offered in. */
export const CONFIDENTIAL_VCPU_COUNTS: readonly number[] = [2, 4, 8, 16, 32, 48, 64, 96];

/** Parses a confidential VM size; undefined for anything that is not one of the families above. */
export function parseConfidentialSize(size: unknown, options: ParseConfidentialSizeOptions = {}): ConfidentialSize | undefined {
  if (typeof size !== "string") return undefined;
  const m = (options.ignoreCase ? SIZE_ANY_CASE : SIZE).exec(size);
  if (!m) return undefined;
  const [, series, vcpuText, featureText, generation] = m as unknown as [string, string, string, string, string];
  const features = featureText.toLowerCase();
  const tee: ConfidentialTee = features.startsWith("e") ? "tdx" : "sev-snp";
  // TDX sizes exist only in the v5 generation.
  if (tee === "tdx" && generation !== "5") return undefined;
  const vcpus = Number(vcpuText);
  if (!CONFIDENTIAL_VCPU_COUNTS.includes(vcpus)) return undefined;
  return { size, tee, vcpus, family: `${series.toUpperCase()}${features}v${generation}` };
}
