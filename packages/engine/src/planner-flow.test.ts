// The planner without a database: parallel branches, waits and submissions turned into the writes
// of their transitions. Expected rows are written out by hand from the workflow in planner.fixtures.ts.
import { describe, expect, it } from 'vitest';
import type { Outcome, StepOutcome } from './plan-types';
import { planSubmission, planTransition, type TransitionAux } from './planner';
import { GENESIS, ITEM, NOW, refunds, snapshot, testEnv } from './planner.fixtures';
import type { ParsedStepJob } from './queue';

const job = (state: string, over: Partial<ParsedStepJob> = {}): ParsedStepJob => ({
  itemId: ITEM,
  state,
  visit: 1,
  attempt: 1,
  kind: 'run',
  ...over,
});
const STARTED = new Date('2026-12-01T11:59:59.000Z');

function plan(outcome: Outcome, item = snapshot(), aux: TransitionAux = {}) {
  return planTransition({ item, definition: refunds, outcome, env: testEnv(), aux });
}
const _result = (state: string, r: StepOutcome, over: Partial<ParsedStepJob> = {}, item = snapshot()) =>
  plan({ kind: 'state-result', job: job(state, over), result: r, startedAt: STARTED }, item);
const actions = (p: { events: { action: string }[] }) => p.events.map((e) => e.action);

describe('parallel branches', () => {
  const at = snapshot({ current_state: 'checks', visits: { checks: 1 } });
  const row = (branch: string, status: 'running' | 'done' = 'running', attempt = 1, output: unknown = null) => ({
    branch,
    status,
    attempt,
    output,
  });

  it('fans out one row and one job per branch, once', () => {
    const fanOut = {
      kind: 'state-result' as const,
      job: job('checks'),
      result: { kind: 'fan-out' as const, branches: ['a', 'b'] },
      startedAt: STARTED,
    };
    const p = plan(fanOut, at, { branches: [] });
    expect(p.branchRuns).toEqual([
      { item_id: ITEM, state: 'checks', visit: 1, branch: 'a' },
      { item_id: ITEM, state: 'checks', visit: 1, branch: 'b' },
    ]);
    expect(p.jobs.map((j) => j.data.branch)).toEqual(['a', 'b']);
    expect(actions(p)).toEqual(['parallel.started']);
    expect(plan(fanOut, at, { branches: [row('a'), row('b')] }).result).toBe('stale');
  });

  it('a branch that is not the last records its output; the last one joins and the item moves on', () => {
    const done = (branch: string, branches: ReturnType<typeof row>[]) =>
      plan(
        { kind: 'branch-result', job: job('checks', { branch }), output: { from: branch }, startedAt: STARTED },
        at,
        { branches },
      );
    const first = done('a', [row('a'), row('b')]);
    expect(first.branchUpdates).toEqual([
      {
        item_id: ITEM,
        state: 'checks',
        visit: 1,
        branch: 'a',
        status: 'done',
        attempt: 1,
        output: { from: 'a' },
        error: null,
        finished: true,
      },
    ]);
    expect(first.item).toBeUndefined();
    const last = done('b', [row('a', 'done', 1, { from: 'a' }), row('b')]);
    expect(last.stateRuns).toMatchObject([
      {
        state: 'checks',
        kind: 'parallel',
        output: { branches: { a: { from: 'a' }, b: { from: 'b' } } },
        next_state: 'settle',
      },
    ]);
    expect(last.item).toMatchObject({
      current_state: 'settle',
      context: { a: { from: 'a' }, b: { from: 'b' }, checks: { branches: ['a', 'b'] } },
    });
    expect(actions(last)).toEqual(['branch.completed', 'state.completed']);
  });

  it('a branch job of an old try is stale', () => {
    const p = plan({ kind: 'branch-result', job: job('checks', { branch: 'a' }), output: 1, startedAt: STARTED }, at, {
      branches: [row('a', 'running', 2), row('b')],
    });
    expect(p.result).toBe('stale');
  });

  it('a failing branch retries; after its last try it fails, cancels its siblings and takes onError', () => {
    const fail = (attempt: number) =>
      plan(
        {
          kind: 'branch-error',
          job: job('checks', { branch: 'a', attempt }),
          error: { message: 'bureau down' },
          permanent: false,
        },
        at,
        {
          branches: [row('a', 'running', attempt), row('b')],
        },
      );
    const retry = fail(1);
    expect(retry.result).toBe('retrying');
    expect(retry.branchUpdates).toMatchObject([{ branch: 'a', status: 'running', attempt: 2 }]);
    expect(retry.jobs[0]?.startAfter).toEqual(new Date('2026-12-01T12:00:00.500Z'));
    const last = fail(2);
    expect(last.result).toBe('fallback');
    expect(last.branchUpdates).toMatchObject([
      { branch: 'a', status: 'failed', error: { message: 'bureau down' } },
      { branch: 'b', status: 'cancelled' },
    ]);
    expect(last.item).toMatchObject({ status: 'rejected', current_state: 'declined' });
  });
});

