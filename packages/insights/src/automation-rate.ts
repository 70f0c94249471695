import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type BucketedFilterInput, bucketedFilter } from './inputs';
import { allOf, bucketOf, equalsIfGiven, parseDashboardInput, resolveWindow, within } from './sql-parts';

export interface AutomationPoint {
  /** Start of the bucket (UTC): `YYYY-MM-DD`. */
  bucket: string;
  decisions: number;
  /** Accepted without a person waiting: routes `auto` and `sampled` (a QA sample does not hold the item). */
  automated: number;
  /** Of the automated, those also drawn for a QA review. */
  sampled: number;
  /** Sent to a person before the item could go on. */
  reviewed: number;
  /** `automated / decisions`. */
  rate: number;
}

/**
 * The share of decisions the AI settled alone, per day or ISO week of the decision, over
 * `[from, to)` (default: the last 30 days, daily). Buckets without decisions are left out.
 *
 * @example
 * const points = await automationRate(db, { workflow: 'support-triage', bucket: 'week' });
 * // [{ bucket: '2026-11-02', decisions: 5120, automated: 4710, sampled: 236, reviewed: 410, rate: 0.92 }, ...]
 */
export async function automationRate(
  db: Kysely<DB> | Transaction<DB>,
  input: BucketedFilterInput = {},
): Promise<AutomationPoint[]> {
  const f = parseDashboardInput(bucketedFilter, input);
  const w = resolveWindow(f);
  const { rows } = await sql<Omit<AutomationPoint, 'rate'>>`
    SELECT ${bucketOf('d.created_at', f.bucket)} AS bucket, count(*)::int AS decisions,
           (count(*) FILTER (WHERE d.route <> 'review'))::int AS automated,
           (count(*) FILTER (WHERE d.route = 'sampled'))::int AS sampled,
           (count(*) FILTER (WHERE d.route = 'review'))::int AS reviewed
      FROM decisions d
     WHERE ${within('d.created_at', w)}
       AND ${allOf([equalsIfGiven('d.workflow_name', f.workflow), equalsIfGiven('d.state', f.state), equalsIfGiven('d.model_version', f.modelVersion)])}
     GROUP BY 1 ORDER BY 1`.execute(db);
  return rows.map((r) => ({ ...r, rate: r.automated / r.decisions }));
}
