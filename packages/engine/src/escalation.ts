import type { DB, ReviewTask } from '@signoff/db';
import { sql, type Transaction } from 'kysely';
import { applyTransitions, type TransitionDeps } from './transitions';

export interface EscalationOptions {
  now?: Date;
  /** A running item whose state has not moved for this long is stuck. */
  stuckAfterMinutes?: number;
  /** Where stuck items go for an operator's retry-or-fail decision. */
  stuckQueue?: string;
  /** At most this many of each kind per call (the sweep runs every minute). */
  limit?: number;
}

/**
 * The escalation sweep, safe to run from many workers at once (`SKIP LOCKED`), through the one
 * transition path:
 * - review tasks past their due time move to their escalation queue, back to pending, with a higher
 *   priority (whoever held one had not answered in time);
 * - items running without progress for `stuckAfterMinutes` get a `stuck` task in the stuck queue,
 *   where an operator chooses to retry the state or fail the item.
 * Every move is audited on the item's trail.
 *
 * @example
 * await db.transaction().execute((trx) => escalateOverdue(trx, { boss, registry }));
 */
export async function escalateOverdue(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  options: EscalationOptions = {},
): Promise<{ tasks: number; items: number }> {
  const now = options.now ?? new Date();
  const limit = options.limit ?? 500;
  const due = await sql<ReviewTask>`
    SELECT * FROM review_tasks
     WHERE status <> 'done' AND escalated_at IS NULL AND due_at < ${now}
     ORDER BY due_at LIMIT ${limit}
       FOR UPDATE SKIP LOCKED`.execute(trx);
  const escalated = await applyTransitions(
    trx,
    deps,
    due.rows.map((task) => ({ itemId: task.item_id, outcome: { kind: 'task-escalated' as const, task } })),
  );
  const stuckAfter = new Date(now.getTime() - (options.stuckAfterMinutes ?? 30) * 60_000);
  const stuck = await trx
    .selectFrom('items as i')
    .select(['i.id', 'i.updated_at'])
    .where('i.status', '=', 'running')
    .where('i.updated_at', '<', stuckAfter)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('review_tasks as t')
            .select('t.id')
            .whereRef('t.item_id', '=', 'i.id')
            .where('t.kind', '=', 'stuck')
            .where('t.status', '<>', 'done'),
        ),
      ),
    )
    .orderBy('i.updated_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  const marked = await applyTransitions(
    trx,
    deps,
    stuck.map((item) => ({
      itemId: item.id,
      outcome: {
        kind: 'item-stuck' as const,
        queue: options.stuckQueue ?? 'escalations',
        minutes: Math.round((now.getTime() - item.updated_at.getTime()) / 60_000),
      },
    })),
  );
  const count = (results: typeof marked) => results.filter((r) => r.ok && r.result === 'committed').length;
  return { tasks: count(escalated), items: count(marked) };
}
