// Fair labels of one leaf field of a structured decision: the field is right when the reviewer
// left it as the AI gave it (it is not among the label's `changed_fields`), and the field's own
// score (`decisions.output->'fields'-><field>->'score'`) ranks it. The decision's audit
// probability is the field's too: one draw decides whether a person sees the whole record.
import type { DB } from '@signoff/db';
import { type Kysely, sql } from 'kysely';
import type { ScoredDecision } from './certification';
import type { DecisionKey, Window } from './fair-labels';

/**
 * Whether the AI got `field` wrong by a structured label's `changed_fields`: true when the
 * reviewer changed it, false when they kept it; undefined without a field-level label (no label,
 * or a label that records no field diff), which counts as not drawn.
 *
 * @example
 * fieldWrong(['amount'], 'amount'); // true
 * fieldWrong([], 'amount'); // false: the reviewer confirmed every field
 * fieldWrong(null, 'amount'); // undefined
 */
export function fieldWrong(changedFields: readonly string[] | null | undefined, field: string): boolean | undefined {
  if (changedFields === null || changedFields === undefined) return undefined;
  return changedFields.includes(field);
}

/** A decision as stored, for one field: its field score, audit probability and final label's field diff. */
export interface FieldLabelRow {
  id: string;
  score: number;
  probability: number;
  changedFields: readonly string[] | null;
}

/** The field's view of the decisions: what `certifyThreshold` and the accuracy report take. */
export function fieldDecisions(rows: readonly FieldLabelRow[], field: string): (ScoredDecision & { id: string })[] {
  return rows.map((r) => {
    const wrong = fieldWrong(r.changedFields, field);
    return { id: r.id, score: r.score, probability: r.probability, ...(wrong === undefined ? {} : { wrong }) };
  });
}

/**
 * The key of a state's most recent decision that scored `field`: what `signoff certify --field`
 * certifies by default. Its confidence method is the field's own (a field may fall back to another
 * method than the record's).
 *
 * @example
 * await latestFieldDecisionKey(db, 'vendor-onboarding', 'extract', 'taxId'); // { field: 'taxId', confidenceMethod: 'logprobs', ... }
 */
export async function latestFieldDecisionKey(
  db: Kysely<DB>,
  workflow: string,
  state: string,
  field: string,
): Promise<DecisionKey | undefined> {
  const r = await sql<{ agent: string; model_version: string; prompt_version: string; method: string }>`
    SELECT d.agent, d.model_version, d.prompt_version, d.output->'fields'->${field}->>'method' AS method
      FROM decisions d
      JOIN items i ON i.id = d.item_id
     WHERE i.workflow_name = ${workflow} AND d.state = ${state}
       AND d.audit_probability IS NOT NULL
       AND jsonb_typeof(d.output->'fields'->${field}->'score') = 'number'
       AND d.output->'fields'->${field}->>'method' IS NOT NULL
     ORDER BY d.created_at DESC
     LIMIT 1`.execute(db);
  const row = r.rows[0];
  return row
    ? {
        workflow,
        state,
        field,
        agent: row.agent,
        modelVersion: row.model_version,
        confidenceMethod: row.method,
        promptVersion: row.prompt_version,
      }
    : undefined;
}

/**
 * The decisions of a field's key in a window, each with the field's score, the decision's audit
 * probability and, where its final label records a field diff, whether the AI got the field wrong
 * (of several final labels, the adjudicated one wins, else the latest, as for whole decisions).
 *
 * @example
 * const decisions = await loadFieldDecisions(db, key, { from, to });
 * certifyThreshold(decisions, { maxError: 0.01, delta: 0.05 });
 */
export async function loadFieldDecisions(
  db: Kysely<DB>,
  key: DecisionKey & { field: string },
  window: Window,
): Promise<(ScoredDecision & { id: string })[]> {
  const rows = await sql<{ id: string; score: number; probability: number; changed_fields: string[] | null }>`
    SELECT d.id, (d.output->'fields'->${key.field}->>'score')::float8 AS score,
           d.audit_probability AS probability, lab.changed_fields
      FROM decisions d
      JOIN items i ON i.id = d.item_id
      LEFT JOIN LATERAL (
        SELECT l.changed_fields FROM labels l WHERE l.decision_id = d.id AND l.final
         ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
      ) lab ON true
     WHERE i.workflow_name = ${key.workflow} AND d.state = ${key.state} AND d.agent = ${key.agent}
       AND d.model_version = ${key.modelVersion} AND d.prompt_version = ${key.promptVersion}
       AND d.output->'fields'->${key.field}->>'method' = ${key.confidenceMethod}
       AND jsonb_typeof(d.output->'fields'->${key.field}->'score') = 'number'
       AND d.audit_probability IS NOT NULL AND d.label IS NOT NULL
       AND d.created_at >= ${window.from} AND d.created_at < ${window.to}`.execute(db);
  return fieldDecisions(
    rows.rows.map((r) => ({ id: r.id, score: r.score, probability: r.probability, changedFields: r.changed_fields })),
    key.field,
  );
}
