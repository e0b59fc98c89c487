// Typed errors of the local clean room servers. Callers branch on `code`; messages name the
// thing and the rule that was broken and never carry key material or whole tokens.

export type LocalCleanRoomErrorCode =
  | "CA_INVALID_REQUEST"
  | "TOKEN_REQUEST_INVALID"
  | "SERVER_START_FAILED"
  | "CREDENTIAL_INVALID"
  | "AUTHORITY_FETCH_FAILED";

export class LocalCleanRoomError extends Error {
  readonly code: LocalCleanRoomErrorCode;

  constructor(code: LocalCleanRoomErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LocalCleanRoomError";
    this.code = code;
  }
}

/**
 * An error that a loopback server turns into an HTTP response. `code` is the service's own error
 * code (Key Vault style: "BadParameter", "KeyNotFound", "Forbidden", ...), sent as
 * `{"error":{"code","message"}}`.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly innerCode: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { innerCode?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.innerCode = extra.innerCode;
    this.headers = extra.headers ?? {};
  }

  toBody(): { error: { code: string; message: string; innererror?: { code: string } } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.innerCode ? { innererror: { code: this.innerCode } } : {}),
      },
    };
  }
}
