// Waiting for the enclave's container to end. An ARM create of a container group returns once the
// group is provisioned, not when its container exits, so `pulumi up` would report success while the
// computation is still running (or after it failed). This module polls the group's instance view
// through ARM until the enclave container is Terminated and turns a non-zero exit code into an error.
// It is pure apart from the ArmContainerGroupReader, which is behind an interface so tests (and the
// offline program runner's mocks) can play ARM.
//
// Response shape (learn.microsoft.com/rest/api/container-instances/container-groups/get):
//   { properties: { provisioningState, instanceView: { state },
//                   containers: [{ name, properties: { instanceView: { restartCount,
//                     currentState: { state, exitCode, startTime, finishTime, detailStatus } } } }] } }
// currentState.state is e.g. "Waiting", "Running" or "Terminated"; exitCode is set once Terminated.

/** The subset of an ARM GET of a container group this module reads. */
export interface ContainerGroupView {
  properties?: {
    provisioningState?: string;
    instanceView?: { state?: string };
    containers?: {
      name: string;
      properties?: {
        instanceView?: {
          restartCount?: number;
          currentState?: { state?: string; exitCode?: number; detailStatus?: string; finishTime?: string };
        };
      };
    }[];
  };
}

/** Reads a container group by its ARM resource id. */
export interface ContainerGroupReader {
  get(containerGroupId: string): Promise<ContainerGroupView>;
}

export interface EnclaveRunResult {
  exitCode: number;
  finishTime?: string;
  detailStatus?: string;
}

export class EnclaveRunFailedError extends Error {
  readonly code = "ENCLAVE_RUN_FAILED" as const;
  readonly exitCode: number | undefined;
  constructor(message: string, exitCode?: number) {
    super(message);
    this.name = "EnclaveRunFailedError";
    this.exitCode = exitCode;
  }
}

export interface WaitOptions {
  /** Default 15 s. */
  intervalMs?: number;
  /** Default 2 h. */
  timeoutMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Polls until `containerName` in the group is Terminated; resolves with exit code 0, rejects with
 * EnclaveRunFailedError on a non-zero exit, a failed provisioning, or the timeout.
 */
export async function waitForEnclaveExit(
  reader: ContainerGroupReader,
  containerGroupId: string,
  containerName: string,
  opts: WaitOptions = {},
): Promise<EnclaveRunResult> {
  const interval = opts.intervalMs ?? 15_000;
  const timeout = opts.timeoutMs ?? 2 * 3600_000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + timeout;
  for (;;) {
    const view = await reader.get(containerGroupId);
    const provisioning = view.properties?.provisioningState;
    if (provisioning === "Failed" || provisioning === "Canceled") {
      throw new EnclaveRunFailedError(`container group ${containerGroupId}: provisioningState is ${provisioning}; the enclave never ran`);
    }
    const container = view.properties?.containers?.find((c) => c.name === containerName);
    const state = container?.properties?.instanceView?.currentState;
    if (state?.state === "Terminated") {
      const exitCode = state.exitCode;
      const detail = state.detailStatus ? ` (${state.detailStatus})` : "";
      if (exitCode === 0) {
        return { exitCode, ...(state.finishTime ? { finishTime: state.finishTime } : {}), ...(state.detailStatus ? { detailStatus: state.detailStatus } : {}) };
      }
      throw new EnclaveRunFailedError(
        `the enclave container "${containerName}" of ${containerGroupId} terminated with exit code ${String(exitCode)}${detail}; ` +
          "nothing was released (see its logs: az container logs --container-name enclave); re-run with a new enclave.runAttempt",
        exitCode,
      );
    }
    if (now() >= deadline) {
      throw new EnclaveRunFailedError(
        `the enclave container "${containerName}" of ${containerGroupId} has not terminated after ${Math.round(timeout / 1000)} s (state: ${state?.state ?? "unknown"})`,
      );
    }
    await sleep(interval);
  }
}

export const ARM_ENDPOINT = "https://management.azure.com";
/** The API version that made Confidential SKU and ccePolicy stable (reference/azure-deploy.md). */
export const CONTAINER_INSTANCE_API_VERSION = "2023-05-01";

/**
 * ARM through @azure/identity and fetch: the deployer's credential (the same chain the azure-native
 * provider accepts: CLI login, environment, managed identity).
 */
export function armContainerGroupReader(
  opts: { getToken?: () => Promise<string>; fetch?: typeof fetch; endpoint?: string } = {},
): ContainerGroupReader {
  const doFetch = opts.fetch ?? fetch;
  const endpoint = opts.endpoint ?? ARM_ENDPOINT;
  const getToken =
    opts.getToken ??
    (async () => {
      // Loaded lazily: only a real deployment needs it.
      const { DefaultAzureCredential } = await import("@azure/identity");
      const token = await new DefaultAzureCredential().getToken(`${ARM_ENDPOINT}/.default`);
      if (!token) throw new EnclaveRunFailedError("no ARM token from DefaultAzureCredential; cannot watch the enclave container");
      return token.token;
    });
  return {
    async get(containerGroupId) {
      const url = `${endpoint}${containerGroupId}?api-version=${CONTAINER_INSTANCE_API_VERSION}`;
      const res = await doFetch(url, { headers: { authorization: `Bearer ${await getToken()}` } });
      if (!res.ok) {
        throw new EnclaveRunFailedError(`GET ${containerGroupId} returned HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
      }
      return (await res.json()) as ContainerGroupView;
    },
  };
}

/**
 * The reader CleanRoom uses when none is passed. An environment that plays ARM (the offline program
 * runner's mocks, tools/pulumi-mocks/preload.cjs) installs its fake under this global symbol; a real
 * deployment never sets it.
 */
export const CONTAINER_GROUP_READER_SYMBOL = Symbol.for("cleanroom.containerGroupReader");

export function defaultContainerGroupReader(): ContainerGroupReader {
  const injected = (globalThis as Record<symbol, unknown>)[CONTAINER_GROUP_READER_SYMBOL] as ContainerGroupReader | undefined;
  return injected ?? armContainerGroupReader();
}
