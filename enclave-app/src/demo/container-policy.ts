// The container security policy of the local enclave in confidential-container mode. On Azure,
// `az confcom acipolicygen` generates this Rego from the container group (image layers, command,
// environment, mounts), the ARM template carries it base64-encoded as `ccePolicy`, and the SEV-SNP
// hardware reports sha256(policy) as HOST_DATA, which MAA puts in `x-ms-sevsnpvm-hostdata`.
// Locally the policy is SIMULATED: nothing enforces it, and the only thing that reads it is the
// local attester, which reports its hash to the simulated authority as the hardware would.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ccePolicyHostdata, ENCLAVE_COMMAND, frameworkDelegations } from "../protocol/index.ts";

export interface ContainerPolicy {
  /** The Rego text (what `az confcom` prints before encoding). */
  rego: string;
  /** base64 of the Rego text, as in the ARM template's ccePolicy. */
  base64: string;
  /** sha256 hex of the decoded policy: the x-ms-sevsnpvm-hostdata of an enclave started with it. */
  hostdata: string;
  /** Where the demo wrote the Rego text. */
  file: string;
}

function containerRule(image: string, tampered: boolean, partySigners: string): string {
  const digest = image.split("@sha256:")[1] ?? "";
  // The tampered policy is what an operator who wants to look inside would launch: the same image,
  // plus a shell that may be exec'd into the container and stack dumps.
  const exec = tampered ? `[{"command": ["/bin/sh"], "signals": []}]` : "[]";
  return `  {
    "id": ${JSON.stringify(image)},
    "name": "cleanroom-enclave",
    "layers": [${JSON.stringify(digest)}],
    "command": ${JSON.stringify(ENCLAVE_COMMAND)},
    "env_rules": [
      {"pattern": ${JSON.stringify(`CLEANROOM_PARTY_SIGNERS=${partySigners}`)}, "strategy": "string", "required": true},
      {"pattern": "CLEANROOM_RUN_ID=.*", "strategy": "re2", "required": true},
      {"pattern": "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "strategy": "string", "required": true}
    ],
    "mounts": [{"destination": "/scratch", "options": ["rbind", "rshared", "rw"], "source": "sandbox:///tmp/atlas/emptydir/.+", "type": "bind"}],
    "exec_processes": ${exec},
    "signals": [],
    "user": {"user_idname": {"pattern": "1000", "strategy": "id"}, "group_idnames": [{"pattern": "1000", "strategy": "id"}], "umask": "0022"},
    "capabilities": {"bounding": [], "effective": [], "inheritable": [], "permitted": [], "ambient": []},
    "seccomp_profile_sha256": "",
    "allow_elevated": false,
    "working_dir": "/app",
    "allow_stdio_access": true,
    "no_new_privileges": true
  }`;
}

export interface ContainerPolicyOptions {
  /** CLEANROOM_PARTY_SIGNERS (formatPartySigners): the policy fixes the parties' signing keys, as on Azure. */
  partySigners: string;
  tampered?: boolean;
}

/** Rego shaped like `az confcom acipolicygen` output for a group with the one enclave container. */
export function simulatedPolicyRego(image: string, opts: ContainerPolicyOptions): string {
  const tampered = opts.tampered === true;
  return `# SIMULATED confidential container security policy (local clean room demo${tampered ? ", TAMPERED: allows exec of /bin/sh and stack dumps" : ""}).
# Shaped like \`az confcom acipolicygen\` output; nothing on this machine enforces it.
package policy

import future.keywords.every
import future.keywords.in

api_version := "0.10.0"
framework_version := "0.2.3"

fragments := []

containers := [
${containerRule(image, tampered, opts.partySigners)}
]

allow_properties_access := false
allow_dump_stacks := ${tampered}
allow_runtime_logging := false
allow_environment_variable_dropping := true
allow_unencrypted_scratch := false
allow_capability_dropping := true

${frameworkDelegations().join("\n")}

reason := {"errors": data.framework.errors}
`;
}

/** Writes the policy's Rego text into `dir` and returns it with its encodings. */
export async function writeContainerPolicy(dir: string, image: string, opts: ContainerPolicyOptions): Promise<ContainerPolicy> {
  const rego = simulatedPolicyRego(image, opts);
  const base64 = Buffer.from(rego, "utf8").toString("base64");
  const file = join(dir, opts.tampered ? "ccepolicy.tampered.rego" : "ccepolicy.rego");
  await writeFile(file, rego, { mode: 0o600 });
  return { rego, base64, hostdata: ccePolicyHostdata(base64), file };
}
