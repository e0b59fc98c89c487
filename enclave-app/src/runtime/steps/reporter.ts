// How a step reports: structured events (RunEvent) and per-step timings. Every step gets the same
// reporter, so the events of a run keep one shape and one order whichever step emits them.
import { RuntimeError, errorMessage, type RuntimeErrorCode, type RuntimeStep } from "../errors.ts";
import type { RunEvent, RunEventSink } from "../events.ts";

/** An event as a step emits it; the reporter adds the time and the run id. */
export type StepEvent = Omit<RunEvent, "time" | "runId">;
/** What a timed step names besides itself (party, dataset, recipient, sizes). */
export type StepScope = Omit<RunEvent, "time" | "runId" | "step" | "event" | "level">;

export interface RunReporter {
  readonly runId: string;
  readonly clock: () => Date;
  emit(event: StepEvent): void;
  /** Runs fn between `start` and `done` events of `step`; a failure leaves as a RuntimeError of that step. */
  timed<T>(step: RuntimeStep, fn: () => Promise<T>, scope?: StepScope): Promise<T>;
  /** Milliseconds spent per step so far (summed over parties, datasets, recipients). */
  readonly durations: Partial<Record<RuntimeStep, number>>;
}

export function createRunReporter(runId: string, clock: () => Date = () => new Date(), sink?: RunEventSink): RunReporter {
  const durations: Partial<Record<RuntimeStep, number>> = {};
  const emit = (e: StepEvent): void => {
    try {
      sink?.({ time: clock().toISOString(), runId, ...e });
    } catch {
      // A failing log sink must not change the outcome of a run.
    }
  };
  return {
    runId,
    clock,
    durations,
    emit,
    async timed<T>(step: RuntimeStep, fn: () => Promise<T>, scope: StepScope = {}): Promise<T> {
      const t0 = performance.now();
      emit({ level: "info", step, event: "start", ...scope });
      try {
        const value = await fn();
        const ms = Math.round(performance.now() - t0);
        durations[step] = (durations[step] ?? 0) + ms;
        emit({ level: "info", step, event: "done", durationMs: ms, ...scope });
        return value;
      } catch (err) {
        throw asRuntimeError(err, step, scope);
      }
    },
  };
}

/** Typed errors pass unchanged; anything else becomes INTERNAL (OUTPUT_FAILED while writing outputs) of the step. */
export function asRuntimeError(err: unknown, step: RuntimeStep, scope: { party?: string; dataset?: string } = {}): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const code: RuntimeErrorCode = step === "upload" || step === "receipt" ? "OUTPUT_FAILED" : "INTERNAL";
  return new RuntimeError(code, `${step} failed: ${errorMessage(err)}`, {
    step,
    ...(scope.party !== undefined ? { party: scope.party } : {}),
    ...(scope.dataset !== undefined ? { dataset: scope.dataset } : {}),
    cause: err,
  });
}
