// 4a. A worker is killed (SIGKILL) while 2,000 items are in flight, another takes over: every item
// completes and every side effect is applied exactly once per idempotency key. A second worker is
// made to crash at the exact instant after a transition's writes and before its COMMIT.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EFFECTS_PER_ITEM } from '../fixtures/reliability-workflow';
import { startWorkerProcess, stopWorker } from '../support/processes';
import { waitFor } from '../support/signoff';
import { effectCounts, type Rig, startRig, WORKFLOW_MODULE } from './harness';

const ITEMS = 2000;
let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(() => rig.close());

it('kill -9 mid-flight, then a crash between effect and commit: all items complete, effects exactly once', {
  timeout: 400_000,
}, async () => {
  await rig.submitOrders(ITEMS);
  const first = await startWorkerProcess(rig.t.url, [WORKFLOW_MODULE]);
  await waitFor(async () => (await rig.progress()) >= ITEMS / 5, {
    timeoutMs: 120_000,
    message: 'a fifth of the items done',
  });
  await stopWorker(first, 'SIGKILL');
  const atKill = await rig.progress();
  expect(atKill).toBeLessThan(ITEMS);

  // This one kills itself inside a transition's transaction, after all its writes.
  const crashing = await startWorkerProcess(rig.t.url, [WORKFLOW_MODULE], {
    SIGNOFF_TEST_CRASH_AT: 'before-commit@200',
  });
  expect(await crashing.exited).toBeNull();
  expect(crashing.output()).toContain('SIGKILL at before-commit #200');

  const last = await startWorkerProcess(rig.t.url, [WORKFLOW_MODULE]);
  try {
    const counts = await rig.settled(180_000);
    expect(counts).toEqual({ succeeded: ITEMS });
  } finally {
    await stopWorker(last);
  }
  const e = await effectCounts(rig.t);
  expect(e.effects).toBe(ITEMS * EFFECTS_PER_ITEM);
  expect(e.keys).toBe(e.effects);
  expect(e.delivered_keys).toBe(e.effects);
  // Each state run is recorded once: the unique (item, state, visit) key held under the crashes.
  const runs = await rig.t.db
    .selectFrom('state_runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  expect(Number(runs.n)).toBe(ITEMS * 5); // reserve, route, charge, notify, done
  console.log(
    `kill test: ${atKill} done at the kill; ${e.deliveries - e.effects} repeated deliveries absorbed by idempotency keys`,
  );
});
