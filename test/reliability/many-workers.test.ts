// 4c. Four worker processes on 5,000 items at once: no state runs twice (each side effect is
// delivered exactly once, with no crash to excuse a repeat) and no item is left behind.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EFFECTS_PER_ITEM } from '../fixtures/reliability-workflow';
import { startWorkerProcess, stopWorker, type WorkerProcess } from '../support/processes';
import { effectCounts, type Rig, startRig, WORKFLOW_MODULE } from './harness';

const ITEMS = 5000;
let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

it('four workers share 5,000 items without running any state twice', { timeout: 400_000 }, async () => {
  await rig.submitOrders(ITEMS);
  const workers: WorkerProcess[] = await Promise.all(
    [1, 2, 3, 4].map(() => startWorkerProcess(rig.t.url, [WORKFLOW_MODULE])),
  );
  try {
    expect(await rig.settled(300_000)).toEqual({ succeeded: ITEMS });
  } finally {
    await Promise.all(workers.map((w) => stopWorker(w)));
  }
  const e = await effectCounts(rig.t);
  expect(e.effects).toBe(ITEMS * EFFECTS_PER_ITEM);
  expect(e.deliveries).toBe(e.effects);
  // Every worker took a share.
  const byPid = await sql<{
    pid: number;
    n: number;
  }>`SELECT pid, count(*)::int AS n FROM rel_deliveries GROUP BY pid`.execute(rig.t.db);
  expect(byPid.rows.length).toBe(4);
  // Each item's trail has each transition once.
  const perItem = await sql<{ n: number; c: number }>`
    SELECT n, count(*)::int AS c FROM (SELECT stream, count(*)::int AS n FROM audit_events WHERE action = 'state.completed' GROUP BY stream) s GROUP BY n`.execute(
    rig.t.db,
  );
  expect(perItem.rows).toEqual([{ n: 4, c: ITEMS }]);
});
