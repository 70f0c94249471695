// Workflow features on real workers and real PostgreSQL: retries with back-off, time limits,
// fallback paths, bounded loops, parallel branches with a join, waits for events and timers.
import { defineWorkflow } from '@signoff/core';
import { deliverEvent } from '@signoff/engine';
import { SYSTEM } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const tries = new Map<string, number>();
const count = (key: string) => {
  const n = (tries.get(key) ?? 0) + 1;
  tries.set(key, n);
  return n;
};
const input = z.object({ id: z.string(), failTimes: z.number().default(0), quality: z.array(z.number()).default([]) });

const resilient = defineWorkflow({
  name: 'sem-resilient',
  input,
  start: 'flaky',
  states: {
    flaky: {
      kind: 'task',
      retry: { maxAttempts: 3, initialDelayMs: 20, jitter: 0 },
      run: (ctx, meta) => {
        count(`${ctx.input.id}:flaky`);
        if (meta.attempt <= ctx.input.failTimes) throw new Error(`flaky failure #${meta.attempt}`);
        return { attempt: meta.attempt };
      },
      onError: 'fallback',
      next: 'done',
    },
    fallback: { kind: 'task', run: (ctx) => ({ recovered: true, error: ctx.flaky.error.message }), next: 'done' },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const strict = defineWorkflow({
  name: 'sem-strict',
  input,
  start: 'always',
  states: {
    always: {
      kind: 'task',
      retry: { maxAttempts: 2, initialDelayMs: 10 },
      run: () => {
        throw new Error('poison input');
      },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const slow = defineWorkflow({
  name: 'sem-timeout',
  input,
  start: 'hang',
  states: {
    hang: {
      kind: 'task',
      timeoutMs: 100,
      retry: { maxAttempts: 2, initialDelayMs: 10 },
      run: (_ctx, meta) => new Promise((resolve) => meta.signal.addEventListener('abort', () => resolve('too late'))),
      onError: 'late',
      next: 'done',
    },
    late: { kind: 'final', status: 'rejected', output: (ctx) => ctx.hang },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const loop = defineWorkflow({
  name: 'sem-loop',
  input,
  start: 'generate',
  states: {
    generate: {
      kind: 'task',
      maxVisits: 3,
      onMaxVisits: 'humanHelp',
      run: (ctx) => ({ quality: ctx.input.quality[count(`${ctx.input.id}:generate`) - 1] ?? 0 }),
      next: 'check',
    },
    check: {
      kind: 'choice',
      branches: [{ when: (ctx) => ctx.generate.quality >= 80, next: 'publish' }],
      otherwise: 'generate',
    },
    humanHelp: {
      kind: 'review',
      queue: 'content',
      labels: ['publish', 'drop'],
      instructions: 'Three tries failed',
      next: 'publish',
    },
    publish: { kind: 'final', status: 'succeeded' },
  },
});

const fan = defineWorkflow({
  name: 'sem-parallel',
  input,
  start: 'checks',
  states: {
    checks: {
      kind: 'parallel',
      branches: {
        inventory: { run: async (ctx) => ({ inStock: ctx.input.id !== 'none' }) },
        credit: {
          retry: { maxAttempts: 2, initialDelayMs: 10 },
          run: (ctx, meta) => {
            if (ctx.input.failTimes >= meta.attempt) throw new Error('credit bureau down');
            return { approved: true, attempt: meta.attempt };
          },
        },
        fraud: { run: () => ({ score: 0.1 }) },
      },
      onError: 'manual',
      next: 'ship',
    },
    ship: { kind: 'task', run: (ctx) => ({ shipped: ctx.inventory.inStock && ctx.credit.approved }), next: 'done' },
    manual: { kind: 'final', status: 'rejected', output: (ctx) => ctx.checks },
    done: { kind: 'final', status: 'succeeded' },
  },
});

const waiting = defineWorkflow({
  name: 'sem-wait',
  input,
  start: 'awaitPayment',
  states: {
    awaitPayment: {
      kind: 'wait',
      event: { name: 'payment.confirmed', key: (ctx) => ctx.input.id },
      timeoutMs: 30_000,
      onTimeout: 'cancelled',
      next: 'cooldown',
    },
    cooldown: { kind: 'wait', durationMs: 50, next: 'done' },
    cancelled: { kind: 'final', status: 'rejected' },
    done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ paid: ctx.awaitPayment.payload }) },
  },
});

const shortWait = defineWorkflow({
  name: 'sem-wait-short',
  input,
  start: 'awaitPayment',
  states: {
    awaitPayment: {
      kind: 'wait',
      event: { name: 'payment.confirmed', key: (ctx) => ctx.input.id },
      timeoutMs: 150,
      onTimeout: 'cancelled',
      next: 'done',
    },
    cancelled: { kind: 'final', status: 'rejected', output: (ctx) => ctx.awaitPayment },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [resilient, strict, slow, loop, fan, waiting, shortWait]);
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

describe('retries, time limits and fallbacks', () => {
  it('retries a failing state with exponential back-off and then succeeds', async () => {
    const id = await e.submit('sem-resilient', { id: 'r1', failTimes: 2 });
    const item = await e.settle(id);
    expect(item.status).toBe('succeeded');
    expect(item.context.flaky).toEqual({ attempt: 3 });
    expect(tries.get('r1:flaky')).toBe(3);
    const retries = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('stream', '=', id)
      .where('action', '=', 'state.retry_scheduled')
      .orderBy('seq')
      .execute();
    expect(retries.map((r) => r.data.delayMs)).toEqual([20, 40]);
  });

  it('takes the fallback path with the error in the context once tries run out', async () => {
    const id = await e.submit('sem-resilient', { id: 'r2', failTimes: 9 });
    const item = await e.settle(id);
    expect(item.status).toBe('succeeded');
    expect(item.context.flaky).toMatchObject({ failed: true, attempts: 3, error: { message: 'flaky failure #3' } });
    expect(item.context.fallback).toEqual({ recovered: true, error: 'flaky failure #3' });
    expect(await e.actions(id)).toContain('state.failed:flaky');
  });

  it('fails the item with its error visible when there is no fallback', async () => {
    const id = await e.submit('sem-strict', { id: 's1' });
    const item = await e.settle(id);
    expect(item.status).toBe('failed');
    expect(item.error).toMatchObject({ state: 'always', message: 'poison input (after 2 attempts)' });
    expect(await e.actions(id)).toEqual(['item.submitted', 'state.retry_scheduled:always', 'item.failed:always']);
  });

  it('abandons a try that exceeds its time limit', async () => {
    const id = await e.submit('sem-timeout', { id: 't1' });
    const item = await e.settle(id);
    expect(item.status).toBe('rejected');
    expect(item.context.hang).toMatchObject({ failed: true, error: { code: 'TIMEOUT' } });
  });
});

describe('bounded loops', () => {
  it('loops until the check passes', async () => {
    const id = await e.submit('sem-loop', { id: 'l1', quality: [50, 90] });
    const item = await e.settle(id);
    expect(item.status).toBe('succeeded');
    expect(item.visits.generate).toBe(2);
  });

  it('sends the item elsewhere instead of a visit past maxVisits', async () => {
    const id = await e.submit('sem-loop', { id: 'l2', quality: [10, 20, 30, 40] });
    const item = await e.settle(id, ['waiting']);
    expect(item.current_state).toBe('humanHelp');
    expect(item.visits.generate).toBe(3);
    expect(await e.actions(id)).toContain('state.max_visits_reached:generate');
  });
});

describe('parallel branches', () => {
  it('runs branches, joins when all finish and merges their outputs under their names', async () => {
    const id = await e.submit('sem-parallel', { id: 'p1', failTimes: 1 });
    const item = await e.settle(id);
    expect(item.status).toBe('succeeded');
    expect(item.context).toMatchObject({
      inventory: { inStock: true },
      credit: { approved: true, attempt: 2 },
      fraud: { score: 0.1 },
      ship: { shipped: true },
    });
    const actions = await e.actions(id);
    expect(actions.filter((a) => a === 'branch.completed:checks')).toHaveLength(3);
    expect(actions).toContain('branch.retry_scheduled:checks');
    expect(actions.indexOf('parallel.started:checks')).toBeLessThan(actions.indexOf('branch.completed:checks'));
  });

  it('a branch that fails for good cancels its siblings and follows the error path', async () => {
    const id = await e.submit('sem-parallel', { id: 'p2', failTimes: 5 });
    const item = await e.settle(id);
    expect(item.status).toBe('rejected');
    expect(item.context.checks).toMatchObject({ failedBranch: 'credit', error: { message: 'credit bureau down' } });
    const rows = await t.db.selectFrom('branch_runs').select(['branch', 'status']).where('item_id', '=', id).execute();
    expect(rows.find((r) => r.branch === 'credit')?.status).toBe('failed');
  });
});

describe('waits', () => {
  const deliver = (key: string, payload: unknown, dedupeKey?: string) =>
    t.db
      .transaction()
      .execute((trx) => deliverEvent(trx, e, { name: 'payment.confirmed', key, payload, dedupeKey }, SYSTEM));

  it('resumes on its event with the payload in the context, then waits out a timer', async () => {
    const id = await e.submit('sem-wait', { id: 'order-1' });
    await e.settle(id, ['waiting']);
    const r = await deliver('order-1', { amount: 42 }, 'psp-evt-1');
    expect(r.resumed).toEqual([id]);
    expect((await deliver('order-1', { amount: 42 }, 'psp-evt-1')).duplicate).toBe(true);
    const item = await e.settle(id);
    expect(item.status).toBe('succeeded');
    expect(item.context.done).toEqual({ paid: { amount: 42 } });
    expect(await e.actions(id)).toEqual(
      expect.arrayContaining(['wait.started:awaitPayment', 'event.received:awaitPayment', 'timer.started:cooldown']),
    );
  });

  it('keeps an event that arrives before the wait and consumes it when the wait starts', async () => {
    expect((await deliver('order-early', { amount: 7 })).resumed).toEqual([]);
    const id = await e.submit('sem-wait', { id: 'order-early' });
    const item = await e.settle(id);
    expect(item.context.done).toEqual({ paid: { amount: 7 } });
  });

  it('takes the timeout path when no event comes in time', async () => {
    const id = await e.submit('sem-wait-short', { id: 'order-late' });
    const item = await e.settle(id);
    expect(item.status).toBe('rejected');
    expect(item.context.awaitPayment).toMatchObject({ timedOut: true, key: 'order-late' });
    expect(item.context.cancelled).toEqual(item.context.awaitPayment);
    // A late event finds nobody waiting and resumes nothing.
    expect((await deliver('order-late', {})).resumed).toEqual([]);
  });
});
