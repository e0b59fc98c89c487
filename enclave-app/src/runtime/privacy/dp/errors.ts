// Errors of the differential-privacy modules. Both are PrivacyErrors, so once the pipeline runs a
// mechanism a refusal surfaces as PRIVACY_REFUSED in the privacy step, like the guard's refusals.
import { PrivacyError } from "../../errors.ts";

/** A mechanism or sampler parameter breaks its rule; `parameter` names it, the message states the rule. */
export class DpParameterError extends PrivacyError {
  readonly parameter: string;
  constructor(parameter: string, rule: string) {
    super("dp-parameter", `${parameter} ${rule}`);
    this.name = "DpParameterError";
    this.parameter = parameter;
  }
}

export type LedgerFailure =
  | "budget-exhausted"
  | "bad-entry"
  | "bad-hash"
  | "broken-link"
  | "bad-sequence"
  | "bad-signature"
  | "missing-chain"
  | "rollback"
  | "conflict"
  | "unreadable";

/** The privacy-budget ledger refused an append or did not verify; `reason` says which check failed. */
export class LedgerError extends PrivacyError {
  readonly reason: LedgerFailure;
  readonly seq?: number;
  constructor(reason: LedgerFailure, message: string, seq?: number) {
    super(`ledger-${reason}`, seq === undefined ? `privacy ledger: ${message}` : `privacy ledger entry ${seq}: ${message}`);
    this.name = "LedgerError";
    this.reason = reason;
    if (seq !== undefined) this.seq = seq;
  }
}
