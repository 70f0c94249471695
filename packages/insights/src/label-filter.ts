import { sql } from 'kysely';
import type { Window } from './inputs';
import { allOf, equalsIfGiven, within } from './sql-parts';

/**
 * The labels a label-based dashboard counts (alias `l`): given in `[from, to)`, on a decision of
 * the filter's workflow, state and model version (labels carry them, so no join is needed).
 * `onDecisions: false` also counts labels of review states, which answer no AI decision.
 */
export function labelConditions(
  f: { workflow?: string | undefined; state?: string | undefined; modelVersion?: string | undefined },
  w: Window,
  options: { onDecisions: boolean } = { onDecisions: true },
) {
  return allOf([
    options.onDecisions ? sql`l.decision_id IS NOT NULL` : undefined,
    within('l.created_at', w),
    equalsIfGiven('l.workflow_name', f.workflow),
    equalsIfGiven('l.state', f.state),
    equalsIfGiven('l.model_version', f.modelVersion),
  ]);
}

/**
 * The labels that answer their review point (`labels.final`, migration 0022): the other verdicts of
 * a multi-reviewer point are kept for agreement and per-reviewer counts, but a decision is counted
 * once, by its answer; one whose reviewers disagree counts only once a lead adjudicated it.
 */
export const DECISIVE_LABEL = sql`l.final`;

/** One label per decision, the one that counts: an adjudicated label first, else the latest. */
export const DECISIVE_LABEL_ORDER = sql`l.decision_id, l.adjudicated DESC, l.created_at DESC, l.id DESC`;

/**
 * A classification's label, not a structured decision's (`changed_fields` is set only on those,
 * migration 0030): its labels are records (a tax id, an address), neither categories to cross nor
 * texts to show on a dashboard. Per-field figures are `fieldAccuracy` and `fieldCalibration`.
 */
export const CLASSIFICATION_LABEL = sql`l.changed_fields IS NULL`;
