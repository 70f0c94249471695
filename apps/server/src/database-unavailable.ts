// While the database cannot be reached, every surface answers 503 with Retry-After instead of 500.
import { isDatabaseUnavailable } from '@signoff/db';
import type { TRPCError } from '@trpc/server';
import type { ResponseMeta } from '@trpc/server/http';
import type { Context } from 'hono';
import { errorBody } from './ingest-schema';

/** What `Retry-After` says while the database is unavailable; a restart of the embedded one takes about this long. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * `503` with `Retry-After` and `{error: {code: 'DATABASE_UNAVAILABLE', message}}`.
 *
 * @example
 * app.onError((e, c) => (isDatabaseUnavailable(e) ? databaseUnavailable(c) : c.json(..., 500)));
 */
export function databaseUnavailable(c: Context): Response {
  c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  return c.json(
    errorBody('DATABASE_UNAVAILABLE', `The database is unavailable; try again in ${RETRY_AFTER_SECONDS} seconds`),
    503,
  );
}

/**
 * tRPC `responseMeta`: `Retry-After` on an answer that carries a lost database (the router's
 * errorFormatter already made its status 503) or any other SERVICE_UNAVAILABLE.
 */
export function retryAfterWhenUnavailable({ errors }: { errors: TRPCError[] }): ResponseMeta {
  const unavailable = errors.some((e) => e.code === 'SERVICE_UNAVAILABLE' || isDatabaseUnavailable(e.cause));
  return unavailable ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } : {};
}
