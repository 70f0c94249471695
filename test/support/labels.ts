import { randomUUID } from 'node:crypto';
import type { DB } from '@signoff/db';
import { upsertUser } from '@signoff/governance';
import type { Kysely } from 'kysely';

/**
 * Inserts human labels on decisions of `agent` at `modelVersion`, one per point (the AI's label is
 * right when `correct`), with the items, review tasks and reviews they belong to: a labelled
 * history without running thousands of items.
 */
export async function insertLabelHistory(
  db: Kysely<DB>,
  options: {
    agent: string;
    modelVersion: string;
    labels: [string, string];
    /** `id`: the label's id (default: generated), e.g. to place it on a chosen side of a split by id. */
    points: { p: number; correct: boolean; text?: string; id?: string }[];
  },
): Promise<number> {
  const reviewer = await upsertUser(db, {
    email: `labeller-${randomUUID()}@test`,
    name: 'Labeller',
    role: 'reviewer',
    password: 'x',
  });
  const version = await db
    .insertInto('workflow_versions')
    .values({ name: `history-${randomUUID().slice(0, 8)}`, version: 1, hash: randomUUID(), definition: '{}' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const [yes, no] = options.labels;
  for (let start = 0; start < options.points.length; start += 500) {
    const chunk = options.points.slice(start, start + 500);
    const items = await db
      .insertInto('items')
      .values(
        chunk.map(() => ({
          workflow_name: 'history',
          workflow_version_id: version.id,
          input: '{}',
          status: 'succeeded' as const,
        })),
      )
      .returning('id')
      .execute();
    const tasks = await db
      .insertInto('review_tasks')
      .values(
        items.map((i) => ({
          item_id: i.id,
          state: 'classify',
          visit: 1,
          queue: 'history',
          status: 'done' as const,
          labels: JSON.stringify([yes, no]),
          instructions: '',
        })),
      )
      .returning(['id', 'item_id'])
      .execute();
    const reviews = await db
      .insertInto('reviews')
      .values(
        tasks.map((t, i) => ({
          task_id: t.id,
          reviewer_id: reviewer.id,
          verdict: chunk[i]?.correct ? ('confirm' as const) : ('correct' as const),
          label: chunk[i]?.correct ? yes : no,
        })),
      )
      .returning(['id', 'task_id'])
      .execute();
    await db
      .insertInto('labels')
      .values(
        reviews.map((r, i) => {
          const pt = chunk[i] as { p: number; correct: boolean; text?: string; id?: string };
          return {
            ...(pt.id ? { id: pt.id } : {}),
            item_id: (tasks[i] as { item_id: string }).item_id,
            state: 'classify',
            review_id: r.id,
            workflow_name: 'history',
            workflow_version_id: version.id,
            agent: options.agent,
            model: 'history',
            model_version: options.modelVersion,
            prompt_version: 'history',
            input_text: pt.text ?? `history ${start + i}`,
            ai_label: yes,
            ai_confidence: pt.p,
            human_label: pt.correct ? yes : no,
            is_correction: !pt.correct,
            reviewer_id: reviewer.id,
          };
        }),
      )
      .execute();
  }
  return options.points.length;
}
