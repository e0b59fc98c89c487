// The confidential container group's security policy (CCE policy): base64 Rego as `az confcom
// acipolicygen` prints it and as ARM takes it in confidentialComputeProperties.ccePolicy. The SEV-SNP
// report's HOST_DATA, and so the token's x-ms-sevsnpvm-hostdata, is the sha256 of the decoded policy
// text (confcom prints the same digest).
import { createHash } from "node:crypto";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class CcePolicyEncodingError extends Error {
  readonly code = "CCE_POLICY_ENCODING_INVALID" as const;
  constructor(message: string) {
    super(message);
    this.name = "CcePolicyEncodingError";
  }
}

/** The policy's Rego text from its base64 form; refuses anything that is not canonical base64 of UTF-8. */
export function decodeCcePolicy(ccePolicyBase64: string): string {
  const text = ccePolicyBase64.trim();
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new CcePolicyEncodingError("ccePolicy must be standard base64 (as az confcom acipolicygen prints it)");
  }
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw new CcePolicyEncodingError("ccePolicy is not canonical base64");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CcePolicyEncodingError("ccePolicy does not decode to UTF-8 text (Rego)");
  }
}

/** x-ms-sevsnpvm-hostdata for a policy: lowercase hex sha256 of the decoded policy bytes. */
export function ccePolicyHostdata(ccePolicyBase64: string): string {
  decodeCcePolicy(ccePolicyBase64);
  return createHash("sha256").update(Buffer.from(ccePolicyBase64.trim(), "base64")).digest("hex");
}

/**
 * The enforcement points a confcom policy defines, each delegated to Microsoft's framework
 * (`mount_device := data.framework.mount_device`, ...): what the policy pack requires and what the
 * example and demo policies are rendered with.
 */
export const CCE_ENFORCEMENT_POINTS = [
  "mount_device",
  "unmount_device",
  "mount_overlay",
  "unmount_overlay",
  "create_container",
  "exec_in_container",
  "exec_external",
  "shutdown_container",
  "signal_container_process",
  "plan9_mount",
  "plan9_unmount",
  "get_properties",
  "dump_stacks",
  "runtime_logging",
  "load_fragment",
  "scratch_mount",
  "scratch_unmount",
] as const;

/** The enforcement points as confcom writes them: each delegated to the framework, one per line. */
export function frameworkDelegations(): string[] {
  return CCE_ENFORCEMENT_POINTS.map((name) => `${name} := data.framework.${name}`);
}
