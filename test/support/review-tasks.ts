import { defineWorkflow } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';

/** A one-review workflow: the items the queue tests seed wait at its `review` state. */
export const queueFlow = defineWorkflow({
  name: 'queue-flow',
  input: z.object({ n: z.number() }),
  start: 'review',
  states: {
    review: { kind: 'review', queue: 'queue-a', labels: ['yes', 'no'], instructions: 'Yes or no?', next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});

export interface TaskSpec {
  queue: string;
  priority?: number;
  /** Minutes from now (negative: overdue); absent: no due time. */
  dueInMinutes?: number;
  /** Minutes ago it was created (default: its position in the list, oldest first). */
  ageMinutes?: number;
  kind?: 'decision' | 'review' | 'qa' | 'adjudication';
  /** Tasks with the same `item` key share an item (and its review point): slots of one visit. */
  item?: string;
  slot?: number;
  reviewersRequired?: number;
  escalateTo?: string;
}

/**
 * Review tasks written straight into the tables (one waiting item each, or shared by `item`), as
 * the engine would leave them at a review point; returns their ids in the order given.
 */
export async function seedTasks(db: Kysely<DB>, versionId: string, specs: readonly TaskSpec[]): Promise<string[]> {
  const items = new Map<string, string>();
  const ids: string[] = [];
  for (const [k, spec] of specs.entries()) {
    const key = spec.item ?? `own-${k}`;
    let itemId = items.get(key);
    if (!itemId) {
      const row = await db
        .insertInto('items')
        .values({
          workflow_name: queueFlow.name,
          workflow_version_id: versionId,
          input: JSON.stringify({ n: k }),
          status: 'waiting',
          current_state: 'review',
          visits: JSON.stringify({ review: 1 }),
          idempotency_key: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      itemId = row.id;
      items.set(key, itemId);
    }
    const age = spec.ageMinutes ?? specs.length - k;
    const row = await db
      .insertInto('review_tasks')
      .values({
        item_id: itemId,
        state: 'review',
        visit: 1,
        decision_id: null,
        queue: spec.queue,
        status: 'pending',
        assignee_id: null,
        lease_expires_at: null,
        labels: JSON.stringify(['yes', 'no']),
        instructions: 'Yes or no?',
        summary: null,
        kind: spec.kind ?? 'review',
        priority: spec.priority ?? 0,
        due_at: spec.dueInMinutes === undefined ? null : sql<Date>`now() + make_interval(mins => ${spec.dueInMinutes})`,
        created_at: sql<Date>`now() - make_interval(mins => ${age})`,
        slot: spec.slot ?? 1,
        reviewers_required: spec.reviewersRequired ?? 1,
        ...(spec.escalateTo ? { escalate_to: spec.escalateTo } : {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return ids;
}

/** Marks a task answered, as a verdict would (the review row included), so its holder may claim the next. */
export async function finishTask(db: Kysely<DB>, taskId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const task = await trx
      .updateTable('review_tasks')
      .set({ status: 'done', completed_at: sql<Date>`now()`, lease_expires_at: null })
      .where('id', '=', taskId)
      .returning('assignee_id')
      .executeTakeFirstOrThrow();
    if (task.assignee_id)
      await trx
        .insertInto('reviews')
        .values({ task_id: taskId, reviewer_id: task.assignee_id, verdict: 'answer', label: 'yes', reason: null })
        .execute();
  });
}
