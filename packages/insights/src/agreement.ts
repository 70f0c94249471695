import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { CLASSIFICATION_LABEL, labelConditions } from './label-filter';
import { parseDashboardInput, resolveWindow } from './sql-parts';

export interface ReviewerAgreement {
  /** Items (per state) reviewed by two different people. */
  pairs: number;
  /** Cohen's kappa; null when it cannot be computed, with the reason. */
  kappa: number | null;
  reason: string | null;
  /** Share of pairs with the same label. */
  observed: number | null;
  /** Agreement expected by chance from each side's label shares. */
  expected: number | null;
  /** Cohen's (1960) large-sample standard error of kappa, `sqrt(po (1 - po) / (n (1 - pe)^2))`. */
  standardError: number | null;
  /** The first reviewer's label against the second's. */
  cells: { first: string; second: string; count: number }[];
  labels: string[];
}

/**
 * Inter-reviewer agreement: Cohen's kappa (J. Cohen, "A coefficient of agreement for nominal
 * scales", Educational and Psychological Measurement 20(1), 1960) over the items reviewed twice.
 * A pair is the first two labels by different people on the same item and state given in
 * `[from, to)` (default: the last 30 days), the earlier one as the first rater; adjudications are
 * left out (they settle a disagreement, they do not rate independently), and so are a person's
 * later labels on the same item. Labels of review states count too (a person, not the AI, is rated);
 * a structured decision's do not (its labels are records, not categories: `CLASSIFICATION_LABEL`).
 * `kappa = (po - pe) / (1 - pe)`.
 *
 * @example
 * const a = await reviewerAgreement(db, { workflow: 'support-triage' });
 * a.kappa; // 0.4 (10 pairs: 7 agree, chance 0.5)
 */
export async function reviewerAgreement(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<ReviewerAgreement> {
  const f = parseDashboardInput(dashboardFilter, input);
  const w = resolveWindow(f);
  const { rows } = await sql<{ first: string; second: string; count: number }>`
    WITH twice AS (
      SELECT l.item_id, l.state FROM labels l
       WHERE NOT l.adjudicated AND ${CLASSIFICATION_LABEL} AND ${labelConditions(f, w, { onDecisions: false })}
       GROUP BY 1, 2 HAVING count(DISTINCT l.reviewer_id) >= 2
    ), firsts AS (
      SELECT DISTINCT ON (l.item_id, l.state, l.reviewer_id) l.item_id, l.state, l.human_label, l.created_at, l.id
        FROM labels l JOIN twice t ON t.item_id = l.item_id AND t.state = l.state
       WHERE NOT l.adjudicated AND ${CLASSIFICATION_LABEL} AND ${labelConditions(f, w, { onDecisions: false })}
       ORDER BY l.item_id, l.state, l.reviewer_id, l.created_at, l.id
    ), ordered AS (
      SELECT item_id, state, human_label,
             row_number() OVER (PARTITION BY item_id, state ORDER BY created_at, id) AS k
        FROM firsts
    )
    SELECT a.human_label AS first, b.human_label AS second, count(*)::int AS count
      FROM ordered a JOIN ordered b ON b.item_id = a.item_id AND b.state = a.state AND b.k = 2
     WHERE a.k = 1
     GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  return cohensKappa(rows);
}

/**
 * Cohen's kappa from a two-rater table. Pure.
 *
 * @example
 * cohensKappa([{ first: 'y', second: 'y', count: 4 }, { first: 'n', second: 'n', count: 3 },
 *              { first: 'y', second: 'n', count: 2 }, { first: 'n', second: 'y', count: 1 }]).kappa; // 0.4
 */
export function cohensKappa(cells: { first: string; second: string; count: number }[]): ReviewerAgreement {
  const labels = [...new Set(cells.flatMap((c) => [c.first, c.second]))].sort();
  const n = cells.reduce((a, c) => a + c.count, 0);
  const none = { observed: null, expected: null, standardError: null, kappa: null };
  if (n === 0) return { pairs: 0, ...none, reason: 'No items reviewed twice yet', cells, labels };
  const share = (side: 'first' | 'second', label: string) =>
    cells.filter((c) => c[side] === label).reduce((a, c) => a + c.count, 0) / n;
  const po = cells.filter((c) => c.first === c.second).reduce((a, c) => a + c.count, 0) / n;
  const pe = labels.reduce((a, k) => a + share('first', k) * share('second', k), 0);
  if (pe >= 1)
    return {
      pairs: n,
      ...none,
      observed: po,
      expected: pe,
      reason: `Every pair is labelled "${labels[0]}" by both people: agreement by chance is certain, so kappa is undefined`,
      cells,
      labels,
    };
  return {
    pairs: n,
    kappa: (po - pe) / (1 - pe),
    reason: null,
    observed: po,
    expected: pe,
    standardError: Math.sqrt((po * (1 - po)) / (n * (1 - pe) ** 2)),
    cells,
    labels,
  };
}
