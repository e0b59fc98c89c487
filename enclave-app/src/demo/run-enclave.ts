import { randomBytes } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import { OUTPUT_CONTAINER_NAME, type Approvals, type Contract, type PartySigners } from "../protocol/index.ts";
import { localCredential, localKeyClient } from "../local/local-clients.ts";
import { LocalAttester } from "../runtime/attest/local.ts";
import type { RunEventSink } from "../runtime/events.ts";
import { runCollaboration, type RunResult } from "../runtime/pipeline.ts";
import { LOCAL_AUTHORIZATION_RETRY } from "../runtime/retry/policy.ts";
import { blobStoreFromServiceClient } from "../runtime/storage/blob-store.ts";
import { ENCLAVE_PRINCIPAL, type LocalCleanRoom } from "./cleanroom.ts";

/** SharedStorage's output container, as on Azure. */
export const OUTPUT_CONTAINER = OUTPUT_CONTAINER_NAME;

/** Like a Job name: unique per run and valid in blob names. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `demo-${stamp}-${randomBytes(3).toString("hex")}`;
}

/**
 * The enclave, in-process, with the local adapters: the attester asks the simulated authority
 * over HTTPS (as the real runtime asks MAA), each party's vault is reached with the enclave's
 * principal, and release responses are checked against the local CA as the trust anchor.
 * Everything after the adapters is the code path that runs in the confidential pod.
 */
export async function runEnclave(opts: {
  room: LocalCleanRoom;
  contract: Contract;
  approvals: Approvals;
  runId: string;
  /** confidential-container: the container policy (base64) this enclave is started with. */
  ccePolicy?: string;
  /** confidential-container: the party signers that policy fixes (CLEANROOM_PARTY_SIGNERS). */
  partySigners?: PartySigners;
  onEvent?: RunEventSink;
}): Promise<RunResult> {
  const { room } = opts;
  const attester = new LocalAttester({
    authority: { url: room.authority.url, caCertPem: room.ca.certPem },
    mode: opts.contract.attestation.mode,
    // What the (simulated) hardware measures: the policy the enclave was started with, not the contract's pin.
    ...(opts.ccePolicy !== undefined ? { ccePolicy: opts.ccePolicy } : {}),
  });
  const credential = localCredential(ENCLAVE_PRINCIPAL);
  return runCollaboration({
    // The enclave receives the contract and approvals as files; a JSON round trip keeps it honest.
    contract: JSON.parse(JSON.stringify(opts.contract)),
    approvals: JSON.parse(JSON.stringify(opts.approvals)),
    runId: opts.runId,
    attester,
    keyClientFor: (vaultUrl) => localKeyClient({ url: vaultUrl, caCertPem: room.ca.certPem }, credential),
    trustedRoots: [room.ca.certPem],
    storage: blobStoreFromServiceClient(BlobServiceClient.fromConnectionString(room.azurite.connectionString)),
    outputContainer: OUTPUT_CONTAINER,
    scratchDir: room.scratchDir,
    duckdb: { memoryLimit: "1GB", threads: 2 },
    sql: opts.contract.sql,
    enclaveImage: opts.contract.enclave.image,
    authorizationRetry: LOCAL_AUTHORIZATION_RETRY,
    ...(opts.partySigners !== undefined ? { partySigners: opts.partySigners } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  });
}
