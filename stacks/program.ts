// The Pulumi program: stack config -> CleanRoom -> stack outputs. Phase 1 (no party keys or digests
// yet) deploys everything but the enclave workload and exports what parties need to encrypt and
// upload; phase 2 builds the contract, verifies the approvals and runs the enclave.
import * as pulumi from "@pulumi/pulumi";
import { CleanRoom } from "../components/index.ts";
import { collaborationOutputs, prepareCleanRoomArgs } from "./collaboration.ts";
import { loadStackConfig } from "./config.ts";

export async function runProgram(): Promise<Record<string, unknown>> {
  const loaded = loadStackConfig(pulumi.runtime.allConfig(), pulumi.getProject());
  // A party with its own subscription gets its own provider; approvals are verified before anything
  // is declared: missing or invalid ones fail the run with one error naming them.
  const args = await prepareCleanRoomArgs(loaded, { providerName: (party) => `${party}-subscription` });
  const room = new CleanRoom("cleanroom", args);
  return collaborationOutputs(room);
}
