// 4d. Poison inputs whose charge throws every time are retried as their policy says, then sent down
// their fallback path with the error visible, while the other items go through undelayed: retries
// wait as delayed jobs, not in a worker.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorkerProcess, stopWorker } from '../support/processes';
import { type Rig, startRig, WORKFLOW_MODULE } from './harness';

const POISON = 20;
const NORMAL = 400;
let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

it('poison items end in their fallback with the error; the rest are not held up', { timeout: 300_000 }, async () => {
  // The poison orders go first, so they are at the head of the queue.
  const poisonIds = await rig.submitOrders(POISON, {
    prefix: 'poison',
    workflow: 'patient-order',
    poison: new Set(Array.from({ length: POISON }, (_, i) => i)),
  });
  await rig.submitOrders(NORMAL, { prefix: 'normal', workflow: 'patient-order' });
  // Back-off of 3 s then 6 s: the poison items' last try is 9 s after their first.
  const worker = await startWorkerProcess(rig.t.url, [WORKFLOW_MODULE]);
  try {
    expect(await rig.settled(240_000)).toEqual({ succeeded: NORMAL, rejected: POISON });
  } finally {
    await stopWorker(worker);
  }
  const items = await rig.t.db.selectFrom('items').select(['id', 'status', 'context', 'finished_at']).execute();
  const poison = items.filter((i) => poisonIds.includes(i.id));
  for (const p of poison) {
    expect(p.context.charge).toMatchObject({
      failed: true,
      attempts: 3,
      error: { message: expect.stringContaining('card processor rejects') },
    });
    expect(p.context.declined).toEqual(p.context.charge);
  }
  const retries = await rig.t.db
    .selectFrom('audit_events')
    .select('data')
    .where('action', '=', 'state.retry_scheduled')
    .execute();
  expect(retries).toHaveLength(POISON * 2);
  expect(retries.map((r) => r.data.delayMs).sort()).toEqual(
    [...Array(POISON).fill(3000), ...Array(POISON).fill(6000)].sort(),
  );
  // Every normal item finished before any poison item gave up.
  const lastNormal = Math.max(
    ...items.filter((i) => !poisonIds.includes(i.id)).map((i) => (i.finished_at as Date).getTime()),
  );
  const firstPoisonEnd = Math.min(...poison.map((i) => (i.finished_at as Date).getTime()));
  expect(lastNormal).toBeLessThan(firstPoisonEnd);
});
