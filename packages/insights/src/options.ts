import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';

export interface DashboardOptions {
  workflows: string[];
  states: string[];
  modelVersions: string[];
}

/**
 * What the dashboards' filters offer: registered workflows, and the states and model versions that
 * made decisions. The pairs are read by a skip scan of `decisions_state_model_idx` (one index probe
 * per distinct pair), so the cost grows with the pairs, not with the decisions.
 *
 * @example
 * await dashboardOptions(db); // { workflows: ['support-triage'], states: ['classify'], modelVersions: ['local-v3'] }
 */
export async function dashboardOptions(db: Kysely<DB> | Transaction<DB>): Promise<DashboardOptions> {
  const workflows = await db.selectFrom('workflow_versions').select('name').distinct().orderBy('name').execute();
  const { rows } = await sql<{ state: string; model_version: string }>`
    WITH RECURSIVE pairs AS (
      (SELECT state, model_version FROM decisions ORDER BY state, model_version LIMIT 1)
      UNION ALL
      SELECT next.state, next.model_version FROM pairs p
        CROSS JOIN LATERAL (
          SELECT d.state, d.model_version FROM decisions d
           WHERE (d.state, d.model_version) > (p.state, p.model_version)
           ORDER BY d.state, d.model_version LIMIT 1
        ) next
    )
    SELECT state, model_version FROM pairs`.execute(db);
  return {
    workflows: workflows.map((w) => w.name),
    states: [...new Set(rows.map((r) => r.state))].sort(),
    modelVersions: [...new Set(rows.map((r) => r.model_version))].sort(),
  };
}
