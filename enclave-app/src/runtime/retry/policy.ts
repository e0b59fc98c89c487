// A bounded retry for answers that time fixes: Azure role assignments take minutes to propagate, and
// until they have, Key Vault and Storage answer 403 to a caller that will be allowed soon. Exponential
// backoff with full jitter, bounded by the total time spent, not by a count: after `maxElapsedMs` the
// last error is rethrown (wrapped so the message says how long it was retried; the original is the cause
// and its statusCode/code are kept, so callers classify it as before).

export interface RetryPolicyOptions {
  /** Give up once this much time has passed since the first attempt; 0 disables retrying. */
  maxElapsedMs: number;
  /** Upper bound of the first delay (default 1000 ms); doubles per retry. */
  initialDelayMs?: number;
  /** Cap of one delay (default 30000 ms). */
  maxDelayMs?: number;
}

/** Azure: role assignments are documented to take up to several minutes to apply. */
export const AZURE_AUTHORIZATION_RETRY: RetryPolicyOptions = { maxElapsedMs: 5 * 60_000, initialDelayMs: 2_000, maxDelayMs: 30_000 };
/** Local clean room: grants apply at once; a short bound still exercises the path. */
export const LOCAL_AUTHORIZATION_RETRY: RetryPolicyOptions = { maxElapsedMs: 10_000, initialDelayMs: 200, maxDelayMs: 2_000 };
export const NO_RETRY: RetryPolicyOptions = { maxElapsedMs: 0 };

export interface RetryNotice {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  elapsedMs: number;
  /** Why the failed attempt is retried (e.g. "HTTP 403 AuthorizationPermissionMismatch"). */
  reason: string;
}

export interface RetryContext {
  /** Names what is retried in the final error, e.g. `party "bank": release of key "k"`. */
  what: string;
  /** Undefined: not retriable (rethrown at once); otherwise a short reason for logs. */
  classify: (err: unknown) => string | undefined;
  onRetry?: (notice: RetryNotice) => void;
}

/** Test seams. */
export interface RetryClock {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class RetryExhaustedError extends Error {
  readonly statusCode?: number;
  readonly code?: string;
  readonly attempts: number;
  readonly elapsedMs: number;
  constructor(what: string, reason: string, attempts: number, elapsedMs: number, cause: unknown) {
    const original = cause instanceof Error ? cause.message : String(cause);
    super(`${what}: still ${reason} after ${attempts} attempt(s) over ${(elapsedMs / 1000).toFixed(1)} s (role assignments can take minutes to propagate): ${original}`, { cause });
    this.name = "RetryExhaustedError";
    const c = cause as { statusCode?: unknown; code?: unknown } | null;
    if (typeof c?.statusCode === "number") this.statusCode = c.statusCode;
    if (typeof c?.code === "string") this.code = c.code;
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
  }
}

/** Full-jitter exponential delay for retry number `attempt` (1-based). */
export function retryDelay(attempt: number, opts: RetryPolicyOptions, random: () => number = Math.random): number {
  const base = opts.initialDelayMs ?? 1_000;
  const cap = opts.maxDelayMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
  // Never zero: at least a tenth of the ceiling, so a burst of callers still spreads out.
  return Math.max(1, Math.round(ceiling * (0.1 + 0.9 * random())));
}

export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicyOptions, ctx: RetryContext, clock: RetryClock = {}): Promise<T> {
  const now = clock.now ?? (() => performance.now());
  const sleep = clock.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const start = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const reason = ctx.classify(err);
      if (reason === undefined) throw err;
      const elapsed = now() - start;
      const delay = retryDelay(attempt, policy, clock.random);
      if (policy.maxElapsedMs <= 0) throw err;
      if (elapsed + delay > policy.maxElapsedMs) throw new RetryExhaustedError(ctx.what, reason, attempt, elapsed, err);
      ctx.onRetry?.({ attempt, delayMs: delay, elapsedMs: Math.round(elapsed), reason });
      await sleep(delay);
    }
  }
}
