// The planner without a database: state results and failures turned into the writes of their transitions.
// Expected rows are written out by hand from the workflow in planner.fixtures.ts.
import { describe, expect, it } from 'vitest';
import type { Outcome, StepOutcome } from './plan-types';
import { planTransition, type TransitionAux } from './planner';
import { decision, ITEM, NOW, refunds, snapshot, testEnv } from './planner.fixtures';
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
const result = (state: string, r: StepOutcome, over: Partial<ParsedStepJob> = {}, item = snapshot()) =>
  plan({ kind: 'state-result', job: job(state, over), result: r, startedAt: STARTED }, item);
const actions = (p: { events: { action: string }[] }) => p.events.map((e) => e.action);

describe('state results', () => {
  it('a task result runs through the choice and final states it reaches, in one plan', () => {
    const p = result('charge', { kind: 'advance', output: { ok: true }, next: 'check' });
    expect(p.result).toBe('committed');
    expect(p.stateRuns).toEqual([
      {
        id: 'id-1',
        item_id: ITEM,
        workflow_name: 'refunds',
        state: 'charge',
        visit: 1,
        kind: 'task',
        status: 'done',
        output: { ok: true },
        next_state: 'check',
        attempts: 1,
        started_at: STARTED,
        finished_at: NOW,
      },
      {
        id: 'id-2',
        item_id: ITEM,
        workflow_name: 'refunds',
        state: 'check',
        visit: 1,
        kind: 'choice',
        status: 'done',
        output: { branch: 'otherwise', next: 'small' },
        next_state: 'small',
        attempts: 1,
        started_at: NOW,
        finished_at: NOW,
      },
      {
        id: 'id-3',
        item_id: ITEM,
        workflow_name: 'refunds',
        state: 'small',
        visit: 1,
        kind: 'final',
        status: 'done',
        output: null,
        next_state: null,
        attempts: 1,
        started_at: NOW,
        finished_at: NOW,
      },
    ]);
    // Events carry digests of the outputs (SHA-256 of their canonical JSON, computed with
    // `printf '{"ok":true}' | sha256sum`), the outputs themselves the state runs and the context.
    expect(p.events).toEqual([
      {
        actor: { type: 'system', id: null },
        action: 'state.completed',
        data: {
          state: 'charge',
          visit: 1,
          outputHash: '4062edaf750fb8074e7e83e0c9028c94e32468a8b6f1614774328ef045150f93',
          next: 'check',
          nextVisit: 1,
        },
      },
      {
        actor: { type: 'system', id: null },
        action: 'state.completed',
        data: {
          state: 'check',
          visit: 1,
          outputHash: 'c06eb03f655b63e511cddc4c7f81273f3962ab2b700537f527ab748c6c292b1b',
          next: 'small',
          nextVisit: 1,
        },
      },
      {
        actor: { type: 'system', id: null },
        action: 'item.finished',
        data: {
          state: 'small',
          status: 'rejected',
          outputHash: '74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b',
        },
      },
    ]);
    expect(p.item).toEqual({
      status: 'rejected',
      current_state: 'small',
      visits: { charge: 1, check: 1, small: 1 },
      attempt: 1,
      context: { charge: { ok: true }, check: { branch: 'otherwise', next: 'small' }, small: null },
      error: null,
      finished_at: NOW,
    });
    expect(p.jobs).toEqual([]);
    expect(p.head).toEqual({ seq: 3, hash: 'h'.repeat(64) });
  });

  it("a choice's matching branch is taken and a final state's output lands in the context", () => {
    const p = result(
      'charge',
      { kind: 'advance', output: { ok: true }, next: 'check' },
      {},
      snapshot({ input: { amount: 500, vip: true } }),
    );
    expect(p.item).toMatchObject({
      status: 'succeeded',
      current_state: 'big',
      context: { check: { branch: 'large refund', next: 'big' }, big: { total: 500 } },
    });
  });

  it('moving into a state that needs work ends the plan with its job', () => {
    const p = result(
      'plain',
      { kind: 'advance', output: 7, next: 'settle' },
      {},
      snapshot({ current_state: 'plain', visits: { plain: 1 } }),
    );
    expect(p.item).toMatchObject({
      status: 'running',
      current_state: 'settle',
      visits: { plain: 1, settle: 1 },
      attempt: 1,
    });
    expect(p.jobs).toEqual([{ data: { itemId: ITEM, state: 'settle', visit: 1 } }]);
  });

  it('a state entered a second time is visit 2; a third time past maxVisits 2 goes to onMaxVisits', () => {
    const second = result(
      'retryLoop',
      { kind: 'advance', output: null, next: 'retryLoop' },
      {},
      snapshot({ current_state: 'retryLoop', visits: { retryLoop: 1 } }),
    );
    expect(actions(second)).toEqual(['state.completed']);
    expect(second.jobs).toEqual([{ data: { itemId: ITEM, state: 'retryLoop', visit: 2 } }]);
    const third = result(
      'retryLoop',
      { kind: 'advance', output: null, next: 'retryLoop' },
      { visit: 2 },
      snapshot({ current_state: 'retryLoop', visits: { retryLoop: 2 } }),
    );
    expect(third.events[0]).toEqual({
      actor: { type: 'system', id: null },
      action: 'state.max_visits_reached',
      data: { state: 'retryLoop', maxVisits: 2, redirectedTo: 'giveUp' },
    });
    expect(third.jobs).toEqual([{ data: { itemId: ITEM, state: 'giveUp', visit: 1 } }]);
  });

  it('an auto-accepted decision is recorded on its state run, and the item goes on', () => {
    const d = decision('refund', 0.97, 'auto');
    const item = snapshot({ current_state: 'classify', visits: { classify: 1 } });
    const p = result(
      'classify',
      { kind: 'advance', output: { label: 'refund' }, next: 'settle', decision: d },
      {},
      item,
    );
    expect(p.stateRuns[0]).toMatchObject({ id: 'id-1', state: 'classify', kind: 'decide', status: 'done' });
    expect(p.decisions).toHaveLength(1);
    expect(p.decisions[0]).toMatchObject({
      id: 'id-2',
      state_run_id: 'id-1',
      label: 'refund',
      confidence: 0.97,
      calibrated_confidence: 0.97,
      route: 'auto',
      model_version: 'v3',
      cost_usd: 0,
    });
    expect(p.events[0]).toMatchObject({ action: 'decision.made', data: { decisionId: 'id-2', route: 'auto' } });
    expect(p.reviewTasks).toEqual([]);
    expect(p.jobs).toEqual([{ data: { itemId: ITEM, state: 'settle', visit: 1 } }]);
  });

  it('a routed decision waits for a person: a waiting state run, the task with its due time, no job', () => {
    const d = decision('deny', 0.6, 'review');
    const item = snapshot({ current_state: 'classify', visits: { classify: 1 } });
    const review = {
      kind: 'decision' as const,
      queue: 'refunds',
      labels: ['refund', 'deny'],
      reasons: d.reasons,
      instructions: 'Classify.',
      summary: null,
      dueInMinutes: 30,
      escalateTo: undefined,
    };
    const p = result('classify', { kind: 'await-review', review, decision: d }, {}, item);
    expect(p.stateRuns[0]).toMatchObject({ id: 'id-1', status: 'waiting', output: null, next_state: null });
    expect(p.reviewTasks).toEqual([
      {
        id: 'id-3',
        item_id: ITEM,
        state: 'classify',
        visit: 1,
        decision_id: 'id-2',
        kind: 'decision',
        queue: 'refunds',
        labels: ['refund', 'deny'],
        reasons: d.reasons,
        instructions: 'Classify.',
        summary: null,
        due_at: new Date('2026-12-01T12:30:00.000Z'),
        escalate_to: 'escalations',
        priority: 0,
        slot: 1,
        reviewers_required: 1,
      },
    ]);
    expect(actions(p)).toEqual(['decision.made', 'review.requested']);
    expect(p.events[1]?.data).toMatchObject({ taskId: 'id-3', decisionId: 'id-2', queue: 'refunds' });
    expect(p.item).toMatchObject({ status: 'waiting', current_state: 'classify' });
    expect(p.jobs).toEqual([]);
  });

  it('a QA sample goes on and leaves a QA task beside it', () => {
    const d = decision('refund', 0.99, 'sampled');
    const item = snapshot({ current_state: 'classify', visits: { classify: 1 } });
    const qa = {
      kind: 'qa' as const,
      queue: 'qa',
      labels: ['refund', 'deny'],
      reasons: [{ code: 'qa_sample' as const, message: 'sampled' }],
      instructions: 'Classify.',
      summary: null,
      dueInMinutes: undefined,
      escalateTo: undefined,
    };
    const p = result(
      'classify',
      { kind: 'advance', output: { label: 'refund' }, next: 'settle', decision: d, qa },
      {},
      item,
    );
    expect(p.reviewTasks).toMatchObject([{ kind: 'qa', queue: 'qa', decision_id: 'id-2', due_at: null }]);
    expect(actions(p)).toEqual(['decision.made', 'review.requested', 'state.completed']);
    expect(p.events[1]?.data).toMatchObject({ qa: true });
    expect(p.item).toMatchObject({ status: 'running', current_state: 'settle' });
  });

  it('a job for another visit, another attempt or a waiting item is stale and writes nothing', () => {
    const advance = { kind: 'advance' as const, output: null, next: 'check' };
    for (const p of [
      result('charge', advance, { visit: 2 }),
      result('charge', advance, { attempt: 2 }),
      result('charge', advance, {}, snapshot({ status: 'waiting' })),
      result('check', advance),
    ]) {
      expect(p.result).toBe('stale');
      expect(p.events).toEqual([]);
      expect(p.item).toBeUndefined();
      expect(p.stateRuns).toEqual([]);
      expect(p.jobs).toEqual([]);
    }
  });

  it('a final state that ran as its own job finishes the item', () => {
    const p = result(
      'small',
      { kind: 'finish', status: 'rejected', output: { why: 'x' } },
      {},
      snapshot({ current_state: 'small', visits: { small: 1 } }),
    );
    expect(p.item).toMatchObject({ status: 'rejected', finished_at: NOW, context: { small: { why: 'x' } } });
    expect(actions(p)).toEqual(['item.finished']);
  });
});

