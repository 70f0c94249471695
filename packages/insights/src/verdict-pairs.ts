import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { cohensKappa, type ReviewerAgreement } from './agreement';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { labelConditions } from './label-filter';
import { parseDashboardInput, resolveWindow } from './sql-parts';

/** Two independent verdicts on one multi-reviewer review point (item, state, visit). */
export interface VerdictPair {
  itemId: string;
  state: string;
  visit: number;
  decisionId: string | null;
  /** The lower slot's verdict, as the first rater. */
  first: { slot: number; reviewerId: string; label: string };
  second: { slot: number; reviewerId: string; label: string };
}

/**
 * The verdicts of multi-reviewer review points, paired: for every point whose tasks asked for N >= 2
 * independent verdicts, each two of its slots' verdicts (slot i before slot j, i < j: one pair at
 * four-eyes, three at N = 3), by different people by construction. Adjudications, QA samples and
 * single reviews are left out: a lead's settling rates nobody independently. Labels (verdicts)
 * given in `[from, to)` (default: the last 30 days) of the filter's workflow, state and model
 * version; review states' points count too.
 *
 * @example
 * const pairs = await verdictPairs(db, { workflow: 'support-triage' });
 * pairs[0]; // { itemId, state: 'classify', visit: 1, first: { slot: 1, label: 'refund', ... }, second: { slot: 2, ... } }
 */
export async function verdictPairs(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<VerdictPair[]> {
  const f = parseDashboardInput(dashboardFilter, input);
  const w = resolveWindow(f);
  const { rows } = await sql<{
    item_id: string;
    state: string;
    visit: number;
    decision_id: string | null;
    slot_a: number;
    reviewer_a: string;
    label_a: string;
    slot_b: number;
    reviewer_b: string;
    label_b: string;
  }>`
    WITH verdicts AS (
      SELECT t.item_id, t.state, t.visit, t.decision_id, t.slot, l.reviewer_id, l.human_label
        FROM labels l
        JOIN reviews r ON r.id = l.review_id
        JOIN review_tasks t ON t.id = r.task_id
       WHERE t.kind IN ('decision', 'review') AND t.reviewers_required >= 2 AND NOT l.adjudicated
         AND ${labelConditions(f, w, { onDecisions: false })}
    )
    SELECT a.item_id, a.state, a.visit, a.decision_id, a.slot AS slot_a, a.reviewer_id AS reviewer_a,
           a.human_label AS label_a, b.slot AS slot_b, b.reviewer_id AS reviewer_b, b.human_label AS label_b
      FROM verdicts a
      JOIN verdicts b ON b.item_id = a.item_id AND b.state = a.state AND b.visit = a.visit AND b.slot > a.slot
     ORDER BY a.item_id, a.state, a.visit, a.slot, b.slot`.execute(db);
  return rows.map((r) => ({
    itemId: r.item_id,
    state: r.state,
    visit: r.visit,
    decisionId: r.decision_id,
    first: { slot: r.slot_a, reviewerId: r.reviewer_a, label: r.label_a },
    second: { slot: r.slot_b, reviewerId: r.reviewer_b, label: r.label_b },
  }));
}

/**
 * Cohen's kappa of the independent verdicts of multi-reviewer review points (`verdictPairs`), the
 * lower slot as the first rater: how far the people reviewing the same items agree beyond chance.
 *
 * @example
 * (await multiReviewAgreement(db, { workflow: 'support-triage' })).kappa; // 0.4
 */
export async function multiReviewAgreement(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<ReviewerAgreement> {
  return cohensKappa(agreementCells(await verdictPairs(db, input)));
}

/** The two-rater table of verdict pairs, first label against second, sorted. Pure. */
export function agreementCells(pairs: readonly VerdictPair[]): { first: string; second: string; count: number }[] {
  const counts = new Map<string, { first: string; second: string; count: number }>();
  for (const p of pairs) {
    const key = JSON.stringify([p.first.label, p.second.label]);
    const cell = counts.get(key) ?? { first: p.first.label, second: p.second.label, count: 0 };
    cell.count++;
    counts.set(key, cell);
  }
  return [...counts.values()].sort((a, b) => a.first.localeCompare(b.first) || a.second.localeCompare(b.second));
}
