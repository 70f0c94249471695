import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { allOf, equalsIfGiven, parseDashboardInput, resolveWindow, within, withRoomToSort } from './sql-parts';

export interface StateTimeRow {
  workflow: string;
  state: string;
  /** State runs that finished in the window. */
  runs: number;
  /** Seconds from a run's start to its end: median and 95th percentile (`percentile_cont`, linear interpolation). */
  p50Seconds: number;
  p95Seconds: number;
  /** Seconds all those runs took together: where the items' time went. */
  totalSeconds: number;
}

export interface StateTimes {
  states: StateTimeRow[];
  /**
   * The state items spent the most time in, all runs together (`totalSeconds`; ties: the higher
   * p95): shortening it frees the most item time. Null when no run finished. A slow state that
   * few items visit has a high p95 but is not the bottleneck.
   */
  bottleneck: { workflow: string; state: string; totalSeconds: number; share: number } | null;
}

/**
 * Time per state from the state runs that finished in `[from, to)` (default: the last 30 days):
 * p50 and p95 of each run's duration, and the bottleneck. Review states include the time a person
 * took, and waits the time they waited. The model version filter does not apply (runs have none).
 *
 * @example
 * const { states, bottleneck } = await stateTimes(db, { workflow: 'support-triage' });
 * bottleneck; // { workflow: 'support-triage', state: 'review', totalSeconds: 86400, share: 0.71 }
 */
export async function stateTimes(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<StateTimes> {
  const f = parseDashboardInput(dashboardFilter, input);
  const w = resolveWindow(f);
  const { rows } = await withRoomToSort(db, (db) =>
    sql<{
      workflow: string;
      state: string;
      runs: number;
      ps: [number, number];
      total: number;
    }>`
    SELECT r.workflow_name AS workflow, r.state, count(*)::int AS runs,
           -- Both percentiles from one sort of the group's durations.
           percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY extract(epoch FROM r.finished_at - r.started_at))::float8[] AS ps,
           sum(extract(epoch FROM r.finished_at - r.started_at))::float8 AS total
      -- The run's own copy of its workflow (migration 0018): the window is read from one index
      -- (finished_at, including workflow, state and start), without a probe of items per run.
      FROM state_runs r
     WHERE r.status = 'done' AND ${within('r.finished_at', w)}
       AND ${allOf([equalsIfGiven('r.workflow_name', f.workflow), equalsIfGiven('r.state', f.state)])}
     GROUP BY 1, 2
     ORDER BY 1, 2`.execute(db),
  );
  const states = rows.map((r) => ({
    workflow: r.workflow,
    state: r.state,
    runs: r.runs,
    p50Seconds: r.ps[0],
    p95Seconds: r.ps[1],
    totalSeconds: r.total,
  }));
  const all = states.reduce((a, s) => a + s.totalSeconds, 0);
  const top = [...states].sort((a, b) => b.totalSeconds - a.totalSeconds || b.p95Seconds - a.p95Seconds)[0];
  return {
    states,
    bottleneck: top
      ? {
          workflow: top.workflow,
          state: top.state,
          totalSeconds: top.totalSeconds,
          share: all > 0 ? top.totalSeconds / all : 0,
        }
      : null,
  };
}
