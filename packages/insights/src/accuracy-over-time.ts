import type { DB } from '@signoff/db';
import { clopperPearsonLower, clopperPearsonUpper, errorBound, type Stratum } from '@signoff/trust';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { type AccuracyOverTimeInput, accuracyOverTimeInput, type Window } from './inputs';
import { DECISIVE_LABEL, DECISIVE_LABEL_ORDER, labelConditions } from './label-filter';
import { allOf, equalsIfGiven, parseDashboardInput, resolveWindow, within, withRoomToSort } from './sql-parts';

/**
 * A decision's labels are given after it, so those of the window's decisions are among the labels
 * given since its start; a day earlier still, in case two servers' clocks disagree.
 */
export const LABEL_CLOCK_SLACK_MS = 86_400_000;
export const FOREVER = new Date('9999-12-31T00:00:00Z');

/** An accuracy with its exact interval; null accuracy when nothing was labelled. */
export interface AccuracyEstimate {
  accuracy: number | null;
  lower: number;
  upper: number;
  labelled: number;
  wrong: number;
}

export interface AccuracyPoint {
  workflow: string;
  state: string;
  modelVersion: string;
  /** Start of the bucket (UTC): `YYYY-MM-DD`. */
  bucket: string;
  decisions: number;
  /**
   * What the AI decided alone (routes `auto` and `sampled`): 1 minus the Horvitz-Thompson error of
   * the audit sample, each stratum of audit probability weighted by the decisions it stands for,
   * with the exact stratified interval of `@signoff/trust`'s `errorBound` (Clopper-Pearson per
   * stratum, Bonferroni across strata). `population`: the auto-accepted decisions.
   */
  automated: AccuracyEstimate & { population: number };
  /**
   * Decisions routed to people: the share a person confirmed, with a two-sided Clopper-Pearson
   * interval. Not a random sample (low-confidence and risky decisions, on purpose).
   */
  routed: AccuracyEstimate & { decisions: number };
}

/**
 * Accuracy against human labels per workflow, state, model version and day or ISO week of the
 * decision, over `[from, to)` (default: the last 30 days, weekly). Counts decisions that record
 * their audit probability and have an answer; of several labels on a decision the adjudicated one
 * wins, else the latest (as `accuracyReport`). The workflow is the decision's copy of its item's
 * (migration 0017), so no decision is joined to its item. Intervals at `confidence` (default 95%).
 *
 * @example
 * const points = await accuracyOverTime(db, { workflow: 'support-triage', bucket: 'day' });
 * points[0].automated; // { accuracy: 0.994, lower: 0.981, upper: 0.999, labelled: 312, ... }
 */
export async function accuracyOverTime(
  db: Kysely<DB> | Transaction<DB>,
  input: AccuracyOverTimeInput = {},
): Promise<AccuracyPoint[]> {
  const f = parseDashboardInput(accuracyOverTimeInput, input);
  const w = resolveWindow(f);
  const delta = 1 - f.confidence;
  const keys = sql`d.workflow_name AS workflow, d.state, d.model_version,
    date_trunc(${sql.lit(f.bucket)}, d.created_at AT TIME ZONE 'UTC') AS bucket,
    d.route = 'review' AS routed, d.audit_probability AS probability`;
  const counted = allOf(countedDecisions(f, w));
  const { rows } = await withRoomToSort(db, (db) =>
    sql<StratumRow>`
    WITH decisive AS (
      SELECT DISTINCT ON (l.decision_id) l.decision_id, l.human_label
        FROM labels l
       WHERE ${labelConditions(f, { from: new Date(w.from.getTime() - LABEL_CLOCK_SLACK_MS), to: FOREVER })} AND ${DECISIVE_LABEL}
       ORDER BY ${DECISIVE_LABEL_ORDER}
    ), population AS (
      SELECT ${keys}, count(*)::int AS population
        FROM decisions d WHERE ${counted}
       GROUP BY 1, 2, 3, 4, 5, 6
    ), labelled AS (
      -- From each decisive label to its decision (one index probe each), so the window's
      -- decisions are read once, for the counts, and never joined to labels row by row.
      SELECT ${keys}, count(*)::int AS labelled, (count(*) FILTER (WHERE x.human_label <> d.label))::int AS wrong
        FROM decisive x
        CROSS JOIN LATERAL (SELECT * FROM decisions d WHERE d.id = x.decision_id LIMIT 1) d
       WHERE ${counted}
       GROUP BY 1, 2, 3, 4, 5, 6
    )
    SELECT p.workflow, p.state, p.model_version, to_char(p.bucket, 'YYYY-MM-DD') AS bucket, p.routed, p.probability,
           p.population, coalesce(l.labelled, 0) AS labelled, coalesce(l.wrong, 0) AS wrong
      FROM population p
      LEFT JOIN labelled l USING (workflow, state, model_version, bucket, routed, probability)
     ORDER BY 4, 1, 2, 3`.execute(db),
  );

  return groupedEstimates(rows, delta, (r) => [r.bucket, r.workflow, r.state, r.model_version]).map(
    ({ head, ...estimates }) => ({
      workflow: head.workflow,
      state: head.state,
      modelVersion: head.model_version,
      bucket: head.bucket,
      ...estimates,
    }),
  );
}