describe('failures', () => {
  const failing = (attempt: number, permanent = false, item = snapshot({ attempt })) =>
    plan(
      {
        kind: 'state-error',
        job: job('charge', { attempt }),
        error: { message: 'card declined' },
        permanent,
        startedAt: STARTED,
      },
      item,
    );

  it('a failed try with tries left schedules the next one as a delayed job after the back-off', () => {
    const p = failing(1);
    expect(p.result).toBe('retrying');
    // initialDelayMs 1000 * 2^0, jitter at its midpoint: 1000 ms.
    expect(p.jobs).toEqual([
      {
        data: { itemId: ITEM, state: 'charge', visit: 1, attempt: 2, kind: 'run' },
        startAfter: new Date('2026-12-01T12:00:01.000Z'),
      },
    ]);
    expect(p.item).toMatchObject({ attempt: 2, status: 'running', current_state: 'charge' });
    expect(p.events).toEqual([
      {
        actor: { type: 'system', id: null },
        action: 'state.retry_scheduled',
        data: {
          state: 'charge',
          visit: 1,
          error: { message: 'card declined' },
          attempt: 1,
          nextAttempt: 2,
          delayMs: 1000,
        },
      },
    ]);
    // The second try waits twice as long.
    expect(failing(2).jobs[0]?.startAfter).toEqual(new Date('2026-12-01T12:00:02.000Z'));
  });

  it('the last try sends the item down onError with the error in the context', () => {
    const p = failing(3);
    expect(p.result).toBe('fallback');
    expect(actions(p)).toEqual(['state.failed', 'state.completed', 'item.finished']);
    expect(p.item).toMatchObject({
      status: 'rejected',
      current_state: 'declined',
      context: { charge: { error: { message: 'card declined' }, attempts: 3, failed: true } },
    });
  });

  it('a permanent error skips the remaining tries', () => {
    expect(failing(1, true).result).toBe('fallback');
  });

  it('without onError the item fails with its error and the number of tries', () => {
    const p = plan(
      {
        kind: 'state-error',
        job: job('plain', { attempt: 3 }),
        error: { message: 'boom', code: 'TypeError' },
        permanent: false,
        startedAt: STARTED,
      },
      snapshot({ current_state: 'plain', visits: { plain: 1 }, attempt: 3 }),
    );
    expect(p.result).toBe('failed');
    expect(p.item).toMatchObject({
      status: 'failed',
      finished_at: NOW,
      error: { state: 'plain', message: 'boom (after 3 attempts)', code: 'TypeError' },
    });
    expect(actions(p)).toEqual(['item.failed']);
  });

  it('a job pg-boss gave up on fails the item visibly', () => {
    const p = plan({ kind: 'job-failed', job: job('charge'), message: 'connection terminated' });
    expect(p.item).toMatchObject({ status: 'failed', error: { state: 'charge', message: 'connection terminated' } });
  });
});
