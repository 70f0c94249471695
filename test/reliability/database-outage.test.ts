// 4b. Every backend of the workers is terminated (pg_terminate_backend) mid-run, twice: the workers
// reconnect and every item completes, each side effect applied once.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EFFECTS_PER_ITEM } from '../fixtures/reliability-workflow';
import { startWorkerProcess, stopWorker } from '../support/processes';
import { waitFor } from '../support/signoff';
import { effectCounts, type Rig, startRig, WORKFLOW_MODULE } from './harness';

const ITEMS = 1000;
let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

it('workers survive losing every database connection mid-run', { timeout: 300_000 }, async () => {
  await rig.submitOrders(ITEMS);
  const worker = await startWorkerProcess(rig.t.url, [WORKFLOW_MODULE]);
  try {
    let terminated = 0;
    for (const fraction of [0.2, 0.5]) {
      await waitFor(async () => (await rig.progress()) >= ITEMS * fraction, {
        timeoutMs: 120_000,
        message: `${fraction * 100}% done`,
      });
      const r = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'signoff%'
        ) killed`.execute(rig.t.db);
      terminated += r.rows[0]?.n ?? 0;
    }
    expect(terminated).toBeGreaterThan(2);
    expect(await rig.settled(180_000)).toEqual({ succeeded: ITEMS });
    expect(worker.proc.exitCode).toBeNull();
  } finally {
    await stopWorker(worker);
  }
  const e = await effectCounts(rig.t);
  expect(e.effects).toBe(ITEMS * EFFECTS_PER_ITEM);
  expect(e.delivered_keys).toBe(e.effects);
});
