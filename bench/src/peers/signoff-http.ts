import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createDb, migrateToLatest } from '@signoff/db';
import { createApiKey, SYSTEM } from '@signoff/governance';
import { readEnv, startSignoff } from '@signoff/server';
import pg from 'pg';
import type { ClientPlan, ClientReport } from '../http-client';
import {
  checkDeadline,
  commitsOf,
  cpuMeter,
  type PeerContext,
  type PeerResult,
  percentiles,
  type SetByParent,
  sampleWaitEvents,
  sleep,
  waitForDisconnect,
} from '../measure';
import { benchWorkflow, seedExamples } from './signoff-workflow';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const BATCH_SIZE = env('BENCH_SIGNOFF_BATCH', 200);
const CONCURRENCY = env('BENCH_SIGNOFF_CONCURRENCY', 4);
const HTTP_BATCH = 500;
const HTTP_IN_FLIGHT = 4;

/** Starts the HTTP client process and resolves once it has built its request bodies. */
function startClient(plan: ClientPlan) {
  const child = fork(fileURLToPath(new URL('../http-client.ts', import.meta.url)), [], { execArgv: process.execArgv });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`HTTP client exited with ${code} before it was ready`)));
  });
  child.send(plan);
  return {
    ready,
    go(): Promise<ClientReport> {
      const done = new Promise<ClientReport>((resolve, reject) => {
        child.once('message', (m: { ok: boolean; report?: ClientReport; error?: string }) =>
          m.ok && m.report ? resolve(m.report) : reject(new Error(m.error ?? 'HTTP client failed')),
        );
      });
      child.send('go');
      return done;
    },
  };
}

/**
 * Signoff as outside clients use it: the whole server (`startSignoff`: HTTP API and workers in one
 * process, the workers' batch size and concurrency as the engine-only peer's) while another process
 * posts N items to `POST /api/v1/items` in batches of 500, 4 requests in flight. Ingestion is
 * items over the time from the first request to the last answer; end to end, items over the time
 * from the first request to the last item done.
 */
export async function runSignoffHttp(ctx: PeerContext): Promise<Omit<PeerResult, SetByParent>> {
  const setup = createDb(ctx.url, { max: 2, applicationName: 'bench-signoff-http-setup' });
  const { error } = await migrateToLatest(setup);
  if (error) throw error;
  const seeded = await seedExamples(setup);
  const { key } = await setup.transaction().execute((trx) => createApiKey(trx, { name: 'bench client' }, SYSTEM));
  await setup.destroy();

  const server = await startSignoff({
    env: readEnv({
      DATABASE_URL: ctx.url,
      PORT: '0',
      HOST: '127.0.0.1',
      SIGNOFF_WORKER_BATCH_SIZE: String(BATCH_SIZE),
      SIGNOFF_WORKER_CONCURRENCY: String(CONCURRENCY),
    }),
    api: true,
    workers: true,
    workflows: [benchWorkflow],
  });
  const poll = new pg.Client({ connectionString: ctx.url, application_name: 'bench-signoff-http-poll' });
  let ownQueries = 0;
  let report: ClientReport;
  let cpu: PeerResult['cpu'];
  let before = 0;
  const sampler = sampleWaitEvents(ctx.adminUrl, ctx.database);
  try {
    await poll.connect();
    const client = startClient({
      url: server.url as string,
      apiKey: key,
      items: ctx.items,
      batchSize: HTTP_BATCH,
      inFlight: HTTP_IN_FLIGHT,
    });
    await client.ready;
    before = await commitsOf(ctx.adminUrl, ctx.database);
    const meter = await cpuMeter(ctx.adminUrl, ctx.database);
    report = await client.go();
    if (report.created !== ctx.items) throw new Error(`${report.refused} items refused, ${report.created} created`);
    for (;;) {
      await sleep(250);
      ownQueries++;
      const r = await poll.query<{ done: number; bad: number }>(
        `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS done,
                count(*) FILTER (WHERE status IN ('failed', 'rejected', 'waiting'))::int AS bad FROM items`,
      );
      const { done = 0, bad = 0 } = r.rows[0] ?? {};
      if (done === ctx.items) break;
      if (bad > 0) throw new Error(`${bad} items failed or wait for review`);
      checkDeadline(ctx, `${done}/${ctx.items} items succeeded`);
    }
    cpu = await meter.stop(ctx.items);
  } finally {
    await server.stop();
  }
  const waits = await sampler.stop();
  ownQueries += 2;
  const stats = await poll.query<{ last_done: number; p50: number; p95: number; pick50: number; pick95: number }>(
    `WITH firsts AS (SELECT item_id, min(started_at) AS picked FROM state_runs GROUP BY item_id)
     SELECT extract(epoch FROM max(i.finished_at))::float8 * 1000 AS last_done,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - i.created_at))::float8 * 1000 AS p50,
            percentile_disc(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - i.created_at))::float8 * 1000 AS p95,
            percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - f.picked))::float8 * 1000 AS pick50,
            percentile_disc(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM i.finished_at - f.picked))::float8 * 1000 AS pick95
       FROM items i JOIN firsts f ON f.item_id = i.id WHERE i.status = 'succeeded'`,
  );
  await poll.end();
  await waitForDisconnect(ctx.adminUrl, ctx.database);
  const after = await commitsOf(ctx.adminUrl, ctx.database);
  const s = stats.rows[0];
  if (!s) throw new Error('no statistics');
  const ingestSeconds = (report.lastResponseAt - report.firstRequestAt) / 1000;
  const endToEndSeconds = (s.last_done - report.firstRequestAt) / 1000;
  const requests = percentiles(report.requestMs);
  return {
    kind: 'peer',
    peer: 'signoff-http',
    items: ctx.items,
    itemsPerSecond: ctx.items / endToEndSeconds,
    latency: { p50: s.p50, p95: s.p95 },
    pickupLatency: { p50: s.pick50, p95: s.pick95 },
    commitsPerItem: (after - before - ownQueries) / ctx.items,
    enqueueSeconds: ingestSeconds,
    processSeconds: endToEndSeconds,
    cpu,
    config: `startSignoff (HTTP API and workers in one process; workers batchSize ${BATCH_SIZE}, concurrency ${CONCURRENCY}); a client process posts ${HTTP_BATCH} items per request, ${HTTP_IN_FLIGHT} requests in flight; local model on ${seeded} seed examples. items/s is end to end (first request to last item done); enqueue is the ingestion time (first request to last answer)`,
    details: {
      ingestionItemsPerSecond: Math.round(ctx.items / ingestSeconds),
      endToEndItemsPerSecond: Math.round(ctx.items / endToEndSeconds),
      requestMs: { p50: Math.round(requests.p50), p95: Math.round(requests.p95), requests: report.requestMs.length },
      waitEvents: waits,
    },
  };
}
