import { randomUUID } from 'node:crypto';
import type { DB } from '@signoff/db';
import { upsertUser } from '@signoff/governance';
import { type Kysely, sql } from 'kysely';

/** One label to insert, with the decision, review task and review it comes from. */
export interface LabelSpec {
  /** Labels with the same key belong to one item (default: an item of its own). */
  item?: string;
  workflow?: string;
  state?: string;
  human: string;
  /** The AI's answer (default: the human's, a confirmation). */
  ai?: string;
  modelVersion?: string;
  /** review (a routed decision), audit_sample (a QA task on an auto-accepted one) or adjudication. */
  source?: 'review' | 'audit_sample' | 'adjudication';
  reviewer?: string;
  createdAt?: Date;
  /** The decision's audit inclusion probability (default 1 for review, 0.05 for an audit sample). */
  auditProbability?: number | null;
  /** The decision's input text; null: a label without a decision (a review state's). */
  text?: string | null;
}

/** Instructions of the `classify` state's agent in the workflow versions this inserts. */
export const CLASSIFY_INSTRUCTIONS = 'Classify the customer message as yes, no or maybe.';

/**
 * Inserts labels with their items, decisions, review tasks and reviews, one spec each, for
 * dataset tests that need labels of chosen sources, states, model versions, reviewers and times.
 * Returns the labels' ids in spec order and the items' ids by key.
 */
export async function insertLabels(
  db: Kysely<DB>,
  specs: LabelSpec[],
): Promise<{ labelIds: string[]; itemIds: Map<string, string> }> {
  const reviewers = new Map<string, string>();
  const versions = new Map<string, string>();
  const itemIds = new Map<string, string>();
  const visits = new Map<string, number>();
  const labelIds: string[] = [];
  for (const email of new Set(specs.map((s) => s.reviewer ?? 'reviewer@test')))
    reviewers.set(email, (await upsertUser(db, { email, name: email, role: 'reviewer', password: 'x' })).id);
  await db.transaction().execute(async (trx) => {
    for (const [i, spec] of specs.entries()) {
      const workflow = spec.workflow ?? 'refunds';
      const state = spec.state ?? 'classify';
      const email = spec.reviewer ?? 'reviewer@test';
      const reviewerId = reviewers.get(email) as string;
      let versionId =
        versions.get(workflow) ??
        (await trx.selectFrom('workflow_versions').select('id').where('name', '=', workflow).executeTakeFirst())?.id;
      if (!versionId) {
        const definition = {
          name: workflow,
          states: { classify: { kind: 'decide', agent: { name: 'classifier', instructions: CLASSIFY_INSTRUCTIONS } } },
        };
        versionId = (
          await trx
            .insertInto('workflow_versions')
            .values({ name: workflow, version: 1, hash: randomUUID(), definition: JSON.stringify(definition) })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
        versions.set(workflow, versionId);
      }
      const key = spec.item ?? `item-${i}`;
      let itemId = itemIds.get(key);
      if (!itemId) {
        itemId = (
          await trx
            .insertInto('items')
            .values({ workflow_name: workflow, workflow_version_id: versionId, input: '{}', status: 'succeeded' })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
        itemIds.set(key, itemId);
      }
      const visit = (visits.get(key) ?? 0) + 1;
      visits.set(key, visit);
      const source = spec.source ?? 'review';
      const ai = spec.ai ?? spec.human;
      const text = spec.text === undefined ? `message ${i}` : spec.text;
      let decisionId: string | null = null;
      if (text !== null) {
        const run = await trx
          .insertInto('state_runs')
          .values({
            item_id: itemId,
            state,
            visit,
            kind: 'decide',
            status: 'done',
            output: null,
            next_state: null,
            started_at: new Date(),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        decisionId = (
          await trx
            .insertInto('decisions')
            .values({
              item_id: itemId,
              state_run_id: run.id,
              state,
              agent: 'classifier',
              provider: 'local',
              model: 'local',
              model_version: spec.modelVersion ?? 'v1',
              prompt_version: 'p1',
              input_hash: randomUUID(),
              input_text: text,
              output: JSON.stringify({ label: ai }),
              label: ai,
              confidence: 0.9,
              confidence_method: 'posterior',
              calibrated_confidence: 0.9,
              route: source === 'audit_sample' ? 'sampled' : 'review',
              latency_ms: 1,
              tokens_in: null,
              tokens_out: null,
              audit_probability:
                spec.auditProbability === undefined ? (source === 'audit_sample' ? 0.05 : 1) : spec.auditProbability,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      }
      let reviewId: string | null = null;
      let verdict: string | null = null;
      if (source !== 'adjudication') {
        const task = await trx
          .insertInto('review_tasks')
          .values({
            item_id: itemId,
            state,
            visit,
            decision_id: decisionId,
            kind: source === 'audit_sample' ? 'qa' : 'decision',
            queue: 'q',
            status: 'done',
            labels: JSON.stringify(['yes', 'no', 'maybe']),
            instructions: '',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        verdict = ai === spec.human ? 'confirm' : 'correct';
        reviewId = (
          await trx
            .insertInto('reviews')
            .values({
              task_id: task.id,
              reviewer_id: reviewerId,
              verdict: verdict as 'confirm' | 'correct',
              label: spec.human,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
      }
      const label = await trx
        .insertInto('labels')
        .values({
          item_id: itemId,
          state,
          decision_id: decisionId,
          review_id: reviewId,
          workflow_name: workflow,
          workflow_version_id: versionId,
          agent: decisionId ? 'classifier' : null,
          model: decisionId ? 'local' : null,
          model_version: decisionId ? (spec.modelVersion ?? 'v1') : null,
          prompt_version: decisionId ? 'p1' : null,
          input_text: text,
          ai_label: decisionId ? ai : null,
          ai_confidence: decisionId ? 0.9 : null,
          human_label: spec.human,
          is_correction: ai !== spec.human,
          reason: ai !== spec.human ? 'wrong, see text' : null,
          reviewer_id: reviewerId,
          adjudicated: source === 'adjudication',
          // clock_timestamp, not now(): labels of one transaction keep the order they were given in.
          created_at: spec.createdAt ?? sql<Date>`clock_timestamp()`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      labelIds.push(label.id);
    }
  });
  return { labelIds, itemIds };
}