describe('waits', () => {
  const awaiting = snapshot({ current_state: 'awaitPayment', visits: { awaitPayment: 1 } });
  const deadline = new Date('2026-12-01T13:00:00.000Z');
  const wait = {
    kind: 'state-result' as const,
    job: job('awaitPayment'),
    result: { kind: 'await-event' as const, name: 'payment.confirmed', key: 'order-40', deadline },
    startedAt: STARTED,
  };

  it('a wait for an event opens the wait, keeps the item waiting and sets its deadline job', () => {
    const p = plan(wait, awaiting);
    expect(p.eventWaits).toEqual([
      {
        item_id: ITEM,
        state: 'awaitPayment',
        visit: 1,
        event_name: 'payment.confirmed',
        event_key: 'order-40',
        deadline,
        event_id: null,
      },
    ]);
    expect(p.item).toMatchObject({ status: 'waiting' });
    expect(p.jobs).toEqual([
      { data: { itemId: ITEM, state: 'awaitPayment', visit: 1, kind: 'timeout' }, startAfter: deadline },
    ]);
  });

  it('an event that arrived early is consumed as the wait starts, and the item goes on', () => {
    const early = { id: 'evt-1', name: 'payment.confirmed', key: 'order-40', payload: { amount: 40 } };
    const p = plan(wait, awaiting, { earlyEvent: early });
    expect(p.eventsConsumed).toEqual(['evt-1']);
    expect(p.eventWaits[0]?.event_id).toBe('evt-1');
    expect(actions(p)).toEqual(['wait.started', 'event.received', 'state.completed']);
    expect(p.item).toMatchObject({
      status: 'running',
      current_state: 'settle',
      context: {
        awaitPayment: { event: 'payment.confirmed', key: 'order-40', eventId: 'evt-1', payload: { amount: 40 } },
      },
    });
  });

  it('an event resumes the waiting item with its payload; an item that is not waiting is stale', () => {
    const waiting = { ...awaiting, status: 'waiting' as const };
    const event = {
      kind: 'event' as const,
      wait: { state: 'awaitPayment', visit: 1 },
      event: { id: 'evt-2', name: 'payment.confirmed', key: 'order-40', payload: 7 },
      actor: { type: 'api_key' as const, id: 'key-1' },
    };
    const p = plan(event, waiting);
    expect(p.eventWaitResolves).toEqual([
      { item_id: ITEM, state: 'awaitPayment', visit: 1, resolution: 'event', event_id: 'evt-2' },
    ]);
    expect(p.stateRunCloses).toMatchObject([{ state: 'awaitPayment', visit: 1, next_state: 'settle' }]);
    expect(p.events.map((e) => e.actor)).toEqual([
      { type: 'api_key', id: 'key-1' },
      { type: 'api_key', id: 'key-1' },
    ]);
    expect(plan(event, awaiting).result).toBe('stale');
  });

  it('the deadline takes the timeout path while the wait is open, and is stale once it is resolved', () => {
    const waiting = { ...awaiting, status: 'waiting' as const };
    const timeout = { kind: 'deadline-passed' as const, job: job('awaitPayment', { kind: 'timeout' }) };
    const open = { state: 'awaitPayment', visit: 1, event_name: 'payment.confirmed', event_key: 'order-40', deadline };
    const p = plan(timeout, waiting, { openWait: open });
    expect(p.eventWaitResolves).toMatchObject([{ resolution: 'timeout', event_id: null }]);
    expect(p.item).toMatchObject({
      status: 'rejected',
      current_state: 'cancelled',
      context: { awaitPayment: { timedOut: true, key: 'order-40', deadline: '2026-12-01T13:00:00.000Z' } },
    });
    expect(plan(timeout, waiting, {}).result).toBe('stale');
  });

  it('a timer waits as a delayed job, then the item goes on', () => {
    const cooling = snapshot({ current_state: 'cooldown', visits: { cooldown: 1 } });
    const until = new Date('2026-12-01T12:01:00.000Z');
    const start = plan(
      { kind: 'state-result', job: job('cooldown'), result: { kind: 'await-timer', until }, startedAt: STARTED },
      cooling,
    );
    expect(start.jobs).toEqual([
      { data: { itemId: ITEM, state: 'cooldown', visit: 1, kind: 'timer' }, startAfter: until },
    ]);
    const fired = plan(
      { kind: 'timer-fired', job: job('cooldown', { kind: 'timer' }) },
      { ...cooling, status: 'waiting' },
    );
    expect(fired.stateRunCloses).toEqual([
      {
        item_id: ITEM,
        state: 'cooldown',
        visit: 1,
        output: { waitedMs: 60_000, firedAt: NOW.toISOString() },
        next_state: 'settle',
      },
    ]);
    expect(fired.jobs).toEqual([{ data: { itemId: ITEM, state: 'settle', visit: 1 } }]);
  });
});

describe('submission', () => {
  it('a new item: its row on the start state, its first audit event from genesis, its first job', () => {
    const p = planSubmission(
      {
        workflow: { definition: refunds, versionId: 'version-1', version: 1 },
        input: { amount: 40, vip: false },
        idempotencyKey: 'order-40',
        actor: { type: 'api_key', id: 'key-1' },
      },
      testEnv(),
    );
    expect(p.newItem).toEqual({
      id: 'id-1',
      workflow_name: 'refunds',
      workflow_version_id: 'version-1',
      idempotency_key: 'order-40',
      input: { amount: 40, vip: false },
      status: 'running',
      current_state: 'entry',
      visits: { entry: 1 },
    });
    expect(p.head).toEqual({ seq: 0, hash: GENESIS });
    expect(p.events).toEqual([
      {
        actor: { type: 'api_key', id: 'key-1' },
        action: 'item.submitted',
        data: {
          workflow: 'refunds',
          version: 1,
          versionId: 'version-1',
          idempotencyKey: 'order-40',
          start: 'entry',
          // printf '{"amount":40,"vip":false}' | sha256sum
          inputHash: '44ff920fc7744bd31bd3c6c5382294a660cb1d6d5b25e6d46b96c8ba63ecec04',
        },
      },
    ]);
    expect(p.jobs).toEqual([{ data: { itemId: 'id-1', state: 'entry', visit: 1 } }]);
  });
});
