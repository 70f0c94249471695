// The writer's SQL: one multi-row statement per table, built by small pure functions. Rows travel
// as one JSON array (`json_to_recordset`), whatever their number, so no statement grows with its
// parameter count and every batch size runs the same query plan.
import type { NewAuditEvent } from '@signoff/db';
import { type RawBuilder, sql } from 'kysely';
import type {
  BranchRunInsert,
  BranchRunUpdate,
  DecisionInsert,
  EventWaitInsert,
  EventWaitResolve,
  ItemInsert,
  ItemUpdate,
  LabelInsert,
  ReviewInsert,
  ReviewTaskInsert,
  ReviewTaskUpdate,
  StateRunClose,
  StateRunInsert,
} from './plan-types';

const rows = (values: readonly unknown[]) => sql`json_to_recordset(${JSON.stringify(values)}::json)`;

export type ItemInsertRow = ItemInsert & { audit_seq: number; audit_hash: string };

/** New items; one whose idempotency key exists is skipped (`RETURNING` tells which were created). */
export function insertItemsSql(values: readonly ItemInsertRow[]): RawBuilder<{ id: string }> {
  return sql`
    INSERT INTO items (id, workflow_name, workflow_version_id, idempotency_key, input, status, current_state, visits,
                       audit_seq, audit_hash)
    SELECT v.id, v.workflow_name, v.workflow_version_id, v.idempotency_key, COALESCE(v.input, 'null'::jsonb),
           v.status, v.current_state, v.visits, v.audit_seq, v.audit_hash
      FROM ${rows(values)} AS v(id uuid, workflow_name text, workflow_version_id uuid, idempotency_key text,
                                input jsonb, status text, current_state text, visits jsonb,
                                audit_seq integer, audit_hash text)
    ON CONFLICT (workflow_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id`;
}

/**
 * State runs, answering how many were inserted: an existing (item, state, visit) is skipped, which
 * the writer treats as a conflict.
 */
export function insertStateRunsSql(values: readonly StateRunInsert[]): RawBuilder<{ inserted: number }> {
  return sql`
    WITH inserted AS (
      INSERT INTO state_runs (id, item_id, workflow_name, state, visit, kind, status, output, next_state, attempts,
                              started_at, finished_at)
      SELECT v.id, v.item_id, v.workflow_name, v.state, v.visit, v.kind, v.status, v.output, v.next_state, v.attempts,
             v.started_at, v.finished_at
        FROM ${rows(values)} AS v(id uuid, item_id uuid, workflow_name text, state text, visit integer, kind text,
                                  status text, output jsonb, next_state text, attempts integer,
                                  started_at timestamptz, finished_at timestamptz)
      ON CONFLICT (item_id, state, visit) DO NOTHING
      RETURNING 1)
    SELECT count(*)::int AS inserted FROM inserted`;
}

/** Closes waiting state runs (a wait, a review) with their output. */
export function closeStateRunsSql(values: readonly StateRunClose[]): RawBuilder<unknown> {
  return sql`
    UPDATE state_runs AS s SET status = 'done', output = v.output, next_state = v.next_state, finished_at = now()
      FROM ${rows(values)} AS v(item_id uuid, state text, visit integer, output jsonb, next_state text)
     WHERE s.item_id = v.item_id AND s.state = v.state AND s.visit = v.visit`;
}

