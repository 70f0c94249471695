import { createLocalProvider, type DecisionProvider } from '@signoff/ai';
import { createDb, migrateToLatest } from '@signoff/db';
import { createBoss, ensureQueues, STEP_QUEUE, startWorkers, submitItems, WorkflowRegistry } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import { sql } from 'kysely';
import pg from 'pg';
import {
  checkDeadline,
  commitsOf,
  cpuMeter,
  inFlight,
  type PeerContext,
  type PeerResult,
  type SetByParent,
  sampleWaitEvents,
  sleep,
  tableWrites,
  waitForDisconnect,
} from '../measure';
import { QueryProfile } from '../query-profile';
import { soloLatency } from './signoff-solo';
import { benchWorkflow, itemText, seedExamples } from './signoff-workflow';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BATCH_SIZE = env('BENCH_SIGNOFF_BATCH', 200);
const CONCURRENCY = env('BENCH_SIGNOFF_CONCURRENCY', 4);
const POOL = env('BENCH_SIGNOFF_POOL', 20);
const BOSS_POOL = 10;
const SUBMIT_BATCH = 500;
const SUBMIT_PARALLEL = 4;
/** Experiment, off by default: the step queue without NOTIFY (workers then rely on burst fetching and polling). */
const NO_NOTIFY = process.env.BENCH_SIGNOFF_NOTIFY === '0';

/**
 * Signoff through its public API: N items of a decide -> choice -> task -> final workflow,
 * submitted first (`submitItems`, one transaction per 500 items), then processed by `startWorkers` until every
 * item has succeeded. Every transition commits atomically with its audit events and next job.
 */
