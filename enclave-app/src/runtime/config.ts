// The Job's environment as typed, validated configuration. Every problem names the variable.
import { isAbsolute } from "node:path";
import { ENCLAVE_ENV as E, parsePartySigners, PartySignersError, type PartySigners } from "../protocol/index.ts";
import { ConfigError } from "./errors.ts";

export type AttesterChoice = "cvm-skr" | "sidecar" | "local";

export interface RuntimeConfig {
  contractPath: string;
  approvalsPath: string;
  /** https://<account>.blob.core.windows.net (or an Azurite URL with the local attester). */
  storageUrl: string;
  outputContainer: string;
  attester: AttesterChoice;
  maaEndpoint: string;
  scratchDir: string;
  runId: string;
  memoryLimit: string;
  threads?: number;
  /** Kubelet identity client id AzureAttestSKR authenticates as through IMDS (cvm-skr). */
  imdsClientId?: string;
  sidecarUrl?: string;
  skrPath?: string;
  attestationClientPath?: string;
  /** Optional: the image the Job runs, checked against the contract's pin. */
  enclaveImage?: string;
  /** Local attester only: CA certificate (PEM file) of the local authority and Key Vault stand-in. */
  localCaFile?: string;
  /** Local attester only: Azurite connection string. */
  storageConnectionString?: string;
  /** Local attester only: principal name the Key Vault stand-in authorises. */
  localPrincipal?: string;
  /**
   * Local attester only: file holding the container security policy (base64, as `az confcom` writes
   * it into the ARM template's ccePolicy) this enclave was started with; its sha256 is the simulated
   * token's x-ms-sevsnpvm-hostdata. Without it the token reports all-zero hostdata.
   */
  localCcePolicyFile?: string;
  /** CLEANROOM_PARTY_SIGNERS: required with the sidecar attester (confidential-container mode), where the container policy fixes it. */
  partySigners?: PartySigners;
  /** Bound of the 403 (role propagation) retries in seconds; default 300 on Azure, 10 locally. */
  authorizationRetrySeconds?: number;
}

const CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MEMORY = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, "is required but not set");
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function url(env: Env, name: string, value: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use ${protocols.join(" or ")}, got ${parsed.protocol}`);
  return value.replace(/\/+$/, "");
}

function absolutePath(name: string, value: string): string {
  if (!isAbsolute(value)) throw new ConfigError(name, `must be an absolute path, got "${value}"`);
  return value;
}

export function readConfig(env: Env = process.env): RuntimeConfig {
  const attester = required(env, E.attester);
  if (attester !== "cvm-skr" && attester !== "sidecar" && attester !== "local") {
    throw new ConfigError(E.attester, `must be cvm-skr, sidecar or local, got "${attester}"`);
  }
  const local = attester === "local";
  const outputContainer = required(env, E.outputContainer);
  if (!CONTAINER.test(outputContainer)) throw new ConfigError(E.outputContainer, `"${outputContainer}" is not a valid container name (3-63 lowercase letters, digits, single hyphens)`);
  const runId = required(env, E.runId);
  if (!RUN_ID.test(runId)) throw new ConfigError(E.runId, `"${runId}" must match ${RUN_ID.source}`);
  const memoryLimit = required(env, E.memoryLimit);
  if (!MEMORY.test(memoryLimit)) throw new ConfigError(E.memoryLimit, `"${memoryLimit}" is not a DuckDB memory size such as 6GB`);
  const threadsRaw = optional(env, E.threads);
  let threads: number | undefined;
  if (threadsRaw !== undefined) {
    threads = Number(threadsRaw);
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new ConfigError(E.threads, `must be an integer 1..256, got "${threadsRaw}"`);
  }
  const retryRaw = optional(env, E.authorizationRetrySeconds);
  let authorizationRetrySeconds: number | undefined;
  if (retryRaw !== undefined) {
    authorizationRetrySeconds = Number(retryRaw);
    if (!/^\d+$/.test(retryRaw) || authorizationRetrySeconds > 3600) throw new ConfigError(E.authorizationRetrySeconds, `must be an integer 0..3600 (seconds), got "${retryRaw}"`);
  }
  const imdsClientId = optional(env, E.imdsClientId);
  if (attester === "cvm-skr" && imdsClientId === undefined) {
    throw new ConfigError(E.imdsClientId, "is required with CLEANROOM_ATTESTER=cvm-skr (AzureAttestSKR authenticates to Key Vault as the kubelet identity through IMDS)");
  }
  const signersRaw = optional(env, E.partySigners);
  if (attester === "sidecar" && signersRaw === undefined) {
    throw new ConfigError(
      E.partySigners,
      "is required with CLEANROOM_ATTESTER=sidecar: the container policy leaves the contract open and pins the parties' signing keys here instead",
    );
  }
  let partySigners: PartySigners | undefined;
  if (signersRaw !== undefined) {
    try {
      partySigners = parsePartySigners(signersRaw);
    } catch (err) {
      if (err instanceof PartySignersError) throw new ConfigError(E.partySigners, err.message);
      throw err;
    }
  }
  const config: RuntimeConfig = {
    contractPath: absolutePath(E.contract, required(env, E.contract)),
    approvalsPath: absolutePath(E.approvals, required(env, E.approvals)),
    storageUrl: url(env, E.storageUrl, required(env, E.storageUrl), local ? ["https:", "http:"] : ["https:"]),
    outputContainer,
    attester,
    maaEndpoint: url(env, E.maaEndpoint, required(env, E.maaEndpoint), ["https:"]),
    scratchDir: absolutePath(E.scratchDir, required(env, E.scratchDir)),
    runId,
    memoryLimit,
  };
  if (threads !== undefined) config.threads = threads;
  if (partySigners !== undefined) config.partySigners = partySigners;
  if (authorizationRetrySeconds !== undefined) config.authorizationRetrySeconds = authorizationRetrySeconds;
  if (imdsClientId !== undefined) config.imdsClientId = imdsClientId;
  const sidecarUrl = optional(env, E.sidecarUrl);
  if (sidecarUrl !== undefined) config.sidecarUrl = url(env, E.sidecarUrl, sidecarUrl, ["http:", "https:"]);
  const skrPath = optional(env, E.skrPath);
  if (skrPath !== undefined) config.skrPath = absolutePath(E.skrPath, skrPath);
  const clientPath = optional(env, E.attestationClientPath);
  if (clientPath !== undefined) config.attestationClientPath = absolutePath(E.attestationClientPath, clientPath);
  const image = optional(env, E.image);
  if (image !== undefined) config.enclaveImage = image;
  if (local) {
    config.localCaFile = absolutePath(E.localCaFile, required(env, E.localCaFile));
    config.storageConnectionString = required(env, E.storageConnectionString);
    config.localPrincipal = optional(env, E.localPrincipal) ?? "enclave";
    const policyFile = optional(env, E.localCcePolicyFile);
    if (policyFile !== undefined) config.localCcePolicyFile = absolutePath(E.localCcePolicyFile, policyFile);
  }
  return config;
}
