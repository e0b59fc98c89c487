// Confidential VM sizes for the enclave node pool. The node VM is the trust boundary, so the pool must
// use a confidential family: AMD SEV-SNP DCasv5/DCadsv5/ECasv5/ECadsv5 (and the v6 generation
// DCasv6/DCadsv6/ECasv6/ECadsv6), or Intel TDX DCesv5/DCedsv5/ECesv5/ECedsv5
// (learn.microsoft.com/azure/confidential-computing/confidential-vm-overview).
export type ConfidentialTee = "sev-snp" | "tdx";

// Standard_<family letters><vCPUs><features>_v<gen>, e.g. Standard_DC4as_v5, Standard_EC16ads_v5, Standard_DC8es_v5.
const SIZE = /^Standard_(DC|EC)(\d+)(as|ads|es|eds)_v(5|6)$/;

export interface ConfidentialSize {
  size: string;
  tee: ConfidentialTee;
  vcpus: number;
  family: string;
}

/** Parses a confidential VM size; undefined for anything that is not one of the families above. */
export function parseConfidentialSize(size: string): ConfidentialSize | undefined {
  const m = SIZE.exec(size);
  if (!m) return undefined;
  const [, series, vcpuText, features, gen] = m as unknown as [string, string, string, string, string];
  const tee: ConfidentialTee = features.startsWith("e") ? "tdx" : "sev-snp";
  // TDX sizes exist only in the v5 generation.
  if (tee === "tdx" && gen !== "5") return undefined;
  const vcpus = Number(vcpuText);
  if (![2, 4, 8, 16, 32, 48, 64, 96].includes(vcpus)) return undefined;
  return { size, tee, vcpus, family: `${series}${features}v${gen}` };
}

export const DEFAULT_ENCLAVE_VM_SIZE = "Standard_DC4as_v5";
