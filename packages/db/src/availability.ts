// Telling "the database is not there right now" apart from every other failure, so that callers
// can answer 503 (try again later) instead of 500, and retry instead of giving up.

/** Node's socket errors that mean the server cannot be reached or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is shutting down or starting up: admin_shutdown (57P01, e.g.
 * `pg_terminate_backend`), crash_shutdown (57P02, another backend crashed), cannot_connect_now
 * (57P03, starting up or in recovery). Class 08 (connection exception) is matched as a class.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);

/** node-postgres and pg-pool say these in words, without a code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // the socket closed mid-connect or mid-query
  /^timeout exceeded when trying to connect/, // pg-pool's connectionTimeoutMillis
  /^Cannot use a pool after calling end on the pool/,
  /^Client has encountered a connection error and is not queryable/,
];

function isUnavailableError(e: object): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  const message = (e as { message?: unknown }).message;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(message));
}

/**
 * True when `error` (or anything in its `cause` chain, or in an `AggregateError`'s `errors`) says
 * the database cannot be reached right now: refused or reset connections, a server shutting down
 * or starting up (57P01/57P02/57P03), SQLSTATE class 08, a connection that ended, a pool that timed
 * out connecting. False for everything else, query errors included: a constraint violation or a
 * syntax error is not fixed by trying again.
 *
 * @example
 * try {
 *   await db.selectFrom('items').select('id').execute();
 * } catch (e) {
 *   if (isDatabaseUnavailable(e)) return c.json({ error: 'try again' }, 503);
 *   throw e;
 * }
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const pending: unknown[] = [error];
  const seen = new Set<unknown>();
  // Bounded: a cause chain is short, and a cycle must not loop forever.
  for (let i = 0; i < 32 && pending.length > 0; i++) {
    const e = pending.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    if (isUnavailableError(e)) return true;
    if (e instanceof AggregateError) pending.push(...e.errors);
    if ('cause' in e) pending.push(e.cause);
  }
  return false;
}
