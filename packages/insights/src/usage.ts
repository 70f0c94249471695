import { usageByWorkflowAndDay, type WorkflowDayUsage } from '@signoff/ai';
import type { DB } from '@signoff/db';
import type { Kysely, Transaction } from 'kysely';
import { type DashboardFilterInput, dashboardFilter } from './inputs';
import { parseDashboardInput, resolveWindow } from './sql-parts';

/**
 * AI calls, tokens and estimated cost per workflow and UTC day in `[from, to)` (default: the last
 * 30 days): `usageByWorkflowAndDay` of `@signoff/ai` (the `models.usage` API), narrowed to one
 * workflow when asked. State and model version do not apply.
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
  const rows = await usageByWorkflowAndDay(db, resolveWindow(f));
  return f.workflow === undefined ? rows : rows.filter((r) => r.workflow === f.workflow);
}
