// Confidential VM sizes for the enclave node pool: the node VM is the TEE, so its size decides
// whether memory is encrypted and attestable at all. AMD SEV-SNP: DCasv5, DCadsv5, ECasv5, ECadsv5
// and their v6 generation; Intel TDX: DCesv5, DCedsv5, ECesv5, ECedsv5
// (learn.microsoft.com/azure/confidential-computing/confidential-vm-overview).
// components/vm-sizes.ts holds the same table; the pack may import only the protocol module, so this
// is a deliberate copy until the table moves there.
export type ConfidentialTee = "sev-snp" | "tdx";

const SIZE = /^Standard_(DC|EC)(\d+)(as|ads|es|eds)_v(5|6)$/i;
const VCPUS = new Set([2, 4, 8, 16, 32, 48, 64, 96]);

/** The TEE a VM size provides, or undefined when it is not a confidential size. */
export function confidentialTeeOf(vmSize: unknown): ConfidentialTee | undefined {
  if (typeof vmSize !== "string") return undefined;
  const m = SIZE.exec(vmSize);
  if (!m) return undefined;
  const [, , vcpus, features, generation] = m;
  if (!VCPUS.has(Number(vcpus))) return undefined;
  const tee: ConfidentialTee = features!.toLowerCase().startsWith("e") ? "tdx" : "sev-snp";
  // TDX sizes exist only in the v5 generation.
  if (tee === "tdx" && generation !== "5") return undefined;
  return tee;
}
