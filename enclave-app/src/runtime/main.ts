// Entry point of the enclave Job (the image's CMD): environment -> adapters -> runCollaboration.
// Progress goes to stdout as JSON lines; a failure ends with one JSON error line on stderr and a
// non-zero exit status (2: configuration, 1: the run failed).
import { readFile } from "node:fs/promises";
import { ENCLAVE_ENV, JSON_MAX_BYTES, parseJsonStrict } from "../protocol/index.ts";
import { buildAdapters, type AdapterFactories } from "./adapters.ts";
import { readConfig, type RuntimeConfig } from "./config.ts";
import { ConfigError, RuntimeError, errorMessage } from "./errors.ts";
import { jsonLineSink } from "./events.ts";
import { runCollaboration } from "./pipeline.ts";
import { AZURE_AUTHORIZATION_RETRY, LOCAL_AUTHORIZATION_RETRY, type RetryPolicyOptions } from "./retry/policy.ts";

async function readJsonFile(path: string, variable: string, what: string, maxBytes: number): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
  try {
    return parseJsonStrict(text, { what: `${what} ${path}`, maxBytes });
  } catch (err) {
    throw new ConfigError(variable, errorMessage(err));
  }
}

function attestationTargetOf(contract: unknown): { mode: "confidential-node" | "confidential-container"; hostdata?: string } {
  const att = (contract as { attestation?: { mode?: unknown; hostdata?: unknown } } | null)?.attestation;
  const mode = att?.mode === "confidential-container" ? "confidential-container" : "confidential-node";
  return typeof att?.hostdata === "string" ? { mode, hostdata: att.hostdata } : { mode };
}

/** Azure role assignments take minutes to apply; the local clean room's apply at once. */
function authorizationRetryOf(config: RuntimeConfig): RetryPolicyOptions {
  const base = config.attester === "local" ? LOCAL_AUTHORIZATION_RETRY : AZURE_AUTHORIZATION_RETRY;
  return config.authorizationRetrySeconds !== undefined ? { ...base, maxElapsedMs: config.authorizationRetrySeconds * 1000 } : base;
}

/**
 * Runs one collaboration from the Job environment. `factories` carries what the runtime does not
 * build itself (the local clean room's clients, passed in by local/enclave-main.ts).
 */
export async function main(env: NodeJS.ProcessEnv = process.env, factories: AdapterFactories = {}): Promise<number> {
  const log = jsonLineSink((line) => process.stdout.write(line));
  let config: RuntimeConfig | undefined;
  try {
    config = readConfig(env);
    const contract = await readJsonFile(config.contractPath, ENCLAVE_ENV.contract, "contract", JSON_MAX_BYTES.contract);
    const approvals = await readJsonFile(config.approvalsPath, ENCLAVE_ENV.approvals, "approvals", JSON_MAX_BYTES.approvals);
    const adapters = await buildAdapters(config, attestationTargetOf(contract), factories);
    const result = await runCollaboration({
      contract,
      approvals,
      runId: config.runId,
      ...adapters,
      outputContainer: config.outputContainer,
      scratchDir: config.scratchDir,
      duckdb: { memoryLimit: config.memoryLimit, ...(config.threads !== undefined ? { threads: config.threads } : {}) },
      ...(config.enclaveImage !== undefined ? { enclaveImage: config.enclaveImage } : {}),
      ...(config.partySigners !== undefined ? { partySigners: config.partySigners } : {}),
      authorizationRetry: authorizationRetryOf(config),
      onEvent: log,
    });
    process.stdout.write(
      `${JSON.stringify({ level: "info", event: "run-complete", runId: result.runId, contractHash: result.contractHash, receipt: `${config.outputContainer}/${result.receiptBlobName}`, outputs: result.outputs.map((o) => `${o.container}/${o.blobName}`), rowsReleased: result.rowsReleased, rowsSuppressed: result.rowsSuppressed })}\n`,
    );
    return 0;
  } catch (err) {
    const line =
      err instanceof RuntimeError
        ? { level: "error", ...err.toJSON(), ...(config ? { runId: config.runId } : {}) }
        : { level: "error", code: "INTERNAL", message: errorMessage(err), ...(config ? { runId: config.runId } : {}) };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    return err instanceof ConfigError ? 2 : 1;
  }
}

// Run when executed directly (not when imported by tests).
if (import.meta.main) {
  const code = await main();
  process.exitCode = code;
}
