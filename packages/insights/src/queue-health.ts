import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type QueueHealthInput, queueHealthInput } from './inputs';
import { allOf, equalsIfGiven, parseDashboardInput } from './sql-parts';

export interface QueueHealthRow {
  queue: string;
  /** Tasks waiting for a verdict: `pending` (nobody holds them) plus `claimed`. */
  open: number;
  pending: number;
  claimed: number;
  /** Open tasks past their due time at `asOf`. */
  overdue: number;
  /** When the oldest open task was created, and its age in seconds at `asOf`. */
  oldestCreatedAt: Date;
  oldestAgeSeconds: number;
}

/**
 * Depth and age of every queue with open review tasks, deepest first, at `asOf` (default: now).
 * Served by the claim index (`review_tasks_claim_idx`, open tasks only), so it does not grow with history.
 *
 * @example
 * const rows = await queueHealth(db);
 * // [{ queue: 'billing', open: 42, pending: 39, claimed: 3, overdue: 5, oldestAgeSeconds: 7260, ... }]
 */
export async function queueHealth(
  db: Kysely<DB> | Transaction<DB>,
  input: QueueHealthInput = {},
): Promise<QueueHealthRow[]> {
  const f = parseDashboardInput(queueHealthInput, input);
  const asOf = f.asOf ?? new Date();
  const join = f.workflow === undefined ? sql`` : sql`JOIN items i ON i.id = t.item_id`;
  const { rows } = await sql<Omit<QueueHealthRow, 'oldestAgeSeconds'>>`
    SELECT t.queue, count(*)::int AS open,
           (count(*) FILTER (WHERE t.status = 'pending'))::int AS pending,
           (count(*) FILTER (WHERE t.status = 'claimed'))::int AS claimed,
           (count(*) FILTER (WHERE t.due_at < ${asOf}))::int AS overdue,
           min(t.created_at) AS "oldestCreatedAt"
      FROM review_tasks t ${join}
     WHERE t.status <> 'done' AND ${allOf([equalsIfGiven('i.workflow_name', f.workflow), equalsIfGiven('t.state', f.state)])}
     GROUP BY t.queue
     ORDER BY open DESC, t.queue`.execute(db);
  return rows.map((r) => ({
    ...r,
    oldestAgeSeconds: Math.max(0, Math.floor((asOf.getTime() - r.oldestCreatedAt.getTime()) / 1000)),
  }));
}