/** The decisions `d` an accuracy counts: with an audit probability and an answer, made in the window, of the filter's workflow, state and model version. */
export function countedDecisions(
  f: { workflow?: string | undefined; state?: string | undefined; modelVersion?: string | undefined },
  w: Window,
): RawBuilder<unknown>[] {
  return [
    sql`d.audit_probability IS NOT NULL AND d.label IS NOT NULL`,
    within('d.created_at', w),
    ...[
      equalsIfGiven('d.workflow_name', f.workflow),
      equalsIfGiven('d.state', f.state),
      equalsIfGiven('d.model_version', f.modelVersion),
    ].filter((c): c is RawBuilder<unknown> => c !== undefined),
  ];
}

/** A row of the accuracy query: its group's keys and one stratum's counts. */
export interface StratumRow extends StratumCounts {
  workflow: string;
  state: string;
  model_version: string;
  bucket: string;
}

/** One stratum of a group of decisions: routed or not, at one audit probability, with its counts. */
export interface StratumCounts {
  routed: boolean;
  probability: number;
  population: number;
  labelled: number;
  wrong: number;
}

/**
 * The rows grouped by `key` (in their order), each group's accuracies: the automated path's by
 * Horvitz-Thompson over its strata of audit probability (`errorBound`, two-sided), the routed
 * decisions' with a two-sided Clopper-Pearson interval. `head` is the group's first row.
 */
export function groupedEstimates<R extends StratumCounts>(
  rows: readonly R[],
  delta: number,
  key: (r: R) => string[],
): { head: R; decisions: number; automated: AccuracyPoint['automated']; routed: AccuracyPoint['routed'] }[] {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r).join('\u0000');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((parts) => {
    const head = parts[0] as R;
    const strata: Stratum[] = parts
      .filter((p) => !p.routed)
      .map((p) => ({ probability: p.probability, population: p.population, labelled: p.labelled, wrong: p.wrong }));
    const bound = errorBound(strata, delta, 2);
    const routed = parts.filter((p) => p.routed);
    const n = routed.reduce((a, p) => a + p.labelled, 0);
    const wrong = routed.reduce((a, p) => a + p.wrong, 0);
    return {
      head,
      decisions: parts.reduce((a, p) => a + p.population, 0),
      automated: {
        population: bound.population,
        accuracy: bound.estimate === null ? null : 1 - bound.estimate,
        lower: 1 - bound.upper,
        upper: 1 - bound.lower,
        labelled: bound.labelled,
        wrong: bound.wrong,
      },
      routed: {
        decisions: routed.reduce((a, p) => a + p.population, 0),
        accuracy: n > 0 ? (n - wrong) / n : null,
        // Right answers among n, two-sided: delta split between the sides.
        lower: clopperPearsonLower(n - wrong, n, delta / 2),
        upper: n > 0 ? clopperPearsonUpper(n - wrong, n, delta / 2) : 1,
        labelled: n,
        wrong,
      },
    };
  });
}
