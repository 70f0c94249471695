import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type ThroughputInput, throughputInput } from './inputs';
import {
  allOf,
  bucketOf,
  bucketsBetween,
  equalsIfGiven,
  parseDashboardInput,
  resolveWindow,
  within,
} from './sql-parts';

export interface ThroughputPoint {
  /** Start of the bucket (UTC): `YYYY-MM-DD`, or `YYYY-MM-DDTHH:00Z` by hour. */
  bucket: string;
  finished: number;
  succeeded: number;
  rejected: number;
  failed: number;
}

/**
 * Items that finished (succeeded, rejected or failed) per hour or day in `[from, to)` (default: the
 * last 30 days, daily), every bucket present. Filter: workflow (state and model version do not apply).
 *
 * @example
 * const points = await throughput(db, { bucket: 'hour', from: new Date(Date.now() - 86_400_000) });
 * // [{ bucket: '2026-12-01T08:00Z', finished: 310, succeeded: 290, rejected: 18, failed: 2 }, ...]
 */
export async function throughput(
  db: Kysely<DB> | Transaction<DB>,
  input: ThroughputInput = {},
): Promise<ThroughputPoint[]> {
  const f = parseDashboardInput(throughputInput, input);
  const w = resolveWindow(f);
  const { rows } = await sql<ThroughputPoint>`
    SELECT ${bucketOf('i.finished_at', f.bucket)} AS bucket, count(*)::int AS finished,
           (count(*) FILTER (WHERE i.status = 'succeeded'))::int AS succeeded,
           (count(*) FILTER (WHERE i.status = 'rejected'))::int AS rejected,
           (count(*) FILTER (WHERE i.status = 'failed'))::int AS failed
      FROM items i
     WHERE i.finished_at IS NOT NULL AND i.status IN ('succeeded', 'rejected', 'failed')
       AND ${within('i.finished_at', w)} AND ${allOf([equalsIfGiven('i.workflow_name', f.workflow)])}
     GROUP BY 1`.execute(db);
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return bucketsBetween(w, f.bucket).map(
    (bucket) => byBucket.get(bucket) ?? { bucket, finished: 0, succeeded: 0, rejected: 0, failed: 0 },
  );
}
