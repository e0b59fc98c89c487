// The enclave group's containers as far as the stack config fixes them, before any contract, key or
// policy exists: the same spec CleanRoom hands to the container group, with the open values
// (run id, client id) left as placeholders that confcomInput turns into regexes.
import { DEFAULT_ENCLAVE_CONTAINER_RESOURCES, validateEnclaveContainerOptions } from "../../components/enclave-container-group.ts";
import { enclaveGroupContainers, type GroupContainer } from "../../components/enclave-container-spec.ts";
import { OUTPUT_CONTAINER_NAME } from "../../components/naming.ts";
import { planEndpoints, type CleanRoomArgs } from "../../components/plan.ts";
import { formatPartySigners, pinnedImageProblem } from "../../enclave-app/src/protocol/index.ts";

export class PolicySubjectError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(`cannot describe the enclave container group for its policy:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicySubjectError";
    this.problems = problems;
  }
}

const OPEN = "<open>";

export function stackGroupContainers(args: CleanRoomArgs): GroupContainer[] {
  const problems: string[] = [];
  if (args.isolationMode !== "confidential-container") problems.push(`isolationMode: must be "confidential-container" (a container policy exists only in that mode); got ${JSON.stringify(args.isolationMode ?? "confidential-node")}`);
  const image = pinnedImageProblem(args.enclaveImage);
  if (image) problems.push(`enclaveImage: ${image}`);
  // The policy is what is being generated, so its own absence is not a problem here.
  for (const i of validateEnclaveContainerOptions(args.enclave)) if (i.path !== "ccePolicy") problems.push(`enclave${i.path ? `.${i.path}` : ""}: ${i.message}`);
  const unsigned = args.parties.filter((p) => p.signingKey === undefined).map((p) => p.name);
  if (unsigned.length > 0) problems.push(`parties: ${unsigned.join(", ")} without signingKey: the policy pins every party's signing key`);
  if (problems.length > 0) throw new PolicySubjectError(problems);

  const enclave = args.enclave!;
  const { endpoint, blobEndpoint } = planEndpoints(args);
  return enclaveGroupContainers({
    enclaveImage: args.enclaveImage,
    skrSidecarImage: enclave.skrSidecarImage,
    storageUrl: blobEndpoint,
    outputContainer: OUTPUT_CONTAINER_NAME,
    attestationEndpoint: endpoint,
    resources: { ...DEFAULT_ENCLAVE_CONTAINER_RESOURCES, ...enclave.resources },
    partySigners: formatPartySigners(args.parties.map((p) => ({ name: p.name, signingKey: p.signingKey! }))),
    runId: OPEN,
    clientId: OPEN,
  });
}