export function insertDecisionsSql(values: readonly DecisionInsert[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO decisions (id, item_id, state_run_id, state, agent, provider, model, model_version, prompt_version,
                           input_hash, input_text, output, label, confidence, confidence_method,
                           calibrated_confidence, calibrator_id, route, reasons, latency_ms, tokens_in, tokens_out,
                           cost_usd, score, audit_probability, threshold, policy_version_id, certificate_id,
                           output_mode, confidence_note)
    SELECT v.id, v.item_id, v.state_run_id, v.state, v.agent, v.provider, v.model, v.model_version, v.prompt_version,
           v.input_hash, v.input_text, v.output, v.label, v.confidence, v.confidence_method,
           v.calibrated_confidence, v.calibrator_id, v.route, v.reasons, v.latency_ms, v.tokens_in, v.tokens_out,
           v.cost_usd, v.score, v.audit_probability, v.threshold, v.policy_version_id, v.certificate_id,
           v.output_mode, v.confidence_note
      FROM ${rows(values)} AS v(id uuid, item_id uuid, state_run_id uuid, state text, agent text, provider text,
                                model text, model_version text, prompt_version text, input_hash text,
                                input_text text, output jsonb, label text, confidence double precision,
                                confidence_method text, calibrated_confidence double precision,
                                calibrator_id uuid, route text, reasons jsonb, latency_ms integer,
                                tokens_in integer, tokens_out integer, cost_usd double precision,
                                score double precision, audit_probability double precision,
                                threshold double precision, policy_version_id uuid, certificate_id uuid,
                                output_mode text, confidence_note text)`;
}

export function insertReviewTasksSql(values: readonly ReviewTaskInsert[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO review_tasks (id, item_id, state, visit, decision_id, kind, queue, status, labels, reasons,
                              instructions, summary, due_at, escalate_to, priority, slot, reviewers_required)
    SELECT v.id, v.item_id, v.state, v.visit, v.decision_id, v.kind, v.queue, 'pending', v.labels, v.reasons,
           v.instructions, v.summary, v.due_at, v.escalate_to, v.priority, v.slot, v.reviewers_required
      FROM ${rows(values)} AS v(id uuid, item_id uuid, state text, visit integer, decision_id uuid, kind text,
                                queue text, labels jsonb, reasons jsonb, instructions text, summary jsonb,
                                due_at timestamptz, escalate_to text, priority integer, slot integer,
                                reviewers_required integer)`;
}

export function updateReviewTasksSql(values: readonly ReviewTaskUpdate[]): RawBuilder<unknown> {
  return sql`
    UPDATE review_tasks AS t SET
      status = v.status, queue = v.queue, priority = v.priority, assignee_id = v.assignee_id,
      claimed_at = v.claimed_at, lease_expires_at = v.lease_expires_at, completed_at = v.completed_at,
      escalated_at = v.escalated_at
      FROM ${rows(values)} AS v(id uuid, status text, queue text, priority integer, assignee_id uuid,
                                claimed_at timestamptz, lease_expires_at timestamptz, completed_at timestamptz,
                                escalated_at timestamptz)
     WHERE t.id = v.id`;
}

/**
 * The one write to an item's rows outside a plan: a heartbeat renews its holder's lease. It changes
 * neither the item nor who holds the task (the claim is planned and audited), so it goes unaudited
 * rather than putting a hash-chained event on the item's trail every minute.
 */
export function renewLeaseSql(taskId: string, minutes: number): RawBuilder<{ lease_expires_at: Date }> {
  return sql`
    UPDATE review_tasks SET lease_expires_at = now() + make_interval(mins => ${minutes})
     WHERE id = ${taskId}
    RETURNING lease_expires_at`;
}

export function insertReviewsSql(values: readonly ReviewInsert[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO reviews (id, task_id, reviewer_id, verdict, label, reason)
    SELECT v.id, v.task_id, v.reviewer_id, v.verdict, v.label, v.reason
      FROM ${rows(values)} AS v(id uuid, task_id uuid, reviewer_id uuid, verdict text, label text, reason text)`;
}

export function insertLabelsSql(values: readonly LabelInsert[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO labels (id, item_id, state, decision_id, review_id, workflow_name, workflow_version_id, agent, model,
                        model_version, prompt_version, input_text, ai_label, ai_confidence, human_label,
                        is_correction, reason, reviewer_id, adjudicated, final, field_changes, changed_fields)
    SELECT v.id, v.item_id, v.state, v.decision_id, v.review_id, v.workflow_name, v.workflow_version_id, v.agent,
           v.model, v.model_version, v.prompt_version, v.input_text, v.ai_label, v.ai_confidence, v.human_label,
           v.is_correction, v.reason, v.reviewer_id, v.adjudicated, v.final, v.field_changes,
           -- A structured label's changed leaf fields, from its diff (NULL for a classification).
           CASE WHEN v.field_changes IS NOT NULL
                THEN ARRAY(SELECT c->>'field' FROM jsonb_array_elements(v.field_changes) AS c) END
      FROM ${rows(values)} AS v(id uuid, item_id uuid, state text, decision_id uuid, review_id uuid,
                                workflow_name text, workflow_version_id uuid, agent text, model text,
                                model_version text, prompt_version text, input_text text, ai_label text,
                                ai_confidence double precision, human_label text, is_correction boolean,
                                reason text, reviewer_id uuid, adjudicated boolean, final boolean,
                                field_changes jsonb)`;
}

export function insertBranchRunsSql(values: readonly BranchRunInsert[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO branch_runs (item_id, state, visit, branch, status)
    SELECT v.item_id, v.state, v.visit, v.branch, 'running'
      FROM ${rows(values)} AS v(item_id uuid, state text, visit integer, branch text)`;
}

export function updateBranchRunsSql(values: readonly BranchRunUpdate[]): RawBuilder<unknown> {
  return sql`
    UPDATE branch_runs AS b SET
      status = v.status, attempt = v.attempt, output = v.output, error = v.error,
      finished_at = CASE WHEN v.finished THEN now() ELSE b.finished_at END
      FROM ${rows(values)} AS v(item_id uuid, state text, visit integer, branch text, status text,
                                attempt integer, output jsonb, error jsonb, finished boolean)
     WHERE b.item_id = v.item_id AND b.state = v.state AND b.visit = v.visit AND b.branch = v.branch`;
}

export function insertEventWaitsSql(values: readonly EventWaitInsert[]): RawBuilder<unknown> {
  return sql`
    INSERT INTO event_waits (item_id, state, visit, event_name, event_key, deadline, resolved_at, resolution, event_id)
    SELECT v.item_id, v.state, v.visit, v.event_name, v.event_key, v.deadline,
           CASE WHEN v.event_id IS NULL THEN NULL ELSE now() END,
           CASE WHEN v.event_id IS NULL THEN NULL ELSE 'event' END, v.event_id
      FROM ${rows(values)} AS v(item_id uuid, state text, visit integer, event_name text, event_key text,
                                deadline timestamptz, event_id uuid)`;
}

export function resolveEventWaitsSql(values: readonly EventWaitResolve[]): RawBuilder<unknown> {
  return sql`
    UPDATE event_waits AS w SET resolved_at = now(), resolution = v.resolution, event_id = v.event_id
      FROM ${rows(values)} AS v(item_id uuid, state text, visit integer, resolution text, event_id uuid)
     WHERE w.item_id = v.item_id AND w.state = v.state AND w.visit = v.visit`;
}

export function consumeEventsSql(ids: readonly string[]): RawBuilder<unknown> {
  return sql`
    UPDATE events SET consumed_at = now()
     WHERE id IN (SELECT e::uuid FROM jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) AS e)
       AND consumed_at IS NULL`;
}

/**
 * Audit events as `chainEvents` builds them. Their `data` is already JSON (the canonical text that
 * was hashed), so it goes into the array as it is: not escaped into a string, parsed once.
 */
export function insertAuditEventsSql(values: readonly NewAuditEvent[]): RawBuilder<unknown> {
  const json = `[${values
    .map(
      (e) =>
        `{"stream":${JSON.stringify(e.stream)},"seq":${e.seq},"item_id":${JSON.stringify(e.item_id ?? null)},"actor_type":${JSON.stringify(e.actor_type)},"actor_id":${JSON.stringify(e.actor_id ?? null)},"action":${JSON.stringify(e.action)},"data":${e.data},"created_at":${JSON.stringify(e.created_at)},"prev_hash":${JSON.stringify(e.prev_hash)},"hash":${JSON.stringify(e.hash)}}`,
    )
    .join(',')}]`;
  return sql`
    INSERT INTO audit_events (stream, seq, item_id, actor_type, actor_id, action, data, created_at, prev_hash, hash)
    SELECT v.stream, v.seq, v.item_id, v.actor_type, v.actor_id, v.action, v.data, v.created_at, v.prev_hash, v.hash
      FROM json_to_recordset(${json}::json) AS v(stream text, seq integer, item_id uuid, actor_type text,
                                actor_id text, action text, data jsonb, created_at timestamptz, prev_hash text, hash text)`;
}

export type ItemUpdateRow = ItemUpdate & { id: string; audit_seq: number; audit_hash: string };

/** The items' new positions, contexts and audit heads. */
export function updateItemsSql(values: readonly ItemUpdateRow[]): RawBuilder<unknown> {
  return sql`
    UPDATE items AS i SET
      status = v.status, current_state = v.current_state, visits = v.visits, attempt = v.attempt,
      context = v.context, error = v.error, finished_at = v.finished_at,
      audit_seq = v.audit_seq, audit_hash = v.audit_hash, updated_at = now()
      FROM ${rows(values)} AS v(id uuid, status text, current_state text, visits jsonb, attempt integer,
                                context jsonb, error jsonb, finished_at timestamptz,
                                audit_seq integer, audit_hash text)
     WHERE i.id = v.id`;
}

/** Only the audit heads: the item's position did not change (a claim, a QA verdict), nor its `updated_at`. */
export function updateAuditHeadsSql(values: readonly { id: string; audit_seq: number; audit_hash: string }[]) {
  return sql`
    UPDATE items AS i SET audit_seq = v.audit_seq, audit_hash = v.audit_hash
      FROM ${rows(values)} AS v(id uuid, audit_seq integer, audit_hash text)
     WHERE i.id = v.id`;
}
