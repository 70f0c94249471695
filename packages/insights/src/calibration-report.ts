import { type CalibrationPoint, expectedCalibrationError, reliabilityBins } from '@signoff/ai';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type CalibrationInput, calibrationInput } from './inputs';
import { DECISIVE_LABEL, DECISIVE_LABEL_ORDER, labelConditions } from './label-filter';
import { parseDashboardInput, resolveWindow, withRoomToSort } from './sql-parts';

export interface CalibrationReport {
  confidence: 'calibrated' | 'raw';
  /** Per equal-width bin: mean confidence, share right, count (`reliabilityBins` of `@signoff/ai`). */
  bins: { from: number; to: number; confidence: number; accuracy: number; count: number }[];
  /** Expected calibration error over the same bins (`expectedCalibrationError`); null without labels. */
  ece: number | null;
  labelled: number;
}

/**
 * The reliability diagram and ECE of decisions against their decisive human label (adjudicated
 * first, else the latest) given in `[from, to)`: is a decision shown as 90% sure right 90% of the time?
 *
 * PostgreSQL sums each bin (count, confidence, right answers) with the binning rule of
 * `reliabilityBins` (`floor(p * bins)`, 1.0 in the top bin), so a million labels never travel; each
 * bin then stands as `count` points at its mean confidence, `right` of them right, which gives
 * `reliabilityBins` and `expectedCalibrationError` exactly the figures they give on the raw points.
 *
 * @example
 * const r = await calibrationReport(db, { workflow: 'support-triage', bins: 10 });
 * r.ece; // 0.031
 */
export async function calibrationReport(
  db: Kysely<DB> | Transaction<DB>,
  input: CalibrationInput = {},
): Promise<CalibrationReport> {
  const f = parseDashboardInput(calibrationInput, input);
  const w = resolveWindow(f);
  const p = f.confidence === 'raw' ? sql.ref('d.confidence') : sql.ref('d.calibrated_confidence');
  const { rows } = await withRoomToSort(db, (db) =>
    sql<{ bin: number; n: number; p: number; right: number }>`
    WITH decisive AS (
      SELECT DISTINCT ON (l.decision_id) l.decision_id, l.human_label
        FROM labels l
       WHERE ${labelConditions(f, w)} AND ${DECISIVE_LABEL}
       ORDER BY ${DECISIVE_LABEL_ORDER}
    ), points AS (
      -- One index probe per label (LIMIT 1 keeps the planner from hashing every decision there is).
      SELECT least(greatest(d.p, 0), 1) AS p, (d.label = x.human_label) AS is_right
        FROM decisive x
        CROSS JOIN LATERAL (SELECT ${p} AS p, d.label FROM decisions d WHERE d.id = x.decision_id LIMIT 1) d
       WHERE d.label IS NOT NULL
    )
    SELECT least(floor(p * ${f.bins})::int, ${f.bins - 1}) AS bin, count(*)::int AS n, sum(p)::float8 AS p,
           (count(*) FILTER (WHERE is_right))::int AS "right"
      FROM points GROUP BY 1 ORDER BY 1`.execute(db),
  );
  return { confidence: f.confidence, ...binnedCalibration(rows, f.bins) };
}

/**
 * The reliability bins and ECE of per-bin sums (count `n`, confidence sum `p`, right answers),
 * each bin standing as `n` points at its mean confidence, `right` of them right.
 */
export function binnedCalibration(
  rows: readonly { bin: number; n: number; p: number; right: number }[],
  bins: number,
): Omit<CalibrationReport, 'confidence'> {
  const points: CalibrationPoint[] = [];
  for (const r of rows) {
    const mean = inBin(r.p / r.n, r.bin, bins);
    for (let i = 0; i < r.n; i++) points.push({ p: mean, correct: i < r.right });
  }
  return {
    bins: reliabilityBins(points, bins),
    ece: points.length > 0 ? expectedCalibrationError(points, bins) : null,
    labelled: points.length,
  };
}

/**
 * A bin's mean confidence, moved by rounding error only, back into the bin `reliabilityBins` will
 * put it in: the mean of values in [b/bins, (b+1)/bins) lies there, but its floating-point sum may not.
 */
function inBin(mean: number, bin: number, bins: number): number {
  const binOf = (p: number) => Math.min(bins - 1, Math.floor(p * bins));
  let m = mean;
  for (let i = 0; i < 64 && binOf(m) < bin; i++) m += 1e-15;
  for (let i = 0; i < 64 && binOf(m) > bin; i++) m -= 1e-15;
  return m;
}
