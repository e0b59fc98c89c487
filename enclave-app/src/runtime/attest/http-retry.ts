// Bounded exponential-backoff retry for the loopback/HTTPS JSON calls attesters make, in the style of
// the Azure SDK's exponentialRetryPolicy: retry transient failures (connection errors, 408, 429, 5xx),
// never client errors, and give up after `maxRetries` with the last failure.
import { parseResponseBody, type HttpJsonResponse, type JsonRequester } from "../../receipt/https-json.ts";

export type { HttpJsonResponse, JsonRequester };

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff delay in ms (default 250); doubles each retry, with jitter. */
  retryDelayMs?: number;
  /** Cap for one backoff delay in ms (default 4000). */
  maxRetryDelayMs?: number;
  /** Per-attempt timeout in ms (default 30000). */
  timeoutMs?: number;
}


export class HttpRequestError extends Error {
  readonly status?: number;
  readonly attempts: number;
  readonly transient: boolean;
  constructor(message: string, opts: { status?: number; attempts: number; transient: boolean; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "HttpRequestError";
    if (opts.status !== undefined) this.status = opts.status;
    this.attempts = opts.attempts;
    this.transient = opts.transient;
  }
}

export type Sleep = (ms: number) => Promise<void>;
const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function backoffDelay(attempt: number, opts: RetryOptions, random: () => number = Math.random): number {
  const base = opts.retryDelayMs ?? 250;
  const cap = opts.maxRetryDelayMs ?? 4000;
  const exp = Math.min(cap, base * 2 ** attempt);
  // Jitter in [0.8, 1.2) spreads retries of parallel callers.
  return Math.min(cap, Math.round(exp * (0.8 + 0.4 * random())));
}


/** POST a JSON body with global fetch; the default requester for plain-HTTP loopback services. */
export const fetchJsonRequester: JsonRequester = async (url, body, timeoutMs) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  const target = new URL(url);
  return { status: res.status, ...parseResponseBody(text, `response of POST ${target.origin}${target.pathname}`), text };
};

/**
 * POST with retries. Resolves with the first non-transient response (2xx or 4xx: the caller decides),
 * rejects with HttpRequestError after the retries are spent.
 */
export async function postJsonWithRetry(
  url: string,
  body: unknown,
  opts: RetryOptions & { requester?: JsonRequester; sleep?: Sleep } = {},
): Promise<HttpJsonResponse> {
  const maxRetries = opts.maxRetries ?? 3;
  const requester = opts.requester ?? fetchJsonRequester;
  const sleep = opts.sleep ?? defaultSleep;
  let lastError: HttpRequestError | undefined;
  for (let attempt = 0; attempt <= maxRetries; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1, opts));
    try {
      const res = await requester(url, body, opts.timeoutMs ?? 30_000);
      if (!isTransientStatus(res.status)) return res;
      lastError = new HttpRequestError(`HTTP ${res.status} from ${url}`, { status: res.status, attempts: attempt + 1, transient: true });
    } catch (err) {
      lastError = new HttpRequestError(`request to ${url} failed: ${describeNetworkError(err)}`, { attempts: attempt + 1, transient: true, cause: err });
    }
  }
  throw new HttpRequestError(`${lastError?.message ?? "request failed"} (gave up after ${maxRetries + 1} attempts)`, {
    ...(lastError?.status !== undefined ? { status: lastError.status } : {}),
    attempts: maxRetries + 1,
    transient: true,
    cause: lastError,
  });
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: { code?: string } }).cause;
    if (cause && typeof cause === "object" && typeof cause.code === "string") return cause.code;
    if (err.name === "TimeoutError" || err.name === "AbortError") return "timeout";
    return err.message;
  }
  return String(err);
}
