import { randomUUID } from 'node:crypto';
import type { DB } from '@signoff/db';
import { upsertUser } from '@signoff/governance';
import type { Kysely } from 'kysely';

/**
 * Inserts human labels on decisions of `agent` at `modelVersion`, one per point (the AI's label is
 * right when `correct`), with the items, decisions, review tasks and reviews they belong to: a
 * labelled history without running thousands of items. The decisions' confidence method is
 * `confidenceMethod` (default `posterior`; null: labels without a decision), and the labels'
 * prompt version `promptVersion` (default `history`).
 */
export async function insertLabelHistory(
  db: Kysely<DB>,
  options: {
    agent: string;
    modelVersion: string;
    labels: [string, string];
    confidenceMethod?: string | null;
    promptVersion?: string;
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
  const method = options.confidenceMethod === undefined ? 'posterior' : options.confidenceMethod;
  const promptVersion = options.promptVersion ?? 'history';
  for (let start = 0; start < options.points.length; start += 500) {
    const chunk = options.points.slice(start, start + 500);
    const point = (i: number) => chunk[i] as { p: number; correct: boolean; text?: string; id?: string };
    const text = (i: number) => point(i).text ?? `history ${start + i}`;
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
    let decisions: (string | null)[] = items.map(() => null);
    if (method !== null) {
      const runs = await db
        .insertInto('state_runs')
        .values(
          items.map((i) => ({
            item_id: i.id,
            state: 'classify',
            visit: 1,
            kind: 'decide',
            status: 'done' as const,
            output: null,
            next_state: null,
            started_at: new Date(),
          })),
        )
        .returning(['id', 'item_id'])
        .execute();
      const rows = await db
        .insertInto('decisions')
        .values(
          runs.map((run, i) => ({
            item_id: run.item_id,
            state_run_id: run.id,
            state: 'classify',
            agent: options.agent,
            provider: 'local',
            model: 'history',
            model_version: options.modelVersion,
            prompt_version: promptVersion,
            input_hash: randomUUID(),
            input_text: text(i),
            output: JSON.stringify({ label: yes }),
            label: yes,
            confidence: point(i).p,
            confidence_method: method,
            calibrated_confidence: point(i).p,
            route: 'review' as const,
            latency_ms: 0,
            tokens_in: null,
            tokens_out: null,
          })),
        )
        .returning('id')
        .execute();
      decisions = rows.map((r) => r.id);
    }
    const tasks = await db
      .insertInto('review_tasks')
      .values(
        items.map((item, i) => ({
          item_id: item.id,
          state: 'classify',
          visit: 1,
          decision_id: decisions[i] ?? null,
          queue: 'history',
          status: 'done' as const,
          labels: JSON.stringify([yes, no]),
          instructions: '',
        })),
      )
      .returning(['id', 'item_id', 'decision_id'])
      .execute();
    const reviews = await db
      .insertInto('reviews')
      .values(
        tasks.map((t, i) => ({
          task_id: t.id,
          reviewer_id: reviewer.id,
          verdict: point(i).correct ? ('confirm' as const) : ('correct' as const),
          label: point(i).correct ? yes : no,
        })),
      )
      .returning(['id', 'task_id'])
      .execute();
    await db
      .insertInto('labels')
      .values(
        reviews.map((r, i) => {
          const pt = point(i);
          const task = tasks[i] as { item_id: string; decision_id: string | null };
          return {
            ...(pt.id ? { id: pt.id } : {}),
            item_id: task.item_id,
            state: 'classify',
            decision_id: task.decision_id,
            review_id: r.id,
            workflow_name: 'history',
            workflow_version_id: version.id,
            agent: options.agent,
            model: 'history',
            model_version: options.modelVersion,
            prompt_version: promptVersion,
            input_text: text(i),
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
