import type { DB } from '@signoff/db';
import { appendAudit, SYSTEM } from '@signoff/governance';
import { sql, type Transaction } from 'kysely';

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
 * The escalation sweep, safe to run from many workers at once (`SKIP LOCKED`):
 * - review tasks past their due time move to their escalation queue, back to pending, with a higher
 *   priority (whoever held one had not answered in time);
 * - items running without progress for `stuckAfterMinutes` get a `stuck` task in the stuck queue,
 *   where an operator chooses to retry the state or fail the item.
 * Every move is audited on the item's trail.
 */
export async function escalateOverdue(
  trx: Transaction<DB>,
  options: EscalationOptions = {},
): Promise<{ tasks: number; items: number }> {
  const now = options.now ?? new Date();
  const limit = options.limit ?? 500;
  const moved = await sql<{
    id: string;
    item_id: string;
    from_queue: string;
    to_queue: string;
    due_at: Date;
    assignee_id: string | null;
  }>`
    WITH due AS (
      SELECT id, queue, assignee_id FROM review_tasks
      WHERE status <> 'done' AND escalated_at IS NULL AND due_at < ${now}
      ORDER BY due_at LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE review_tasks t SET
      queue = t.escalate_to, escalated_at = ${now}, priority = t.priority + 10,
      status = 'pending', assignee_id = NULL, lease_expires_at = NULL
    FROM due WHERE t.id = due.id
    RETURNING t.id, t.item_id, due.queue AS from_queue, t.queue AS to_queue, t.due_at, due.assignee_id`.execute(trx);
  for (const t of moved.rows) {
    await appendAudit(trx, {
      itemId: t.item_id,
      actor: SYSTEM,
      action: 'task.escalated',
      data: {
        taskId: t.id,
        from: t.from_queue,
        to: t.to_queue,
        dueAt: new Date(t.due_at).toISOString(),
        unclaimedFrom: t.assignee_id,
      },
    });
  }
  const stuckAfter = new Date(now.getTime() - (options.stuckAfterMinutes ?? 30) * 60_000);
  const stuck = await trx
    .selectFrom('items as i')
    .select(['i.id', 'i.current_state', 'i.visits', 'i.updated_at', 'i.attempt'])
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
  for (const item of stuck) {
    const state = item.current_state as string;
    const visit = item.visits[state] ?? 1;
    const minutes = Math.round((now.getTime() - item.updated_at.getTime()) / 60_000);
    const reason = `No progress at "${state}" for ${minutes} minutes (attempt ${item.attempt})`;
    const task = await trx
      .insertInto('review_tasks')
      .values({
        item_id: item.id,
        state,
        visit,
        kind: 'stuck',
        queue: options.stuckQueue ?? 'escalations',
        status: 'pending',
        labels: JSON.stringify(['retry', 'fail']),
        reasons: JSON.stringify([{ code: 'stuck', message: reason }]),
        instructions:
          'This item stopped making progress. Retry runs its current step again; fail ends it with this reason.',
        summary: JSON.stringify({ state, minutes, attempt: item.attempt }),
        priority: 20,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (task)
      await appendAudit(trx, {
        itemId: item.id,
        actor: SYSTEM,
        action: 'item.stuck',
        data: { taskId: task.id, state, visit, minutes },
      });
  }
  return { tasks: moved.rows.length, items: stuck.length };
}
