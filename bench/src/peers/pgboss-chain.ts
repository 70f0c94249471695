import { type Job, type JobInsert, PgBoss } from 'pg-boss';
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
  withClient,
} from '../measure';

const QUEUE = 'bench-chain';
const STEPS = 4;
const BATCH_SIZE = 100;
const LOCAL_CONCURRENCY = 4;
const POOL = 10;
const CONFIG = `pg-boss 12.38.0, batchSize ${BATCH_SIZE}, localConcurrency ${LOCAL_CONCURRENCY}, burstWhenBatchFull, pollingIntervalSeconds 0.5, pool ${POOL}; next jobs inserted once per batch, not in the completing transaction`;

interface ChainJob {
  item: number;
  step: number;
  /** When the item's first job was enqueued (epoch ms). */
  t0: number;
}

/**
 * The raw baseline: per item 4 jobs in sequence, each handler enqueueing the next, in pg-boss's
 * fastest configuration (batched fetch, burst while batches are full, a few fetch loops).
 */
export async function runPgbossChain(ctx: PeerContext): Promise<Omit<PeerResult, SetByParent>> {
  const boss = new PgBoss({ connectionString: ctx.url, schema: 'pgboss', max: POOL, application_name: 'bench-pgboss' });
  const errors: unknown[] = [];
  boss.on('error', (e) => errors.push(e));
  await boss.start();
  await boss.createQueue(QUEUE);

  const before = await commitsOf(ctx.adminUrl, ctx.database);
  const enqueueStart = Date.now();
  for (let i = 0; i < ctx.items; i += 1000) {
    const jobs: JobInsert<ChainJob>[] = [];
    for (let item = i; item < Math.min(ctx.items, i + 1000); item++) {
      jobs.push({ data: { item, step: 1, t0: Date.now() } });
    }
    await boss.insert(QUEUE, jobs);
  }
  // Statistics taken while the table was empty make every fetch scan the backlog.
  await withClient(ctx.url, (c) => c.query('ANALYZE'));
  const enqueueSeconds = (Date.now() - enqueueStart) / 1000;

  const latencies: number[] = [];
  const pickup: number[] = [];
  const firstPickup = new Map<number, number>();
  let firstAt = 0;
  let lastAt = 0;
  const sampler = sampleWaitEvents(ctx.adminUrl, ctx.database);
  const meter = await cpuMeter(ctx.adminUrl, ctx.database);
  let cpu: PeerResult['cpu'] | undefined;
  await boss.work<ChainJob>(
    QUEUE,
    {
      batchSize: BATCH_SIZE,
      localConcurrency: LOCAL_CONCURRENCY,
      pollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
    },
    async (jobs: Job<ChainJob>[]) => {
      const now = Date.now();
      if (!firstAt) firstAt = now;
      const next: JobInsert<ChainJob>[] = [];
      for (const { data } of jobs) {
        if (data.step === 1) firstPickup.set(data.item, now);
        if (data.step < STEPS) {
          next.push({ data: { ...data, step: data.step + 1 } });
        } else {
          latencies.push(now - data.t0);
          pickup.push(now - (firstPickup.get(data.item) ?? now));
          lastAt = now;
        }
      }
      if (next.length > 0) await boss.insert(QUEUE, next);
    },
  );
  try {
    while (latencies.length < ctx.items) {
      checkDeadline(ctx, `${latencies.length}/${ctx.items} chains done`);
      if (errors.length > 0) throw errors[0];
      await sleep(50);
    }
    cpu = await meter.stop(ctx.items);
  } finally {
    await boss.stop({ graceful: true, close: true, timeout: 10_000 });
  }
  const waits = await sampler.stop();
  await waitForDisconnect(ctx.adminUrl, ctx.database);
  const after = await commitsOf(ctx.adminUrl, ctx.database);
  const processSeconds = (lastAt - firstAt) / 1000;
  return {
    kind: 'peer',
    peer: 'pgboss',
    items: ctx.items,
    itemsPerSecond: ctx.items / processSeconds,
    latency: percentiles(latencies),
    pickupLatency: percentiles(pickup),
    commitsPerItem: (after - before) / ctx.items,
    enqueueSeconds,
    processSeconds,
    cpu: cpu as PeerResult['cpu'],
    config: CONFIG,
    details: { waitEvents: waits },
  };
}
