// How long the approved SQL may run and how large its result may be. The parties may set each in
// the contract (`limits`); what they leave out takes the default. The bounds keep a contract from
// disabling a limit by setting it absurdly high: the result is held in enclave memory and sealed.
import type { RunLimits } from "./types.ts";

export const DEFAULT_RUN_LIMITS: Required<RunLimits> = { timeoutSeconds: 15 * 60, maxRows: 10_000_000, maxBytes: 1024 ** 3 };

export const RUN_LIMIT_BOUNDS: Record<keyof RunLimits, { max: number; unit: string }> = {
  timeoutSeconds: { max: 24 * 60 * 60, unit: "seconds" },
  maxRows: { max: 100_000_000, unit: "rows" },
  maxBytes: { max: 8 * 1024 ** 3, unit: "bytes" },
};

/** The rule for one limit, shared by the contract schema and anyone checking a value early. */
export function runLimitProblem(field: keyof RunLimits, value: unknown): string | undefined {
  const { max, unit } = RUN_LIMIT_BOUNDS[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
    return `limits.${field} must be an integer from 1 to ${max} (${unit}); got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** The contract's limits with every unset one at its default. */
export function effectiveRunLimits(limits: RunLimits | undefined): Required<RunLimits> {
  return { ...DEFAULT_RUN_LIMITS, ...limits };
}
