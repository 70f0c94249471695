// The purge's SQL, as small builders kept apart from the code that runs them. `$ids` is the batch
// of item ids being purged; `delete` clears a payload, `anonymise` keeps its structure, numbers and
// booleans and replaces every string (signoff_anonymise, migration 0029). Free texts (prompt
// snippets, reviewers' reasons) are cleared in both modes: a text with its words replaced says nothing.
import type { RetentionMode } from '@signoff/core';
import { type RawBuilder, sql } from 'kysely';

const FINISHED = sql`('succeeded', 'rejected', 'failed')`;

/**
 * The ids of a workflow's items past retention: finished (never running or waiting), before the
 * cut-off (strictly: an item finished exactly at it has had its period, not more), not purged, and
 * with no open task (a QA sample or an adjudication pending on a finished item holds it). `held`
 * selects the other side: past the cut-off but held by an open task. `lock` takes the rows
 * (`SKIP LOCKED`: concurrent purges share the work, and an item a transition holds waits for the next run).
 */
export function dueItemsSql(
  workflow: string,
  cutoff: Date,
  limit: number | null,
  lock: boolean,
  held = false,
): RawBuilder<{ id: string }> {
  return sql<{ id: string }>`
    SELECT i.id FROM items i
     WHERE i.workflow_name = ${workflow}
       AND i.purged_at IS NULL
       AND i.finished_at IS NOT NULL
       AND i.finished_at < ${cutoff}
       AND i.status IN ${FINISHED}
       AND ${held ? sql`` : sql`NOT`} EXISTS (
             SELECT 1 FROM review_tasks t WHERE t.item_id = i.id AND t.status <> 'done')
     ORDER BY i.finished_at, i.id
     ${limit === null ? sql`` : sql`LIMIT ${limit}`}
     ${lock ? sql`FOR UPDATE OF i SKIP LOCKED` : sql``}`;
}

/** A JSON payload as the mode leaves it. */
function purgedJson(column: RawBuilder<unknown>, mode: RetentionMode, empty: RawBuilder<unknown>): RawBuilder<unknown> {
  return mode === 'anonymise' ? sql`signoff_anonymise(${column})` : empty;
}

// A structured decision's label is a record (a tax id, an address, an e-mail: the canonical JSON of
// the object), so its label texts go too, replaced by a marker that keeps what the dashboards
// count: whether the person changed the record. Its field-level facts stay: which leaf fields were
// changed (schema paths, not data) and each field's confidence, score and method.
/** The label of a purged structured record the person left as the AI gave it (or the AI's own). */
export const PURGED_RECORD = '[purged]';
/** The label of a purged structured record the person corrected. */
export const PURGED_CORRECTION = '[purged: corrected]';

/** True when a decision's or state's output `c` is a structured answer's (it has `value` or per-field `fields`). */
const STRUCTURED_OUTPUT = (c: RawBuilder<unknown>) => sql`(${c} ? 'value' OR jsonb_typeof(${c}->'fields') = 'object')`;

/** Per-field confidence records kept by a purge: confidence, score and method (a note may quote data). */
const FIELD_RECORDS = (c: RawBuilder<unknown>) =>
  sql`CASE WHEN jsonb_typeof(${c}) = 'object' THEN (SELECT jsonb_object_agg(k, jsonb_strip_nulls(jsonb_build_object(
        'confidence', r->'confidence', 'score', r->'score', 'method', r->'method'))) FROM jsonb_each(${c}) AS e(k, r)) END`;

/** The label a purge leaves in output `c`: a structured record's marker, else the label (a classification's). */
const OUTPUT_LABEL = (c: RawBuilder<unknown>) =>
  sql`CASE WHEN ${STRUCTURED_OUTPUT(c)} THEN to_jsonb(CASE WHEN jsonb_typeof(${c}->'changedFields') = 'array'
        AND jsonb_array_length(${c}->'changedFields') > 0 THEN ${PURGED_CORRECTION}::text ELSE ${PURGED_RECORD}::text END)
        ELSE ${c}->'label' END`;

/** The facts a decide or review state's output keeps: its label, confidence and who decided (and a record's field facts). */
const OUTPUT_FACTS = (c: RawBuilder<unknown>) =>
  sql`jsonb_strip_nulls(jsonb_build_object('label', ${OUTPUT_LABEL(c)}, 'confidence', ${c}->'confidence',
        'decidedBy', ${c}->'decidedBy', 'reviewedBy', ${c}->'reviewedBy',
        'changedFields', ${c}->'changedFields', 'fields', ${FIELD_RECORDS(sql`${c}->'fields'`)}))`;

/** A structured label's text after a purge: the marker of a correction, or of a record left as it was. */
const PURGED_LABEL = sql`CASE WHEN l.is_correction THEN ${PURGED_CORRECTION}::text ELSE ${PURGED_RECORD}::text END`;

/** A label's field-level diff after a purge: the fields changed, their values gone (delete) or anonymised. */
function purgedFieldChanges(mode: RetentionMode): RawBuilder<unknown> {
  const values =
    mode === 'anonymise'
      ? sql`jsonb_build_object('ai', signoff_anonymise(c->'ai'), 'human', signoff_anonymise(c->'human'))`
      : sql`'{}'::jsonb`;
  return sql`(SELECT COALESCE(jsonb_agg(jsonb_build_object('field', c->'field') || ${values} ORDER BY n), '[]'::jsonb)
                FROM jsonb_array_elements(CASE WHEN jsonb_typeof(l.field_changes) = 'array' THEN l.field_changes
                                          ELSE '[]'::jsonb END) WITH ORDINALITY AS a(c, n))`;
}

