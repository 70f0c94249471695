// Back-off for failed sign-ins, per account and per client address, kept in PostgreSQL so that
// every API process counts the same failures.
import type { DB } from '@signoff/db';
import { sql, type Transaction } from 'kysely';

export interface LoginThrottlePolicy {
  /** Failures are forgotten once this long has passed since the last one. */
  windowSeconds: number;
  /** Failures in a window after which an account must wait. */
  accountThreshold: number;
  /** The same for a client address; higher, because an office or a NAT shares one address. */
  addressThreshold: number;
  /** The wait after the threshold-th failure; it doubles with each further failure... */
  baseDelaySeconds: number;
  /** ...up to this. */
  maxDelaySeconds: number;
}

/** After 5 failures an account waits 30 s, then 1, 2, 4, 8 and at most 15 minutes; an address after 20. */
export const LOGIN_THROTTLE: LoginThrottlePolicy = {
  windowSeconds: 3600,
  accountThreshold: 5,
  addressThreshold: 20,
  baseDelaySeconds: 30,
  maxDelaySeconds: 900,
};

export type ThrottleScope = 'account' | 'address';

export interface ThrottleKey {
  scope: ThrottleScope;
  /** The normalised email for `account` (whether or not the user exists), the address for `address`. */
  key: string;
}

/** A key's count once this attempt is counted as a failure, and the wait that count imposes. */
export interface CountedFailure extends ThrottleKey {
  failures: number;
  lockedUntil: Date | null;
}

export type AttemptReservation =
  | { ok: true; counted: CountedFailure[] }
  | { ok: false; scope: ThrottleScope; retryAfterSeconds: number };

/**
 * How long a key must wait after its `failures`-th failure in a window: nothing below the
 * threshold, then `baseDelaySeconds` doubling per failure, capped.
 *
 * @example
 * lockoutSeconds(5, 5, LOGIN_THROTTLE); // 30
 * lockoutSeconds(7, 5, LOGIN_THROTTLE); // 120
 */
export function lockoutSeconds(failures: number, threshold: number, policy: LoginThrottlePolicy): number {
  if (failures < threshold) return 0;
  return Math.min(policy.baseDelaySeconds * 2 ** (failures - threshold), policy.maxDelaySeconds);
}

function thresholdOf(scope: ThrottleScope, policy: LoginThrottlePolicy): number {
  return scope === 'account' ? policy.accountThreshold : policy.addressThreshold;
}

function sortedKeys(keys: readonly ThrottleKey[]): ThrottleKey[] {
  // One lock order for every transaction, so concurrent attempts never deadlock.
  return [...keys].sort((a, b) => (a.scope === b.scope ? (a.key < b.key ? -1 : 1) : a.scope < b.scope ? -1 : 1));
}

/**
 * Decides, before any password is checked, whether an attempt may go ahead. A key that is waiting
 * refuses it (`ok: false`, and how long until it may try again). Otherwise the attempt is counted
 * as a failure at once, under the keys' row locks: concurrent attempts each see the ones before
 * them, so a burst cannot slip many guesses past the threshold. A success takes it back
 * (`forgiveLoginAttempt`). Times come from the database's clock, which all API processes share.
 *
 * @example
 * const r = await db.transaction().execute((trx) =>
 *   reserveLoginAttempt(trx, [{ scope: 'account', key: email }], LOGIN_THROTTLE));
 */
export async function reserveLoginAttempt(
  trx: Transaction<DB>,
  keys: readonly ThrottleKey[],
  policy: LoginThrottlePolicy,
): Promise<AttemptReservation> {
  const ordered = sortedKeys(keys);
  await trx
    .insertInto('login_throttles')
    .values(ordered.map((k) => ({ scope: k.scope, key: k.key })))
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .execute();
  const rows = await trx
    .selectFrom('login_throttles')
    .select(['scope', 'key', 'failures', 'last_failure_at', 'locked_until', sql<Date>`now()`.as('now')])
    .where((eb) => eb.or(ordered.map((k) => eb.and([eb('scope', '=', k.scope), eb('key', '=', k.key)]))))
    .orderBy('scope')
    .orderBy('key')
    .forUpdate()
    .execute();

  let refusal: { scope: ThrottleScope; until: Date; now: Date } | undefined;
  for (const r of rows)
    if (r.locked_until && r.locked_until > r.now && (!refusal || r.locked_until > refusal.until))
      refusal = { scope: r.scope, until: r.locked_until, now: r.now };
  if (refusal)
    return {
      ok: false,
      scope: refusal.scope,
      retryAfterSeconds: Math.max(1, Math.ceil((refusal.until.getTime() - refusal.now.getTime()) / 1000)),
    };

  const counted: CountedFailure[] = [];
  for (const r of rows) {
    const stale = !r.last_failure_at || r.now.getTime() - r.last_failure_at.getTime() > policy.windowSeconds * 1000;
    const failures = (stale ? 0 : r.failures) + 1;
    const wait = lockoutSeconds(failures, thresholdOf(r.scope, policy), policy);
    const lockedUntil = wait > 0 ? new Date(r.now.getTime() + wait * 1000) : null;
    await trx
      .updateTable('login_throttles')
      .set({ failures, last_failure_at: r.now, locked_until: lockedUntil })
      .where('scope', '=', r.scope)
      .where('key', '=', r.key)
      .execute();
    counted.push({ scope: r.scope, key: r.key, failures, lockedUntil });
  }
  return { ok: true, counted };
}

/**
 * Takes back the failure `reserveLoginAttempt` counted, for an attempt that succeeded: the
 * account starts afresh; the address only loses this one failure (a valid account of one's own
 * must not reset the count of guesses at others' from the same address).
 */
export async function forgiveLoginAttempt(
  trx: Transaction<DB>,
  keys: readonly ThrottleKey[],
  policy: LoginThrottlePolicy,
): Promise<void> {
  for (const k of sortedKeys(keys)) {
    if (k.scope === 'account') {
      await trx.deleteFrom('login_throttles').where('scope', '=', 'account').where('key', '=', k.key).execute();
      continue;
    }
    await trx
      .updateTable('login_throttles')
      .set({
        failures: sql`greatest(failures - 1, 0)`,
        locked_until: sql`CASE WHEN failures - 1 >= ${policy.addressThreshold} THEN locked_until END`,
      })
      .where('scope', '=', 'address')
      .where('key', '=', k.key)
      .execute();
  }
}

/** Deletes up to `limit` rows whose window has passed and that hold no wait (run now and then). */
export async function pruneLoginThrottles(
  trx: Transaction<DB>,
  policy: LoginThrottlePolicy,
  limit = 100,
): Promise<number> {
  const r = await sql`
    DELETE FROM login_throttles t USING (
      SELECT scope, key FROM login_throttles
      WHERE last_failure_at < now() - make_interval(secs => ${policy.windowSeconds}::double precision)
        AND (locked_until IS NULL OR locked_until <= now())
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    ) stale
    WHERE t.scope = stale.scope AND t.key = stale.key`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}
