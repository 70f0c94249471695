import { type AiFailure, AppError } from '@signoff/core';

/**
 * Runs `fn` with an AbortSignal that fires after `ms` (no limit when undefined); the returned
 * promise rejects with a `TIMEOUT` AppError at that moment even if `fn` ignores its signal.
 */
export async function withTimeLimit<T>(
  ms: number | undefined,
  what: string,
  fn: (signal: AbortSignal) => T | Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  if (ms === undefined) return fn(controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new AppError('TIMEOUT', `${what} timed out after ${ms} ms`);
      controller.abort(e);
      reject(e);
    }, ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => fn(controller.signal)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** An error as kept in the audit trail and on a failed item: message, code, and AI failure details. */
export function errorInfo(e: unknown): { message: string; code?: string; ai?: AiFailure } {
  if (e instanceof AppError) return { message: e.message, code: e.code, ...(e.ai ? { ai: e.ai } : {}) };
  if (e instanceof Error) return { message: e.message, ...(e.name && e.name !== 'Error' ? { code: e.name } : {}) };
  return { message: String(e) };
}
