// The enclave as its own process, for tests that kill it (SIGKILL leaves no chance to clean up, as a
// node losing power or an OOM kill). Reads one JSON job on stdin: where the local clean room's
// servers are, the contract, approvals and run id; prints "ready" once loaded, then one JSON line
// with the outcome. Same code path as the demo's in-process enclave (runEnclave).
import { runEnclave } from "../../enclave-app/src/demo/run-enclave.ts";
import type { LocalCleanRoom } from "../../enclave-app/src/demo/cleanroom.ts";
import type { Approvals, Contract } from "../../enclave-app/src/protocol/index.ts";

export interface EnclaveChildJob {
  authorityUrl: string;
  caCertPem: string;
  connectionString: string;
  scratchDir: string;
  contract: Contract;
  approvals: Approvals;
  runId: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const job = JSON.parse(await readStdin()) as EnclaveChildJob;
// runEnclave reads only these members of the room: the servers themselves stay in the parent.
const room = {
  authority: { url: job.authorityUrl },
  ca: { certPem: job.caCertPem },
  azurite: { connectionString: job.connectionString },
  scratchDir: job.scratchDir,
} as unknown as LocalCleanRoom;
process.stdout.write("ready\n");
const started = performance.now();
try {
  const run = await runEnclave({ room, contract: job.contract, approvals: job.approvals, runId: job.runId });
  process.stdout.write(`${JSON.stringify({ ok: true, receiptBlobName: run.receiptBlobName, ms: performance.now() - started })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: (err as { code?: string }).code, message: (err as Error).message })}\n`);
  process.exitCode = 1;
}
