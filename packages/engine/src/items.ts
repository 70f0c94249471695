import {
  AppError,
  type FieldConfidenceRecord,
  type FieldSpec,
  parseStructuredLabel,
  type RouteReason,
} from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { readPointVerdicts, readTaskHistory, readTrustInForce } from './task-history';
import { withPayloads } from './timeline-payloads';

/**
 * Everything a reviewer needs on one screen: the task (with its lease, and which of the point's N
 * independent reviews it is), the item's input and the context its earlier states gathered, the
 * AI's answer with its raw and calibrated confidence, model and prompt version, why it was routed
 * to a person, the trust policy and certificate in force for the state, and the item's history.
 * Blind: a slot of a multi-reviewer point never sees another slot's verdict (`readTaskHistory`);
 * an adjudication task carries every verdict it settles (`verdicts`). Who may read it is the
 * caller's check (`readTask`).
 *
 * @example
 * const view = await getTaskView(db, taskId);
 * view.slot; view.reviewers_required; // "review 2 of 2"
 * view.verdicts; // [] unless view.kind === 'adjudication'
 */
export async function getTaskView(db: Kysely<DB>, taskId: string) {
  const task = await db
    .selectFrom('review_tasks as t')
    .innerJoin('items as i', 'i.id', 't.item_id')
    .innerJoin('workflow_versions as v', 'v.id', 'i.workflow_version_id')
    .leftJoin('users as u', 'u.id', 't.assignee_id')
    .select([
      't.id',
      't.item_id',
      't.state',
      't.visit',
      't.kind',
      't.slot',
      't.reviewers_required',
      't.priority',
      't.escalated_at',
      't.queue',
      't.status',
      't.labels',
      't.reasons',
      't.instructions',
      't.summary',
      't.due_at',
      't.created_at',
      't.claimed_at',
      't.lease_expires_at',
      't.decision_id',
      'u.name as assignee_name',
      't.assignee_id',
      'i.input',
      'i.context',
      'i.status as item_status',
      'i.workflow_name',
      'v.version as workflow_version',
      'v.definition as workflow_definition',
    ])
    .where('t.id', '=', taskId)
    .executeTakeFirst();
  if (!task) throw new AppError('NOT_FOUND', `No review task ${taskId}`);
  const decision = task.decision_id
    ? await db
        .selectFrom('decisions')
        .select([
          'id',
          'agent',
          'provider',
          'model',
          'model_version',
          'prompt_version',
          'label',
          'output',
          'confidence',
          'calibrated_confidence',
          'confidence_method',
          'confidence_note',
          'output_mode',
          'input_text',
          'route',
          'score',
          'threshold',
          'certificate_id',
          'created_at',
        ])
        .where('id', '=', task.decision_id)
        .executeTakeFirst()
    : undefined;
  const [history, verdicts, trust] = await Promise.all([
    readTaskHistory(db, task),
    readPointVerdicts(db, task),
    readTrustInForce(db, task.workflow_name, task.state),
  ]);
  const { workflow_definition: definition, ...rest } = task;
  return {
    ...rest,
    decision: decision ?? null,
    history,
    verdicts,
    trust,
    structured: structuredView(definition, task.state, decision, task.reasons as RouteReason[]),
  };
}

/** What the correction form of a structured decision needs: its fields, the AI's object and confidences. */
export interface StructuredTaskView {
  fields: FieldSpec[];
  /** The AI's object; null when it could not answer (the reviewer fills the record in). */
  aiValue: Record<string, unknown> | null;
  fieldConfidence: Record<string, FieldConfidenceRecord>;
  /** Leaf fields the routing reasons name (below their threshold, named by a risk rule). */
  flagged: string[];
  /** Each field's fixed threshold (`policy.fields.<f>.autoAcceptAt`), where it has one. */
  thresholds: Record<string, number>;
}

/**
 * The structured part of a task view, from the serialised definition of the item's workflow
 * version (its `output.fields` and `policy.fields`); null for a classification or a review step.
 */
export function structuredView(
  definition: Record<string, unknown>,
  state: string,
  decision: { label: string | null; output: unknown } | undefined,
  reasons: readonly RouteReason[],
): StructuredTaskView | null {
  const s = (definition.states as Record<string, Record<string, unknown>> | undefined)?.[state];
  const output = s?.output as { fields?: FieldSpec[] } | undefined;
  if (s?.kind !== 'decide' || !output?.fields) return null;
  const policyFields = ((s.policy as Record<string, unknown> | undefined)?.fields ?? {}) as Record<
    string,
    { autoAcceptAt?: number }
  >;
  const thresholds: Record<string, number> = {};
  for (const [f, p] of Object.entries(policyFields))
    if (typeof p.autoAcceptAt === 'number') thresholds[f] = p.autoAcceptAt;
  const out = (decision?.output ?? {}) as { fields?: Record<string, FieldConfidenceRecord> };
  return {
    fields: output.fields,
    aiValue: parseStructuredLabel(decision?.label) ?? null,
    fieldConfidence: out.fields ?? {},
    flagged: [...new Set(reasons.flatMap((r) => r.fields ?? []))],
    thresholds,
  };
}

/** An item with its workflow version, state runs and decisions. */
export async function getItemDetail(db: Kysely<DB>, itemId: string) {
  const item = await db
    .selectFrom('items as i')
    .innerJoin('workflow_versions as v', 'v.id', 'i.workflow_version_id')
    .select([
      'i.id',
      'i.workflow_name',
      'v.version as workflow_version',
      'v.hash as workflow_hash',
      'i.status',
      'i.current_state',
      'i.input',
      'i.context',
      'i.error',
      'i.idempotency_key',
      'i.created_at',
      'i.updated_at',
      'i.finished_at',
      'i.purged_at',
    ])
    .where('i.id', '=', itemId)
    .executeTakeFirst();
  if (!item) throw new AppError('NOT_FOUND', `No item ${itemId}`);
  const [runs, decisions] = await Promise.all([
    db
      .selectFrom('state_runs')
      .select(['state', 'visit', 'kind', 'status', 'output', 'next_state', 'attempts', 'started_at', 'finished_at'])
      .where('item_id', '=', itemId)
      .orderBy('started_at')
      .execute(),
    db
      .selectFrom('decisions')
      .select([
        'id',
        'state',
        'agent',
        'model',
        'model_version',
        'prompt_version',
        'label',
        'confidence',
        'confidence_method',
        'confidence_note',
        'output_mode',
        'route',
        'reasons',
        'created_at',
      ])
      .where('item_id', '=', itemId)
      .orderBy('created_at')
      .execute(),
  ]);
  return { ...item, runs, decisions };
}

/**
 * The item's audit trail in order, with the names of the people who acted and, for each digest an
 * event records, the payload from its table and whether it still matches (`withPayloads`).
 */
export async function getItemTimeline(db: Kysely<DB>, itemId: string) {
  const exists = await db.selectFrom('items').select('id').where('id', '=', itemId).executeTakeFirst();
  if (!exists) throw new AppError('NOT_FOUND', `No item ${itemId}`);
  const events = await db
    .selectFrom('audit_events as e')
    .leftJoin('users as u', (j) =>
      j.on('e.actor_type', '=', 'user').onRef('u.id', '=', (eb) => eb.cast('e.actor_id', 'uuid')),
    )
    .select([
      'e.seq',
      'e.action',
      'e.actor_type',
      'e.actor_id',
      'u.name as actor_name',
      'e.data',
      'e.created_at',
      'e.hash',
    ])
    .where('e.stream', '=', itemId)
    .orderBy('e.seq')
    .execute();
  return withPayloads(db, itemId, events);
}
