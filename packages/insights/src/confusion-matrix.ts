import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { CLASSIFICATION_LABEL, DECISIVE_LABEL, DECISIVE_LABEL_ORDER, labelConditions } from './label-filter';
import { parseDashboardInput, resolveWindow } from './sql-parts';

export interface ConfusionMatrix {
  /** Every label that occurs on either side, sorted. */
  labels: string[];
  /** Non-empty cells: the AI said `ai`, the person `human`. */
  cells: { ai: string; human: string; count: number }[];
  total: number;
  /** Share of the diagonal (AI and person agree); null without labels. */
  agreement: number | null;
}

/**
 * The AI's label against the person's, one label per decision (adjudicated first, else the
 * latest), for labels given in `[from, to)` (default: the last 30 days). Classifications only: a
 * structured decision's labels are records, not categories (see `fieldAccuracy`).
 *
 * @example
 * const m = await confusionMatrix(db, { workflow: 'support-triage', state: 'classify' });
 * m.cells; // [{ ai: 'billing', human: 'billing', count: 412 }, { ai: 'billing', human: 'refund', count: 9 }, ...]
 */
export async function confusionMatrix(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<ConfusionMatrix> {
  const f = parseDashboardInput(dashboardFilter, input);
  const w = resolveWindow(f);
  const { rows } = await sql<{ ai: string; human: string; count: number }>`
    WITH decisive AS (
      SELECT DISTINCT ON (l.decision_id) l.ai_label, l.human_label
        FROM labels l
       WHERE l.ai_label IS NOT NULL AND ${CLASSIFICATION_LABEL} AND ${labelConditions(f, w)} AND ${DECISIVE_LABEL}
       ORDER BY ${DECISIVE_LABEL_ORDER}
    )
    SELECT ai_label AS ai, human_label AS human, count(*)::int AS count
      FROM decisive GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  const total = rows.reduce((a, r) => a + r.count, 0);
  const agree = rows.filter((r) => r.ai === r.human).reduce((a, r) => a + r.count, 0);
  return {
    labels: [...new Set(rows.flatMap((r) => [r.ai, r.human]))].sort(),
    cells: rows,
    total,
    agreement: total > 0 ? agree / total : null,
  };
}
