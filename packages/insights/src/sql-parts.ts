// Small pure builders of SQL fragments shared by the dashboard queries, and the parse step every
// query starts with.
import { AppError, toFieldIssues } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import { MAX_WINDOW_DAYS, type Window, windowOf } from './inputs';

/**
 * Parses a dashboard's input, or throws `BAD_INPUT` naming each field; also refuses a window
 * longer than `MAX_WINDOW_DAYS` once its defaults are applied.
 */
export function parseDashboardInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error.issues);
    throw new AppError('BAD_INPUT', `Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
      issues,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The window of a parsed filter, checked against the longest allowed. */
export function resolveWindow(f: { from?: Date | undefined; to?: Date | undefined }, now = new Date()): Window {
  const w = windowOf(f, now);
  if (w.to.getTime() - w.from.getTime() > MAX_WINDOW_DAYS * 86_400_000)
    throw new AppError('BAD_INPUT', `A window spans at most ${MAX_WINDOW_DAYS} days`, {
      issues: [{ path: 'from', message: `A window spans at most ${MAX_WINDOW_DAYS} days` }],
    });
  return w;
}

/** `a AND b AND ...` of the conditions given (undefined ones left out); `true` when none are. */
export function allOf(conditions: ReadonlyArray<RawBuilder<unknown> | undefined>): RawBuilder<unknown> {
  const given = conditions.filter((c): c is RawBuilder<unknown> => c !== undefined);
  return given.length === 0 ? sql`true` : sql.join(given, sql` AND `);
}

/** `column = value` when a value is given. */
export function equalsIfGiven(column: string, value: string | undefined): RawBuilder<unknown> | undefined {
  return value === undefined ? undefined : sql`${sql.ref(column)} = ${value}`;
}

/** `column` in `[from, to)`. */
export function within(column: string, w: Window): RawBuilder<unknown> {
  return sql`${sql.ref(column)} >= ${w.from} AND ${sql.ref(column)} < ${w.to}`;
}

export type Bucket = 'hour' | 'day' | 'week';

/**
 * The start of `column`'s UTC bucket as text: `YYYY-MM-DD` for days and weeks (a week starts on
 * Monday, ISO 8601), `YYYY-MM-DDTHH:00Z` for hours. `bucket` is one of three literals, never input text.
 */
export function bucketOf(column: string, bucket: Bucket): RawBuilder<string> {
  const format = bucket === 'hour' ? `'YYYY-MM-DD"T"HH24":00Z"'` : `'YYYY-MM-DD'`;
  return sql<string>`to_char(date_trunc(${sql.lit(bucket)}, ${sql.ref(column)} AT TIME ZONE 'UTC'), ${sql.raw(format)})`;
}

/** Every bucket start in `[from, to)` in the format of `bucketOf`, so charts show empty buckets as 0. */
export function bucketsBetween(w: Window, bucket: Bucket): string[] {
  const start = new Date(w.from);
  if (bucket === 'hour') start.setUTCMinutes(0, 0, 0);
  else start.setUTCHours(0, 0, 0, 0);
  // getUTCDay: Sunday 0; ISO weeks start on Monday.
  if (bucket === 'week') start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  const step = bucket === 'hour' ? 3_600_000 : bucket === 'day' ? 86_400_000 : 7 * 86_400_000;
  const out: string[] = [];
  for (let t = start.getTime(); t < w.to.getTime() && out.length < 10_000; t += step) {
    const iso = new Date(t).toISOString();
    out.push(bucket === 'hour' ? `${iso.slice(0, 13)}:00Z` : iso.slice(0, 10));
  }
  return out;
}

/**
 * Runs an aggregate over a window of history with room to sort in memory: `work_mem` 64 MB for
 * this transaction only (the server's default, 4 MB, spills a month of decisions to disk). In a
 * caller's transaction it runs as is: that transaction's settings are the caller's to choose.
 */
export async function withRoomToSort<T>(
  db: Kysely<DB> | Transaction<DB>,
  fn: (db: Kysely<DB> | Transaction<DB>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL work_mem = '64MB'`.execute(trx);
    return fn(trx);
  });
}
