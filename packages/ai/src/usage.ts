import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';

/** Model usage of one workflow on one UTC day. */
export interface WorkflowDayUsage {
  workflow: string;
  /** UTC calendar day, `YYYY-MM-DD`. */
  day: string;
  /** Decisions recorded (including those whose call failed). */
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** Sum of the decisions' estimated costs that are known. */
  costUsd: number;
  /** Decisions without a known cost (no price for the model, no usage reported, a failed call): `costUsd` leaves them out. */
  callsWithoutCost: number;
}

/**
 * Decisions per workflow and UTC day in `[from, to)`: calls, tokens in and out, estimated cost.
 * Ordered by day, then workflow.
 *
 * @example
 * const rows = await usageByWorkflowAndDay(db, { from: new Date('2025-03-01'), to: new Date('2025-04-01') });
 * // [{ workflow: 'support-triage', day: '2025-03-01', calls: 1204, tokensIn: 301822, tokensOut: 48113,
 * //    costUsd: 0.074, callsWithoutCost: 0 }, ...]
 */
export async function usageByWorkflowAndDay(
  db: Kysely<DB> | Transaction<DB>,
  range: { from: Date; to: Date },
): Promise<WorkflowDayUsage[]> {
  const day = sql<string>`to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const rows = await db
    .selectFrom('decisions as d')
    .innerJoin('items as i', 'i.id', 'd.item_id')
    .where('d.created_at', '>=', range.from)
    .where('d.created_at', '<', range.to)
    .select([
      'i.workflow_name as workflow',
      day.as('day'),
      sql<number>`count(*)::int`.as('calls'),
      sql<number>`coalesce(sum(d.tokens_in), 0)::bigint`.as('tokensIn'),
      sql<number>`coalesce(sum(d.tokens_out), 0)::bigint`.as('tokensOut'),
      sql<number>`coalesce(sum(d.cost_usd), 0)::float8`.as('costUsd'),
      sql<number>`(count(*) - count(d.cost_usd))::int`.as('callsWithoutCost'),
    ])
    .groupBy(['i.workflow_name', day])
    .orderBy(day)
    .orderBy('i.workflow_name')
    .execute();
  return rows.map((r) => ({ ...r, tokensIn: Number(r.tokensIn), tokensOut: Number(r.tokensOut) }));
}
