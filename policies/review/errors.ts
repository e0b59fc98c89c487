// Typed errors of the offline review. Usage errors (bad flags, a missing stack file, invalid policy
// config) exit 2; a program that fails or a policy that crashes exits 1: the stack was not shown to
// be acceptable.
export type ReviewErrorCode =
  | "REVIEW_USAGE"
  | "REVIEW_STACK_FILE_MISSING"
  | "REVIEW_POLICY_CONFIG_INVALID"
  | "REVIEW_PROGRAM_FAILED"
  | "REVIEW_POLICY_FAILED";

const USAGE_CODES: readonly ReviewErrorCode[] = ["REVIEW_USAGE", "REVIEW_STACK_FILE_MISSING", "REVIEW_POLICY_CONFIG_INVALID"];

export class ReviewError extends Error {
  readonly code: ReviewErrorCode;

  constructor(code: ReviewErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ReviewError";
    this.code = code;
  }

  get isUsageError(): boolean {
    return USAGE_CODES.includes(this.code);
  }
}
