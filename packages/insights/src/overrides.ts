import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { labelConditions } from './label-filter';
import { parseDashboardInput, resolveWindow } from './sql-parts';

export interface OverrideRow {
  reviewerId: string;
  reviewer: string;
  /** Verdicts on AI decisions given in the window (every label, adjudications included). */
  verdicts: number;
  /** Of them, corrections: the person changed the AI's answer. */
  corrections: number;
  adjudications: number;
  /** `corrections / verdicts`. */
  overrideRate: number;
}

/**
 * How often each reviewer overrode the AI: corrections among their verdicts on AI decisions given
 * in `[from, to)` (default: the last 30 days), most verdicts first. Every label counts (not only
 * the decisive one): this is about what each person did.
 *
 * @example
 * const rows = await overridesPerReviewer(db, { workflow: 'support-triage' });
 * // [{ reviewer: 'Ada', verdicts: 312, corrections: 21, adjudications: 0, overrideRate: 0.067, ... }]
 */
export async function overridesPerReviewer(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<OverrideRow[]> {
  const f = parseDashboardInput(dashboardFilter, input);
  const w = resolveWindow(f);
  const { rows } = await sql<Omit<OverrideRow, 'overrideRate'>>`
    SELECT l.reviewer_id AS "reviewerId", u.name AS reviewer, count(*)::int AS verdicts,
           (count(*) FILTER (WHERE l.is_correction))::int AS corrections,
           (count(*) FILTER (WHERE l.adjudicated))::int AS adjudications
      FROM labels l
      JOIN users u ON u.id = l.reviewer_id
     WHERE l.ai_label IS NOT NULL AND ${labelConditions(f, w)}
     GROUP BY l.reviewer_id, u.name
     ORDER BY verdicts DESC, u.name`.execute(db);
  return rows.map((r) => ({ ...r, overrideRate: r.corrections / r.verdicts }));
}
