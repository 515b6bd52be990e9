/** A stable error: callers match on `code`, never on the message. */
export interface ErrorSpec {
  readonly code: string;
  readonly statusCode: number;
  readonly message: string;
  /** True when the same request may succeed if sent again (possibly elsewhere). */
  readonly retriable?: boolean;
}

export interface AppErrorOptions {
  readonly message?: string;
  readonly details?: unknown;
  readonly cause?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error with a stable code, an HTTP status and a retriable flag. */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retriable: boolean;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(spec: ErrorSpec, options: AppErrorOptions = {}) {
    super(options.message ?? spec.message, { cause: options.cause });
    this.name = 'AppError';
    this.code = spec.code;
    this.statusCode = spec.statusCode;
    this.retriable = spec.retriable ?? false;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}
