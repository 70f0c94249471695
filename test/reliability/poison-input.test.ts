// 4d. Poison inputs whose charge throws every time are retried as their policy says, then sent down
// their fallback path with the error visible, while the other items go through undelayed: retries
// wait as delayed jobs, not in a worker. Asserted on the mechanism (pg-boss's job table), never on
// which item happened to finish first.
import { STEP_QUEUE } from '@signoff/engine';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorkerProcess, stopWorker } from '../support/processes';
import { waitFor } from '../support/signoff';
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
  // Back-off of 3 s then 6 s: each poison item spends 9 s waiting for its next try.
  const worker = await startWorkerProcess(rig.t.url, [WORKFLOW_MODULE]);
  try {
    // While a poison item waits between tries, its next try is a pg-boss job not yet due, and no job
    // of the item is active: the wait holds no worker slot. (Right after a try fails, its job stays
    // active until the worker's batch completes; what is asserted is that the wait itself is spent
    // without one.)
    const seen = await waitFor(
      async () => {
        const { rows } = await sql<{ item: string; attempt: number }>`
          SELECT j.data->>'itemId' AS item, (j.data->>'attempt')::int AS attempt
          FROM pgboss.job j
          WHERE j.name = ${STEP_QUEUE} AND j.state = 'created' AND j.start_after > now()
            AND j.data->>'itemId' = ANY(${poisonIds}::text[])
            AND NOT EXISTS (SELECT 1 FROM pgboss.job a
                            WHERE a.name = j.name AND a.state = 'active' AND a.data->>'itemId' = j.data->>'itemId')`.execute(
          rig.t.db,
        );
        if (rows[0]) return { waiting: rows[0] };
        // Everything finished without it ever being seen: fail now rather than at the deadline.
        return (await rig.progress()) === POISON + NORMAL ? { waiting: undefined } : undefined;
      },
      { timeoutMs: 240_000, message: 'a poison item waiting for its next try, or every item finished' },
    );
    expect(seen.waiting?.attempt).toBeOneOf([2, 3]);
    expect(await rig.settled(240_000)).toEqual({ succeeded: NORMAL, rejected: POISON });
  } finally {
    await stopWorker(worker);
  }
  // Every try of a poison item's charge was a job of its own (a job without an attempt is the first
  // try); the retries were created to start later, and pg-boss handed none of them to a worker
  // before its time.
  const { rows: tries } = await sql<{ item: string; attempt: number; state: string; delayed: boolean; due: boolean }>`
    SELECT data->>'itemId' AS item, coalesce((data->>'attempt')::int, 1) AS attempt, state::text AS state,
           start_after > created_on AS delayed, started_on >= start_after AS due
    FROM pgboss.job
    WHERE name = ${STEP_QUEUE} AND data->>'state' = 'charge' AND data->>'itemId' = ANY(${poisonIds}::text[])
    ORDER BY (data->>'itemId')::uuid, 2`.execute(rig.t.db);
  const expectedTries = [...poisonIds].sort().flatMap((item) => [
    { item, attempt: 1, state: 'completed', delayed: false, due: true },
    { item, attempt: 2, state: 'completed', delayed: true, due: true },
    { item, attempt: 3, state: 'completed', delayed: true, due: true },
  ]);
  expect(tries).toEqual(expectedTries);
  const items = await rig.t.db.selectFrom('items').select(['id', 'status', 'context']).execute();
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
});
