// One transaction per transition, and idempotent state runs, shown on a small workflow driven
// step by step (no background workers), with crashes injected at named fault points.
import { createLocalProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import {
  createBoss,
  ensureQueues,
  executeStep,
  type FaultPoint,
  STEP_QUEUE,
  type StepJob,
  submitItem,
  WorkflowRegistry,
} from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';

const effects = new Map<string, number>();
const flow = defineWorkflow({
  name: 'engine-test',
  input: z.object({ n: z.number() }),
  start: 'charge',
  states: {
    charge: {
      kind: 'task',
      run: (ctx, { idempotencyKey }) => {
        effects.set(idempotencyKey, (effects.get(idempotencyKey) ?? 0) + 1);
        return { charged: ctx.input.n * 2 };
      },
      next: 'check',
    },
    check: {
      kind: 'choice',
      branches: [{ when: (ctx) => ctx.charge.charged > 10, next: 'big', label: 'big' }],
      otherwise: 'small',
    },
    big: { kind: 'final', status: 'succeeded', output: (ctx) => ({ total: ctx.charge.charged }) },
    small: { kind: 'final', status: 'rejected' },
  },
});

let t: TestDatabase;
let boss: PgBoss;
const registry = new WorkflowRegistry();
const provider = createLocalProvider();

beforeAll(async () => {
  t = await createTestDatabase();
  boss = createBoss(t.url, { max: 3 });
  await boss.start();
  await ensureQueues(boss);
  await registry.register(t.db, flow);
});
afterAll(async () => {
  await boss.stop({ graceful: false, close: true });
  await t.drop();
});

async function submit(n: number) {
  return t.db
    .transaction()
    .execute((trx) => submitItem(trx, { registry, boss }, { workflow: 'engine-test', input: { n } }, SYSTEM));
}

async function snapshot(itemId: string) {
  const [item, runs, events, jobs] = await Promise.all([
    t.db
      .selectFrom('items')
      .select(['status', 'current_state', 'visits', 'context'])
      .where('id', '=', itemId)
      .executeTakeFirstOrThrow(),
    t.db.selectFrom('state_runs').select(['state', 'visit']).where('item_id', '=', itemId).execute(),
    t.db.selectFrom('audit_events').select('action').where('stream', '=', itemId).execute(),
    boss.findJobs(STEP_QUEUE, { data: { itemId } }),
  ]);
  return { item, runs: runs.length, events: events.length, jobs: jobs.map((j) => (j.data as StepJob).state).sort() };
}

function crashAt(point: FaultPoint) {
  return (p: FaultPoint) => {
    if (p === point) throw new Error(`injected crash at ${point}`);
  };
}

describe('engine transitions', () => {
  it('runs a workflow to its final state, evaluating the choice and final states on the way', async () => {
    const { id } = await submit(7);
    const deps = { db: t.db, boss, registry, provider };
    expect(await executeStep(deps, { itemId: id, state: 'charge', visit: 1 })).toBe('committed');
    const s = await snapshot(id);
    expect(s.item.status).toBe('succeeded');
    expect(s.item.context).toMatchObject({
      charge: { charged: 14 },
      check: { branch: 'big', next: 'big' },
      big: { total: 14 },
    });
    // charge, check and big each have their state run; no job is left for check or big.
    expect(s.runs).toBe(3);
    expect(s.jobs).toEqual(['charge']);
    expect(await executeStep(deps, { itemId: id, state: 'check', visit: 1 })).toBe('stale');
  });

  it('a retried job whose state run exists does not run the state again', async () => {
    const { id } = await submit(1);
    const deps = { db: t.db, boss, registry, provider };
    const job = { itemId: id, state: 'charge', visit: 1 };
    expect(await executeStep(deps, job)).toBe('committed');
    expect(await executeStep(deps, job)).toBe('stale');
    expect(effects.get(`${id}:charge:1`)).toBe(1);
    expect((await snapshot(id)).runs).toBe(3);
  });

  it('a crash before COMMIT leaves the old state whole; the retry commits the new one whole', async () => {
    const { id } = await submit(3);
    const job = { itemId: id, state: 'charge', visit: 1 };
    const before = await snapshot(id);
    await expect(
      executeStep({ db: t.db, boss, registry, provider, faults: crashAt('before-commit') }, job),
    ).rejects.toThrow(/injected/);
    // Nothing of the transition is visible: no state run, no audit event, no next job, item unmoved.
    expect(await snapshot(id)).toEqual(before);
    expect(await executeStep({ db: t.db, boss, registry, provider }, job)).toBe('committed');
    const after = await snapshot(id);
    // 3 * 2 = 6 is not above 10: charge -> check -> small, rejected.
    expect(after.item).toMatchObject({ status: 'rejected', current_state: 'small' });
    expect(after.runs).toBe(3);
    // state.completed (charge), state.completed (check), item.finished.
    expect(after.events).toBe(before.events + 3);
    expect(after.jobs).toEqual(['charge']);
  });

  it('a crash after the effect re-runs the state with the same idempotency key', async () => {
    const { id } = await submit(4);
    const job = { itemId: id, state: 'charge', visit: 1 };
    await expect(
      executeStep({ db: t.db, boss, registry, provider, faults: crashAt('after-effect') }, job),
    ).rejects.toThrow(/injected/);
    expect(await executeStep({ db: t.db, boss, registry, provider }, job)).toBe('committed');
    // The side effect saw one key twice: an idempotent receiver applies it once.
    expect(effects.get(`${id}:charge:1`)).toBe(2);
    expect((await snapshot(id)).runs).toBe(3);
  });
});
