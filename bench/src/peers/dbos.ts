import { DBOS } from '@dbos-inc/dbos-sdk';
import {
  checkDeadline,
  commitsOf,
  cpuMeter,
  inFlight,
  type PeerContext,
  type PeerResult,
  percentiles,
  type SetByParent,
  sampleWaitEvents,
  waitForDisconnect,
} from '../measure';

const IN_FLIGHT = 64;
const POOL = Number(process.env.BENCH_DBOS_POOL ?? 10);

/**
 * DBOS Transact: the same four trivial steps as one workflow of four checkpointed steps, started
 * directly (not through a queue) with at most `IN_FLIGHT` workflows running, its system database
 * being the peer's fresh database.
 */
export async function runDbos(ctx: PeerContext): Promise<Omit<PeerResult, SetByParent>> {
  DBOS.setConfig({
    name: 'signoff-bench',
    systemDatabaseUrl: ctx.url,
    systemDatabasePoolSize: POOL,
    logLevel: 'warn',
  });
  const step1 = DBOS.registerStep(async (n: number) => n + 1, { name: 'step1' });
  const step2 = DBOS.registerStep(async (n: number) => n + 1, { name: 'step2' });
  const step3 = DBOS.registerStep(async (n: number) => n + 1, { name: 'step3' });
  const step4 = DBOS.registerStep(async (n: number) => n + 1, { name: 'step4' });
  const chain = DBOS.registerWorkflow(
    async (n: number) => {
      const a = await step1(n);
      const b = await step2(a);
      const c = await step3(b);
      return step4(c);
    },
    { name: 'benchChain' },
  );
  await DBOS.launch();

  const latencies: number[] = [];
  let firstAt = 0;
  let lastAt = 0;
  const before = await commitsOf(ctx.adminUrl, ctx.database);
  const sampler = sampleWaitEvents(ctx.adminUrl, ctx.database);
  const meter = await cpuMeter(ctx.adminUrl, ctx.database);
  let cpu: PeerResult['cpu'] | undefined;
  try {
    const items = Array.from({ length: ctx.items }, (_, i) => i);
    await inFlight(items, IN_FLIGHT, async (i) => {
      checkDeadline(ctx, `${latencies.length}/${ctx.items} workflows done`);
      const started = Date.now();
      if (!firstAt) firstAt = started;
      const result = await chain(i);
      if (result !== i + 4) throw new Error(`workflow ${i} returned ${result}`);
      lastAt = Date.now();
      latencies.push(lastAt - started);
    });
    cpu = await meter.stop(ctx.items);
  } finally {
    await DBOS.shutdown();
  }
  const waits = await sampler.stop();
  await waitForDisconnect(ctx.adminUrl, ctx.database);
  const after = await commitsOf(ctx.adminUrl, ctx.database);
  const processSeconds = (lastAt - firstAt) / 1000;
  const latency = percentiles(latencies);
  return {
    kind: 'peer',
    peer: 'dbos',
    items: ctx.items,
    itemsPerSecond: ctx.items / processSeconds,
    latency,
    // Started directly: there is no backlog, so pick-up is the start.
    pickupLatency: latency,
    commitsPerItem: (after - before) / ctx.items,
    enqueueSeconds: 0,
    cpu: cpu as PeerResult['cpu'],
    processSeconds,
    config: `@dbos-inc/dbos-sdk 5.3.0, 1 workflow of 4 steps per item, started directly, ${IN_FLIGHT} in flight, system database pool ${POOL}`,
    details: { waitEvents: waits },
  };
}
