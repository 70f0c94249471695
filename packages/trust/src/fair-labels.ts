// Fair labels: human verdicts on decisions whose inclusion probability in the audit sample is
// known, read with the decisions they stand for.
import type { DB } from '@signoff/db';
import { type Kysely, sql } from 'kysely';
import type { ScoredDecision } from './certification';

/** Which decisions: one decide state's, of one model version, confidence method and prompt version. */
export interface DecisionKey {
  workflow: string;
  state: string;
  agent: string;
  modelVersion: string;
  confidenceMethod: string;
  promptVersion: string;
  /**
   * A structured state's certified leaf field: its decisions are then ranked by the field's score,
   * `confidenceMethod` is the field's method, and a decision is wrong when the reviewer changed
   * the field (see `field-labels.ts`).
   */
  field?: string | undefined;
}

export interface Window {
  from: Date;
  to: Date;
}

/**
 * The key of a state's most recent scored decision: what `signoff certify` certifies by default.
 *
 * @example
 * await latestDecisionKey(db, 'support-triage', 'classify'); // { agent, modelVersion: 'lr-v3', ... }
 */
export async function latestDecisionKey(
  db: Kysely<DB>,
  workflow: string,
  state: string,
): Promise<DecisionKey | undefined> {
  const row = await db
    .selectFrom('decisions as d')
    .innerJoin('items as i', 'i.id', 'd.item_id')
    .select(['d.agent', 'd.model_version', 'd.confidence_method', 'd.prompt_version'])
    .where('i.workflow_name', '=', workflow)
    .where('d.state', '=', state)
    .where('d.score', 'is not', null)
    .where('d.audit_probability', 'is not', null)
    .orderBy('d.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row
    ? {
        workflow,
        state,
        agent: row.agent,
        modelVersion: row.model_version,
        confidenceMethod: row.confidence_method,
        promptVersion: row.prompt_version,
      }
    : undefined;
}

/**
 * The decisions of a key in a window, each with its score, audit probability and, where a person
 * labelled it, whether the AI was wrong, by its final label (`labels.final`: a four-eyes decision
 * counts once, and one whose reviewers disagree only once a lead settled it); of several, the
 * adjudicated one wins, else the latest. Decisions that could never be drawn (audit probability 0) stay in the
 * population, where no label can vouch for them. A label still pending counts as not drawn: that costs power, not validity,
 * as long as which drawn decisions get answered first does not depend on whether the AI was right.
 *
 * @example
 * const decisions = await loadScoredDecisions(db, key, { from, to });
 * certifyThreshold(decisions, { maxError: 0.01, delta: 0.05 });
 */
export async function loadScoredDecisions(
  db: Kysely<DB>,
  key: DecisionKey,
  window: Window,
): Promise<(ScoredDecision & { id: string })[]> {
  const rows = await sql<{ id: string; score: number; probability: number; wrong: boolean | null }>`
    SELECT d.id, d.score, d.audit_probability AS probability,
           CASE WHEN lab.human_label IS NULL THEN NULL ELSE lab.human_label <> d.label END AS wrong
      FROM decisions d
      JOIN items i ON i.id = d.item_id
      LEFT JOIN LATERAL (
        SELECT l.human_label FROM labels l WHERE l.decision_id = d.id AND l.final
         ORDER BY l.adjudicated DESC, l.created_at DESC, l.id DESC LIMIT 1
      ) lab ON true
     WHERE i.workflow_name = ${key.workflow} AND d.state = ${key.state} AND d.agent = ${key.agent}
       AND d.model_version = ${key.modelVersion} AND d.confidence_method = ${key.confidenceMethod}
       AND d.prompt_version = ${key.promptVersion}
       AND d.score IS NOT NULL AND d.audit_probability IS NOT NULL AND d.label IS NOT NULL
       AND d.created_at >= ${window.from} AND d.created_at < ${window.to}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.id,
    score: r.score,
    probability: r.probability,
    ...(r.wrong === null ? {} : { wrong: r.wrong }),
  }));
}