/** An error keeps where it happened and its code; its message (which may quote data) goes. */
const ERROR_FACTS = (c: RawBuilder<unknown>) =>
  sql`CASE WHEN ${c} IS NULL OR jsonb_typeof(${c}) <> 'object' THEN ${c}
        ELSE jsonb_strip_nulls(jsonb_build_object('state', ${c}->'state', 'code', ${c}->'code', 'message', '[purged]')) END`;

/** The statements that purge a batch of items, in order; each takes the batch's ids as `ids`. */
export function purgeStatements(ids: string[], mode: RetentionMode, now: Date): RawBuilder<unknown>[] {
  const batch = sql`(SELECT unnest(${ids}::uuid[]))`;
  const j = (c: string) => sql.ref(c);
  return [
    sql`UPDATE items SET
          input = ${purgedJson(j('input'), mode, sql`'null'::jsonb`)},
          context = ${purgedJson(j('context'), mode, sql`'{}'::jsonb`)},
          error = ${ERROR_FACTS(j('error'))},
          purged_at = ${now}
        WHERE id IN ${batch}`,
    sql`UPDATE state_runs SET output = CASE
          WHEN output IS NULL THEN NULL
          WHEN kind IN ('decide', 'review') AND jsonb_typeof(output) = 'object'
            THEN ${purgedJson(j('output'), mode, sql`'{}'::jsonb`)} || ${OUTPUT_FACTS(j('output'))}
          ELSE ${purgedJson(j('output'), mode, sql`NULL`)} END
        WHERE item_id IN ${batch}`,
    sql`UPDATE branch_runs SET output = ${purgedJson(j('output'), mode, sql`NULL`)}, error = ${ERROR_FACTS(j('error'))}
        WHERE item_id IN ${batch}`,
    // A decision keeps its label, confidences, route, reasons and timings; the prompt snippet, the
    // rationale, the checker's message and the tool calls (arguments, results) go.
    sql`UPDATE decisions SET input_text = '',
          label = CASE WHEN label IS NOT NULL AND ${STRUCTURED_OUTPUT(j('output'))} THEN ${PURGED_RECORD} ELSE label END,
          output = ${purgedJson(j('output'), mode, sql`'{}'::jsonb`)} || jsonb_strip_nulls(jsonb_build_object(
            'label', CASE WHEN ${STRUCTURED_OUTPUT(j('output'))} AND output->'label' <> 'null'::jsonb
              THEN to_jsonb(${PURGED_RECORD}::text) ELSE output->'label' END,
            'fields', ${FIELD_RECORDS(sql`output->'fields'`)},
            'checker', CASE WHEN output ? 'checker' THEN jsonb_strip_nulls(jsonb_build_object(
              'agent', output->'checker'->'agent', 'agrees', output->'checker'->'agrees',
              'label', output->'checker'->'label', 'confidence', output->'checker'->'confidence')) END,
            'toolCallCount', CASE WHEN jsonb_typeof(output->'toolCalls') = 'array'
              THEN to_jsonb(jsonb_array_length(output->'toolCalls')) END))
        WHERE item_id IN ${batch}`,
    sql`UPDATE review_tasks SET summary = ${purgedJson(j('summary'), mode, sql`NULL`)} WHERE item_id IN ${batch}`,
    sql`UPDATE reviews SET reason = NULL
        WHERE reason IS NOT NULL AND task_id IN (SELECT id FROM review_tasks WHERE item_id IN ${batch})`,
    sql`UPDATE labels SET input_text = NULL, reason = NULL
        WHERE item_id IN ${batch} AND (input_text IS NOT NULL OR reason IS NOT NULL)`,
    // Structured labels (changed_fields set): the records the AI and the person gave, in the review too.
    sql`UPDATE reviews r SET label = ${PURGED_LABEL}
          FROM labels l
         WHERE l.review_id = r.id AND l.item_id IN ${batch} AND l.changed_fields IS NOT NULL AND r.label IS NOT NULL`,
    sql`UPDATE labels l SET ai_label = CASE WHEN l.ai_label IS NULL THEN NULL ELSE ${PURGED_RECORD} END,
          human_label = ${PURGED_LABEL}, field_changes = ${purgedFieldChanges(mode)}
        WHERE l.item_id IN ${batch} AND l.changed_fields IS NOT NULL`,
    sql`UPDATE events SET payload = ${purgedJson(j('payload'), mode, sql`'null'::jsonb`)}
        WHERE id IN (SELECT event_id FROM event_waits WHERE item_id IN ${batch} AND event_id IS NOT NULL)`,
    // The one change snapshots accept (migration 0029's trigger), inside this transaction only.
    sql`SELECT set_config('signoff.retention_purge', 'on', true)`,
    sql`UPDATE dataset_snapshot_rows SET line = NULL, purged_at = ${now}
        WHERE purged_at IS NULL AND label_id IN (SELECT id FROM labels WHERE item_id IN ${batch})`,
    sql`SELECT set_config('signoff.retention_purge', 'off', true)`,
  ];
}

/**
 * How many of a batch's items have events written before migration 0029, which carry payloads in
 * clear (an output, an event payload, a reason, tool calls or a checker's answer without its
 * digest). audit_events is append-only and its chain covers them: the purge cannot clear them, so
 * it counts them on its `retention.purged` event (docs/retention.md).
 */
export function legacyPayloadItemsSql(ids: string[]): RawBuilder<{ n: number }> {
  return sql<{ n: number }>`
    SELECT count(DISTINCT e.stream)::int AS n FROM audit_events e
     WHERE e.stream = ANY(${ids.map(String)}::text[])
       AND (e.data ? 'output' OR e.data ? 'payload' OR (e.data ? 'reason' AND e.action <> 'task.escalated') OR jsonb_typeof(e.data->'toolCalls') = 'array'
            OR (e.data ? 'checker' AND NOT e.data ? 'checkerHash'))`;
}
