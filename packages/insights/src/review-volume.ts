import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type ReviewVolumeInput, reviewVolumeInput } from './inputs';
import {
  allOf,
  bucketOf,
  bucketsBetween,
  equalsIfGiven,
  parseDashboardInput,
  resolveWindow,
  within,
} from './sql-parts';

export interface ReviewVolumePoint {
  /** Start of the bucket (UTC): `YYYY-MM-DD`. */
  bucket: string;
  /** Review tasks created in the bucket, all kinds, and of them QA samples. */
  created: number;
  createdQa: number;
  /** Review tasks completed (a verdict) in the bucket. */
  done: number;
}

/**
 * Review tasks created and completed per day or ISO week in `[from, to)` (default: the last 30
 * days, daily), every bucket present (0 when quiet). Filters: workflow, state, queue.
 *
 * @example
 * const points = await reviewVolume(db, { queue: 'billing' });
 * // [{ bucket: '2026-11-30', created: 120, createdQa: 6, done: 131 }, ...]
 */
export async function reviewVolume(
  db: Kysely<DB> | Transaction<DB>,
  input: ReviewVolumeInput = {},
): Promise<ReviewVolumePoint[]> {
  const f = parseDashboardInput(reviewVolumeInput, input);
  const w = resolveWindow(f);
  // One index probe per task of the window when narrowed to a workflow (tasks do not carry it).
  const join =
    f.workflow === undefined
      ? sql``
      : sql`CROSS JOIN LATERAL (SELECT i.workflow_name FROM items i WHERE i.id = t.item_id LIMIT 1) i`;
  const common = allOf([
    equalsIfGiven('i.workflow_name', f.workflow),
    equalsIfGiven('t.state', f.state),
    equalsIfGiven('t.queue', f.queue),
  ]);
  const { rows } = await sql<{ bucket: string; created: number; created_qa: number; done: number }>`
    WITH created AS (
      SELECT ${bucketOf('t.created_at', f.bucket)} AS bucket, count(*)::int AS n,
             (count(*) FILTER (WHERE t.kind = 'qa'))::int AS qa
        FROM review_tasks t ${join}
       WHERE ${within('t.created_at', w)} AND ${common}
       GROUP BY 1
    ), done AS (
      SELECT ${bucketOf('t.completed_at', f.bucket)} AS bucket, count(*)::int AS n
        FROM review_tasks t ${join}
       WHERE t.status = 'done' AND ${within('t.completed_at', w)} AND ${common}
       GROUP BY 1
    )
    SELECT coalesce(c.bucket, d.bucket) AS bucket, coalesce(c.n, 0) AS created, coalesce(c.qa, 0) AS created_qa,
           coalesce(d.n, 0) AS done
      FROM created c FULL JOIN done d ON d.bucket = c.bucket`.execute(db);
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return bucketsBetween(w, f.bucket).map((bucket) => {
    const r = byBucket.get(bucket);
    return { bucket, created: r?.created ?? 0, createdQa: r?.created_qa ?? 0, done: r?.done ?? 0 };
  });
}
