import { createLocalProvider } from '@signoff/ai';
import { createDb } from '@signoff/db';
import { createBoss, startWorkers, submitItem, type WorkflowRegistry } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import { sql } from 'kysely';
import { checkDeadline, type PeerContext, sleep } from '../measure';
import { benchWorkflow, itemText } from './signoff-workflow';

export const SOLO_ITEMS = 30;

/**
 * Latency without a backlog: after the measured run, items submitted one at a time, each awaited
 * before the next. Splits an item's time into the states' work (from the job's start to the
 * transition's transaction start: `state_runs.finished_at` is `now()`, the transaction's start)
 * and the rest: the transition transaction and commit, the NOTIFY wake-up, fetching and completing jobs.
 */
export async function soloLatency(ctx: PeerContext, registry: WorkflowRegistry) {
  const db = createDb(ctx.url, { max: 4, applicationName: 'bench-signoff-solo' });
  const boss = createBoss(ctx.url, { max: 4, applicationName: 'bench-signoff-solo-boss' });
  boss.on('error', () => undefined);
  await boss.start();
  const provider = createLocalProvider();
  try {
    await startWorkers({ db, boss, registry, provider, batchSize: 100, concurrency: 4 });
    const ids: string[] = [];
    for (let k = 0; k < SOLO_ITEMS; k++) {
      const { id } = await db
        .transaction()
        .execute((trx) =>
          submitItem(
            trx,
            { registry, boss },
            { workflow: benchWorkflow.name, input: { text: itemText(ctx.items + k) } },
            SYSTEM,
          ),
        );
      ids.push(id);
      for (;;) {
        checkDeadline(ctx, 'measuring latency without a backlog');
        const row = await db.selectFrom('items').select('status').where('id', '=', id).executeTakeFirstOrThrow();
        if (row.status === 'succeeded') break;
        if (row.status !== 'running') throw new Error(`solo item ${id} ended ${row.status}`);
        await sleep(2);
      }
    }
    const { rows } = await sql<{ p50: number; p95: number; gaps_ms: number; kinds: Record<string, number> }>`
      WITH per_item AS (
        SELECT i.id, extract(epoch FROM i.finished_at - i.created_at) * 1000 AS total_ms,
               sum(extract(epoch FROM r.finished_at - r.started_at) * 1000) AS runs_ms
          FROM items i JOIN state_runs r ON r.item_id = i.id
         WHERE i.id = ANY(${ids}::uuid[]) GROUP BY i.id, i.finished_at, i.created_at),
      per_kind AS (
        SELECT r.kind, round(avg(extract(epoch FROM r.finished_at - r.started_at) * 1000)::numeric, 1)::float8 AS ms
          FROM state_runs r WHERE r.item_id = ANY(${ids}::uuid[]) GROUP BY r.kind)
      SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY total_ms)::float8 AS p50,
             percentile_disc(0.95) WITHIN GROUP (ORDER BY total_ms)::float8 AS p95,
             avg(total_ms - runs_ms)::float8 AS gaps_ms,
             (SELECT jsonb_object_agg(kind, ms) FROM per_kind) AS kinds
        FROM per_item`.execute(db);
    const r = rows[0];
    if (!r) throw new Error('no solo statistics');
    const round = (v: number) => Math.round(v * 10) / 10;
    return {
      items: SOLO_ITEMS,
      latencyMs: { p50: round(r.p50), p95: round(r.p95) },
      stateWorkMeanMs: r.kinds,
      transactionsAndQueueMsPerItem: round(r.gaps_ms),
    };
  } finally {
    await boss.stop({ graceful: true, close: true, timeout: 10_000 });
    await db.destroy();
  }
}