export async function runSignoff(ctx: PeerContext): Promise<Omit<PeerResult, SetByParent>> {
  const db = createDb(ctx.url, { max: POOL, applicationName: 'bench-signoff' });
  const { error } = await migrateToLatest(db);
  if (error) throw error;
  const seeded = await seedExamples(db);
  const registry = new WorkflowRegistry();
  await registry.register(db, benchWorkflow);
  const boss = createBoss(ctx.url, { max: BOSS_POOL, applicationName: 'bench-signoff-boss' });
  const bossErrors: unknown[] = [];
  boss.on('error', (e) => bossErrors.push(e));
  await boss.start();
  await ensureQueues(boss);
  if (NO_NOTIFY) await boss.updateQueue(STEP_QUEUE, { notify: false });

  const before = await commitsOf(ctx.adminUrl, ctx.database);
  const submitProfile = new QueryProfile();
  const submitDb = db.withPlugin(submitProfile);
  const enqueueStart = Date.now();
  const batches = Array.from({ length: Math.ceil(ctx.items / SUBMIT_BATCH) }, (_, b) => b * SUBMIT_BATCH);
  await inFlight(batches, SUBMIT_PARALLEL, async (from) => {
    checkDeadline(ctx, 'submitting');
    const batch: { workflow: string; input: { text: string } }[] = [];
    for (let i = from; i < Math.min(ctx.items, from + SUBMIT_BATCH); i++)
      batch.push({ workflow: benchWorkflow.name, input: { text: itemText(i) } });
    const results = await submitDb.transaction().execute((trx) => submitItems(trx, { registry, boss }, batch, SYSTEM));
    if (results.some((r) => !r.ok)) throw new Error('a benchmark item was refused');
  });
  await sql`ANALYZE`.execute(db);
  const enqueueSeconds = (Date.now() - enqueueStart) / 1000;

  const workProfile = new QueryProfile();
  const local = createLocalProvider();
  const decideMs: number[] = [];
  const provider: DecisionProvider = {
    name: local.name,
    async decide(d, req) {
      const t = performance.now();
      try {
        return await local.decide(d, req);
      } finally {
        decideMs.push(performance.now() - t);
      }
    },
  };
  const stepErrors: string[] = [];
  const sampler = sampleWaitEvents(ctx.adminUrl, ctx.database);
  const poll = new pg.Client({ connectionString: ctx.url, application_name: 'bench-signoff-poll' });
  await poll.connect();
  // Our own reads of this database are commits too; they are subtracted.
  let ownQueries = 1;
  const meter = await cpuMeter(ctx.adminUrl, ctx.database);
  let cpu: PeerResult['cpu'] | undefined;
  try {
    await startWorkers({
      db: db.withPlugin(workProfile),
      boss,
      registry,
      provider,
      batchSize: BATCH_SIZE,
      concurrency: CONCURRENCY,
      onError: (e, job) => stepErrors.push(`${job.state}: ${e instanceof Error ? e.message : String(e)}`),
    });
    for (;;) {
      await sleep(250);
      ownQueries++;
      const r = await poll.query<{ done: number; bad: number }>(
        `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS done,
                count(*) FILTER (WHERE status IN ('failed', 'rejected', 'waiting'))::int AS bad FROM items`,
      );
      const { done = 0, bad = 0 } = r.rows[0] ?? {};
      if (done === ctx.items) break;
      if (bad > 0) throw new Error(`${bad} items failed or wait for review; first errors: ${stepErrors.slice(0, 3)}`);
      if (bossErrors.length > 0) throw bossErrors[0];
      checkDeadline(ctx, `${done}/${ctx.items} items succeeded`);
    }
    cpu = await meter.stop(ctx.items);
  } finally {
    await boss.stop({ graceful: true, close: true, timeout: 10_000 });
  }
  const waits = await sampler.stop();
  ownQueries += 2;
  const stats = await poll.query<{
    process_s: number;
    p50: number;
    p95: number;
    pick50: number;
    pick95: number;
  }>(`WITH firsts AS (SELECT item_id, min(started_at) AS picked FROM state_runs GROUP BY item_id)
      SELECT extract(epoch FROM max(i.finished_at) - min(f.picked))::float8 AS process_s,
             percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - i.created_at))::float8 * 1000 AS p50,
             percentile_disc(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - i.created_at))::float8 * 1000 AS p95,
             percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - f.picked))::float8 * 1000 AS pick50,
             percentile_disc(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - f.picked))::float8 * 1000 AS pick95
        FROM items i JOIN firsts f ON f.item_id = i.id WHERE i.status = 'succeeded'`);
  const perKind = await poll.query(
    `SELECT kind, count(*)::int AS runs,
            round(avg(extract(epoch FROM finished_at - started_at)) * 1000, 1)::float8 AS mean_ms,
            round((percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000)::numeric, 1)::float8 AS p50_ms
       FROM state_runs GROUP BY kind ORDER BY kind`,
  );
  await poll.end();
  await db.destroy();
  await waitForDisconnect(ctx.adminUrl, ctx.database);
  const after = await commitsOf(ctx.adminUrl, ctx.database);
  const writes = await tableWrites(ctx.url, ctx.items);
  const solo = await soloLatency(ctx, registry);
  const s = stats.rows[0];
  if (!s) throw new Error('no statistics');
  decideMs.sort((a, b) => a - b);
  return {
    kind: 'peer',
    peer: 'signoff',
    items: ctx.items,
    itemsPerSecond: ctx.items / s.process_s,
    latency: { p50: s.p50, p95: s.p95 },
    pickupLatency: { p50: s.pick50, p95: s.pick95 },
    commitsPerItem: (after - before - ownQueries) / ctx.items,
    enqueueSeconds,
    processSeconds: s.process_s,
    cpu: cpu as PeerResult['cpu'],
    config: `startWorkers batchSize ${BATCH_SIZE}, concurrency ${CONCURRENCY}, kysely pool ${POOL}, pg-boss pool ${BOSS_POOL}; submitItems ${SUBMIT_BATCH} per transaction, ${SUBMIT_PARALLEL} transactions at once; local model on ${seeded} seed examples${NO_NOTIFY ? '; EXPERIMENT: step queue notify off' : ''}`,
    details: {
      waitEvents: waits,
      stateRunMs: perKind.rows,
      decideCallMs: { p50: decideMs[Math.floor(decideMs.length / 2)], max: decideMs[decideMs.length - 1] },
      statementsPerItemProcessing: workProfile.totalPerItem(ctx.items),
      statementsProcessing: workProfile.summary(ctx.items),
      statementsPerItemSubmit: submitProfile.totalPerItem(ctx.items),
      tableWritesPerItem: writes,
      withoutBacklog: solo,
      stepErrors: stepErrors.length,
    },
  };
}
