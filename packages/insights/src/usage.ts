import type { WorkflowDayUsage } from '@signoff/ai';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { allOf, equalsIfGiven, parseDashboardInput, resolveWindow, within } from './sql-parts';

/**
 * AI calls, tokens and estimated cost per workflow and UTC day in `[from, to)` (default: the last
 * 30 days), narrowed to one workflow when asked: the figures of `usageByWorkflowAndDay` of
 * `@signoff/ai` (the `models.usage` API), in its shape and order, read from the decisions' own copy
 * of their workflow (migration 0017) instead of a join of every decision to its item (the test
 * checks both give the same). State and model version do not apply.
 *
 * @example
 * const rows = await aiUsage(db, { workflow: 'support-triage' });
 * // [{ workflow: 'support-triage', day: '2026-11-30', calls: 1204, tokensIn: 301822, costUsd: 0.074, ... }]
 */
export async function aiUsage(
  db: Kysely<DB> | Transaction<DB>,
  input: DashboardFilterInput = {},
): Promise<WorkflowDayUsage[]> {
  const f = parseDashboardInput(dashboardFilter, input);
  const w = resolveWindow(f);
  const { rows } = await sql<WorkflowDayUsage>`
    SELECT d.workflow_name AS workflow, to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
           count(*)::int AS calls, coalesce(sum(d.tokens_in), 0)::float8 AS "tokensIn",
           coalesce(sum(d.tokens_out), 0)::float8 AS "tokensOut", coalesce(sum(d.cost_usd), 0)::float8 AS "costUsd",
           (count(*) - count(d.cost_usd))::int AS "callsWithoutCost"
      FROM decisions d
     WHERE ${within('d.created_at', w)} AND ${allOf([equalsIfGiven('d.workflow_name', f.workflow)])}
     GROUP BY 1, 2
     ORDER BY 2, 1`.execute(db);
  return rows;
}
