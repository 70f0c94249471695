import type { VerdictInput } from '@signoff/core';
import type { ReviewTask } from '@signoff/db';
import { applyTransitions, LEASE_MINUTES, submitVerdict } from '@signoff/engine';
import type { TestDatabase } from './database';
import type { TestEngine } from './engine';

/**
 * Hands a specific task to a person (as a lead's reassignment would), through the transition path:
 * multi-reviewer tests choose who answers which slot without depending on claim order.
 */
export async function holdTask(t: TestDatabase, e: TestEngine, taskId: string, userId: string): Promise<void> {
  const task = await t.db.selectFrom('review_tasks').selectAll().where('id', '=', taskId).executeTakeFirstOrThrow();
  const [r] = await t.db
    .transaction()
    .execute((trx) =>
      applyTransitions(trx, e, [
        { itemId: task.item_id, outcome: { kind: 'task-claimed', task, userId, leaseMinutes: LEASE_MINUTES } },
      ]),
    );
  if (!r?.ok) throw r?.error ?? new Error(`task ${taskId} could not be claimed`);
}

/** Submits a verdict as `userId` in a transaction of its own (a correction gets a reason). */
export function submitAs(
  t: TestDatabase,
  e: TestEngine,
  userId: string,
  taskId: string,
  verdict: VerdictInput['verdict'],
  label?: string,
) {
  return t.db.transaction().execute((trx) =>
    submitVerdict(trx, e, userId, {
      taskId,
      verdict,
      ...(label ? { label } : {}),
      ...(verdict === 'correct' ? { reason: 'not what the AI said' } : {}),
    }),
  );
}

/** Submits an item and waits until it waits for people; returns its id and its tasks by slot. */
export async function routedItem(
  t: TestDatabase,
  e: TestEngine,
  workflow: string,
  input: unknown,
): Promise<{ itemId: string; tasks: ReviewTask[] }> {
  const itemId = await e.submit(workflow, input);
  await e.settle(itemId, ['waiting']);
  const tasks = await t.db
    .selectFrom('review_tasks')
    .selectAll()
    .where('item_id', '=', itemId)
    .orderBy('slot')
    .execute();
  return { itemId, tasks };
}

/** The lead `userId` takes the item's open adjudication task and answers `label`. */
export async function adjudicateAs(t: TestDatabase, e: TestEngine, userId: string, itemId: string, label: string) {
  const task = await t.db
    .selectFrom('review_tasks')
    .select('id')
    .where('item_id', '=', itemId)
    .where('kind', '=', 'adjudication')
    .where('status', '<>', 'done')
    .executeTakeFirstOrThrow();
  await holdTask(t, e, task.id, userId);
  return submitAs(t, e, userId, task.id, 'answer', label);
}

/**
 * Seed examples for a refund/other(/fraud) intent agent, so its built-in model answers the tests'
 * texts: three per label.
 */
export async function seedIntentExamples(
  db: TestDatabase['db'],
  agent: string,
  labels: readonly ('refund' | 'other' | 'fraud')[] = ['refund', 'other', 'fraud'],
): Promise<void> {
  const texts = {
    refund: ['money back please', 'refund the charge', 'I want a refund'],
    other: ['how do I export', 'app crashes', 'change my email'],
    fraud: ['stolen card used', 'I did not make this charge'],
  };
  await db
    .insertInto('seed_examples')
    .values(labels.flatMap((label) => texts[label].map((text) => ({ agent, text, label }))))
    .execute();
}
