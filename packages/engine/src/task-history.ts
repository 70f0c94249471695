// What a task view shows beyond the task itself: the item's history (state runs and audit events),
// blind to the other slots of a multi-reviewer point; the verdicts an adjudication settles; and the
// trust policy and certificate in force for the task's state.
import type { DB } from '@signoff/db';
import { findPolicyInForce } from '@signoff/trust';
import { type Kysely, sql } from 'kysely';

/** The review point a task answers, and which of its N independent reviews it is. */
export interface TaskPoint {
  id: string;
  item_id: string;
  state: string;
  visit: number;
  kind: string;
  reviewers_required: number;
}

/**
 * Events that settle a multi-reviewer point: they name every slot's label, so a slot's own view
 * never shows them for its point (blind), whatever its status.
 */
const POINT_OUTCOME_ACTIONS = ['review.agreed', 'review.disagreement', 'review.adjudicated', 'label.adjudicated'];

/**
 * True when the task is one of N independent reviews: it must not learn what the other slots of
 * its review point answered. An adjudication task is the opposite: it exists to read them.
 */
export function isBlind(task: Pick<TaskPoint, 'kind' | 'reviewers_required'>): boolean {
  return task.kind !== 'adjudication' && task.reviewers_required > 1;
}

/**
 * The item's history as the task's reader may see it: its state runs other than this review
 * point's own (the point is the task itself), and its audit events with the actor's name. For a
 * blind task, every event about another slot of the same (item, state, visit) is left out (its
 * claim, release, skip, verdict), as are the point's agreement, disagreement and adjudication;
 * only the requests for the other reviews stay (they say nothing about an answer). Earlier visits
 * of the state are history like any other.
 *
 * @example
 * const { runs, events } = await readTaskHistory(db, task);
 */
export async function readTaskHistory(db: Kysely<DB>, task: TaskPoint) {
  const blind = isBlind(task);
  const siblings = blind
    ? (
        await db
          .selectFrom('review_tasks')
          .select('id')
          .where('item_id', '=', task.item_id)
          .where('state', '=', task.state)
          .where('visit', '=', task.visit)
          .where('id', '<>', task.id)
          .execute()
      ).map((r) => r.id)
    : [];
  const [runs, events] = await Promise.all([
    db
      .selectFrom('state_runs')
      .select(['state', 'visit', 'kind', 'status', 'output', 'next_state', 'started_at', 'finished_at'])
      .where('item_id', '=', task.item_id)
      .where((eb) => eb.not(eb.and([eb('state', '=', task.state), eb('visit', '=', task.visit)])))
      .orderBy('started_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('audit_events as e')
      .leftJoin('users as u', (j) =>
        j.on('e.actor_type', '=', 'user').onRef('u.id', '=', (eb) => eb.cast('e.actor_id', 'uuid')),
      )
      .select(['e.seq', 'e.action', 'e.actor_type', 'u.name as actor_name', 'e.data', 'e.created_at'])
      .where('e.stream', '=', task.item_id)
      .$if(siblings.length > 0, (q) =>
        q.where((eb) =>
          eb.or([
            eb('e.action', '=', 'review.requested'),
            eb(sql<string | null>`e.data->>'taskId'`, 'is', null),
            eb(sql<string>`e.data->>'taskId'`, 'not in', siblings),
          ]),
        ),
      )
      .$if(blind, (q) =>
        q.where((eb) =>
          eb.not(
            eb.and([
              eb('e.action', 'in', POINT_OUTCOME_ACTIONS),
              eb(sql<string>`e.data->>'state'`, '=', task.state),
              eb(sql<string>`e.data->>'visit'`, '=', String(task.visit)),
            ]),
          ),
        ),
      )
      .orderBy('e.seq')
      .execute(),
  ]);
  return { runs, events };
}

/** One verdict of a review point, as the lead settling it reads it. */
export interface PointVerdictView {
  taskId: string;
  slot: number;
  reviewerId: string;
  reviewerName: string;
  verdict: 'confirm' | 'correct' | 'answer';
  label: string;
  reason: string | null;
  createdAt: Date;
}

/**
 * Every verdict given at an adjudication task's review point (its slots, in slot order), with the
 * reviewers' names; empty for any other task, whose view is blind.
 */
export async function readPointVerdicts(db: Kysely<DB>, task: TaskPoint): Promise<PointVerdictView[]> {
  if (task.kind !== 'adjudication') return [];
  return db
    .selectFrom('reviews as r')
    .innerJoin('review_tasks as t', 't.id', 'r.task_id')
    .innerJoin('users as u', 'u.id', 'r.reviewer_id')
    .select([
      't.id as taskId',
      't.slot',
      'r.reviewer_id as reviewerId',
      'u.name as reviewerName',
      'r.verdict',
      'r.label',
      'r.reason',
      'r.created_at as createdAt',
    ])
    .where('t.item_id', '=', task.item_id)
    .where('t.state', '=', task.state)
    .where('t.visit', '=', task.visit)
    .where('t.kind', 'in', ['decision', 'review'])
    .orderBy('t.slot')
    .orderBy('r.created_at')
    .execute();
}

/**
 * The trust policy in force for a state, with its certificate when one is applied; null for a
 * state that is not certified-able (no auto-accept target declared).
 */
export async function readTrustInForce(db: Kysely<DB>, workflow: string, state: string) {
  const policy = await findPolicyInForce(db, workflow, state);
  if (!policy) return null;
  const cert = policy.certificateId
    ? await db
        .selectFrom('certificates')
        .select([
          'id',
          'threshold',
          'agent',
          'model_version as modelVersion',
          'confidence_method as confidenceMethod',
          'prompt_version as promptVersion',
          'labels_used as labelsUsed',
          'wrong_used as wrongUsed',
          'upper_bound as upperBound',
          'expected_automation as expectedAutomation',
          'created_at as createdAt',
        ])
        .where('id', '=', policy.certificateId)
        .executeTakeFirst()
    : undefined;
  return {
    policyVersion: policy.version,
    status: policy.status,
    maxError: policy.maxError,
    confidence: policy.confidence,
    auditRate: policy.auditRate,
    reason: policy.reason,
    since: policy.createdAt,
    certificate: cert ?? null,
  };
}
