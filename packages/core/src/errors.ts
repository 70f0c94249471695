/**
 * The one error type the domain throws. `code` is stable and machine-readable; `message` is for
 * people. The API maps codes to tRPC/HTTP statuses in one place (`@signoff/api`'s error mapping).
 *
 * @example
 * throw new AppError('NOT_FOUND', `No review task ${id}`);
 */
export type AppErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INVALID_WORKFLOW'
  | 'AI_UNAVAILABLE'
  | 'AI_INVALID_OUTPUT'
  | 'TIMEOUT'
  /** Too many attempts (e.g. failed sign-ins): wait `retryAfterSeconds`, then try again. */
  | 'RATE_LIMITED'
  /** The database cannot be reached right now (see `isDatabaseUnavailable`): try again later. */
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL';

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `input.customer.tier`. */
  path: string;
  message: string;
}

/**
 * What an AI failure was, for the review reason and the decision record: which endpoint and model,
 * what it answered (HTTP status, the provider's own message, the parameter it refused) and, for a
 * refusal by an open circuit breaker, when the next probe goes through and what opened it.
 */
export interface AiFailure {
  kind:
    | 'unreachable'
    | 'timeout'
    | 'http_error'
    | 'refused_parameter'
    | 'invalid_output'
    | 'circuit_open'
    | 'aborted'
    | 'not_configured';
  provider: string;
  /** The base URL without credentials or query. */
  endpoint?: string;
  model?: string;
  status?: number;
  /** The endpoint's own error message, as it sent it (trimmed). */
  providerMessage?: string;
  /** The request parameter the endpoint named in its refusal (`logprobs`, `n`, `response_format`). */
  parameter?: string;
  /** `circuit_open`: epoch milliseconds at which the breaker lets the next probe through. */
  retryAt?: number;
  /** `circuit_open`: the failure that opened the circuit. */
  lastFailure?: Omit<AiFailure, 'lastFailure'>;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  readonly issues: FieldIssue[] | undefined;
  /** For `RATE_LIMITED`: whole seconds until a new attempt can succeed (sent as `Retry-After`). */
  readonly retryAfterSeconds: number | undefined;
  /** For `AI_UNAVAILABLE` and `AI_INVALID_OUTPUT`: what the endpoint did (see `AiFailure`). */
  readonly ai: AiFailure | undefined;

  constructor(
    code: AppErrorCode,
    message: string,
    options?: { cause?: unknown; issues?: FieldIssue[]; retryAfterSeconds?: number; ai?: AiFailure },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options?.issues;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.ai = options?.ai;
  }
}

export function isAppError(e: unknown, code?: AppErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}

/** Turns zod-style issues into field paths a client can show next to the field. */
export function toFieldIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  prefix?: string,
): FieldIssue[] {
  return issues.map((i) => {
    const parts = i.path.map((p) => String(p));
    const path = [prefix, ...parts].filter((p) => p !== undefined && p !== '').join('.');
    return { path: path || '(root)', message: i.message };
  });
}
