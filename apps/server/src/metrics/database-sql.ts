// The queries behind the cluster series, read at scrape time. Each is grouped and small: open
// review tasks go through their partial index, policies and drift guards are a few rows per
// certified state. Built apart from the code that runs them (house rule: SQL in pure functions).
import { sql } from 'kysely';

/** Items by workflow, status and current state (a final state for a finished item). */
export const itemCountsSql = () => sql<{ workflow: string; status: string; state: string; n: number }>`
  SELECT workflow_name AS workflow, status, COALESCE(current_state, '') AS state, count(*)::int AS n
    FROM items
   GROUP BY 1, 2, 3`;

/** Open review tasks by queue, kind and status, with the age of the oldest in seconds. */
export const openTaskCountsSql = () =>
  sql<{ queue: string; kind: string; status: string; n: number; oldest_seconds: number }>`
  SELECT queue, kind, status, count(*)::int AS n,
         EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest_seconds
    FROM review_tasks
   WHERE status <> 'done'
   GROUP BY 1, 2, 3`;

/**
 * Review tasks completed after a position `(completed_at, id)` and at least `lagSeconds` ago (so
 * that a verdict's transaction that commits a moment after another's is not skipped), in order.
 * The position travels as text so that it keeps PostgreSQL's microseconds.
 */
export const completedTasksSql = (after: { at: string; id: string }, lagSeconds: number, limit: number) =>
  sql<{ queue: string; kind: string; seconds: number; at: string; id: string }>`
  SELECT queue, kind, EXTRACT(EPOCH FROM (completed_at - created_at))::float8 AS seconds,
         completed_at::text AS at, id::text AS id
    FROM review_tasks
   WHERE status = 'done'
     AND (completed_at, id) > (${after.at}::timestamptz, ${after.id}::uuid)
     AND completed_at <= now() - make_interval(secs => ${lagSeconds})
   ORDER BY completed_at, id
   LIMIT ${limit}`;

/**
 * Per certified state: whether the policy version in force is paused, how often auto-accept was
 * paused (by the drift guard, i.e. the system, or by a person), how many drift guards alarmed, and
 * the evidence of the guard in force (e-value over its alarm level: 1 pauses).
 */
export const policyFactsSql = () =>
  sql<{
    workflow: string;
    state: string;
    paused: boolean;
    guard_pauses: number;
    manual_pauses: number;
    alarms: number;
    evidence: number | null;
  }>`
  WITH in_force AS (
    SELECT DISTINCT ON (workflow_name, state) id, workflow_name, state, status
      FROM policy_versions
     ORDER BY workflow_name, state, version DESC
  ), pauses AS (
    SELECT workflow_name, state,
           count(*) FILTER (WHERE status = 'paused' AND created_by->>'type' = 'system')::int AS guard_pauses,
           count(*) FILTER (WHERE status = 'paused' AND created_by->>'type' IS DISTINCT FROM 'system')::int AS manual_pauses
      FROM policy_versions
     GROUP BY 1, 2
  ), alarms AS (
    SELECT p.workflow_name, p.state, count(*)::int AS alarms
      FROM drift_guards g JOIN policy_versions p ON p.id = g.policy_version_id
     WHERE g.alarmed_at IS NOT NULL
     GROUP BY 1, 2
  )
  SELECT f.workflow_name AS workflow, f.state, f.status = 'paused' AS paused,
         s.guard_pauses, s.manual_pauses, COALESCE(a.alarms, 0) AS alarms,
         (SELECT g.e_value / NULLIF(g.alarm_at, 0) FROM drift_guards g WHERE g.policy_version_id = f.id) AS evidence
    FROM in_force f
    JOIN pauses s USING (workflow_name, state)
    LEFT JOIN alarms a USING (workflow_name, state)`;
