// Plans for a state's own job: its result, its failure (retry, fallback path or failed item), and
// a job that pg-boss gave up on.
import { DEFAULT_RETRY, type RetryPolicy, retryDelayMs, type WorkflowDefinition } from '@signoff/core';
import { payloadHash, SYSTEM } from '@signoff/governance';
import { BREAKER_JITTER_MS, triesOf } from './breaker-wait';
import {
  audit,
  currentPosition,
  emptyPlan,
  failItem,
  finish,
  isAtStep,
  moveTo,
  recordDecision,
  requestReview,
  stalePlan,
  stateOf,
  stateRun,
} from './plan-common';
import type { EventRow, ItemSnapshot, Outcome, Plan, PlanEnv } from './plan-types';
import type { ParsedStepJob } from './queue';

type StateResult = Extract<Outcome, { kind: 'state-result' }>;

/** The transition of a state whose work finished (see `runState` for what each kind produces). */
export function planStateResult(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: StateResult,
  aux: { earlyEvent?: EventRow | undefined; branchesExist?: boolean },
): Plan {
  const { job, result, startedAt } = o;
  if (!isAtStep(item, job)) return stalePlan(item);
  const state = stateOf(definition, job.state);
  const at = { itemId: item.id, state: job.state, visit: job.visit };
  const p = emptyPlan(item, 'committed');
  switch (result.kind) {
    case 'advance': {
      const run = stateRun(
        item,
        env,
        job.state,
        job.visit,
        state.kind,
        result.output,
        result.next,
        triesOf(job),
        startedAt,
      );
      p.stateRuns.push(run);
      const decisionId = result.decision ? recordDecision(p, env, at, run.id, result.decision) : null;
      // A QA sample: the item goes on, and a person reviews the decision alongside.
      if (result.qa) requestReview(p, env, at, result.qa, decisionId);
      moveTo(p, item, definition, env, job.state, result.output, result.next);
      return p;
    }
    case 'await-review': {
      const run = stateRun(item, env, job.state, job.visit, state.kind, null, null, triesOf(job), startedAt, 'waiting');
      p.stateRuns.push(run);
      const decisionId = result.decision ? recordDecision(p, env, at, run.id, result.decision) : null;
      requestReview(p, env, at, result.review, decisionId);
      p.item = { ...currentPosition(item), status: 'waiting' };
      return p;
    }
    case 'finish':
      p.stateRuns.push(
        stateRun(item, env, job.state, job.visit, 'final', result.output, null, item.attempt, startedAt),
      );
      p.item = currentPosition(item);
      finish(p, env, job.state, result.status, result.output);
      return p;
    case 'fan-out':
      // A fan-out records its state run when the branches join; its branch rows mark it as done.
      if (aux.branchesExist) return stalePlan(item);
      for (const branch of result.branches) {
        p.branchRuns.push({ item_id: item.id, state: job.state, visit: job.visit, branch });
        p.jobs.push({ data: { itemId: item.id, state: job.state, visit: job.visit, branch } });
      }
      audit(p, SYSTEM, 'parallel.started', { state: job.state, visit: job.visit, branches: result.branches });
      return p;
    case 'await-event': {
      const early = aux.earlyEvent;
      audit(p, SYSTEM, 'wait.started', {
        state: job.state,
        visit: job.visit,
        event: result.name,
        key: result.key,
        deadline: result.deadline?.toISOString() ?? null,
      });
      p.eventWaits.push({
        item_id: item.id,
        state: job.state,
        visit: job.visit,
        event_name: result.name,
        event_key: result.key,
        deadline: result.deadline,
        event_id: early?.id ?? null,
      });
      if (!early) {
        p.stateRuns.push(
          stateRun(item, env, job.state, job.visit, 'wait', null, null, item.attempt, startedAt, 'waiting'),
        );
        p.item = { ...currentPosition(item), status: 'waiting' };
        if (result.deadline)
          p.jobs.push({
            data: { itemId: item.id, state: job.state, visit: job.visit, kind: 'timeout' },
            startAfter: result.deadline,
          });
        return p;
      }
      // The event arrived before the wait: it is consumed at once and the item goes on.
      const wait = state.kind === 'wait' ? state : undefined;
      if (!wait) throw new Error(`State "${job.state}" is not a wait`);
      const output = eventOutput(early);
      p.eventsConsumed.push(early.id);
      audit(p, SYSTEM, 'event.received', receivedEventData(job, output));
      p.stateRuns.push(stateRun(item, env, job.state, job.visit, 'wait', output, wait.next, item.attempt, startedAt));
      moveTo(p, item, definition, env, job.state, output, wait.next);
      return p;
    }
    case 'await-breaker': {
      // The try the breaker refused runs again once its probe goes through (or just after), as a
      // delayed job: no worker waits, and the try is not counted (see `breakerWaitMs`).
      const r = emptyPlan(item, 'retrying');
      const jitter = Math.round(env.random() * BREAKER_JITTER_MS);
      const delayMs = Math.max(0, result.retryAt - env.now.getTime()) + jitter;
      r.item = { ...currentPosition(item), attempt: job.attempt + 1 };
      audit(r, SYSTEM, 'state.retry_scheduled', {
        state: job.state,
        visit: job.visit,
        error: result.error,
        attempt: job.attempt,
        nextAttempt: job.attempt + 1,
        delayMs,
        waitsFor: 'circuit_breaker_probe',
        retryAt: new Date(result.retryAt).toISOString(),
        triesSpent: triesOf(job) - 1,
      });
      r.jobs.push({
        data: {
          ...job,
          attempt: job.attempt + 1,
          deferrals: (job.deferrals ?? 0) + 1,
          deferredMs: (job.deferredMs ?? 0) + delayMs,
        },
        startAfter: new Date(env.now.getTime() + delayMs),
      });
      return r;
    }
    case 'await-timer':
      p.stateRuns.push(
        stateRun(item, env, job.state, job.visit, 'wait', null, null, item.attempt, startedAt, 'waiting'),
      );
      p.item = { ...currentPosition(item), status: 'waiting' };
      audit(p, SYSTEM, 'timer.started', { state: job.state, visit: job.visit, until: result.until.toISOString() });
      p.jobs.push({
        data: { itemId: item.id, state: job.state, visit: job.visit, kind: 'timer' },
        startAfter: result.until,
      });
      return p;
  }
}

/** What an event puts in the context of the wait it resolves. */
export function eventOutput(event: EventRow) {
  return { event: event.name, key: event.key, eventId: event.id, payload: event.payload ?? null };
}

/** The data of an `event.received` event: which event, and the digest of its payload (kept in `events`). */
export function receivedEventData(at: { state: string; visit: number }, output: ReturnType<typeof eventOutput>) {
  const { payload, ...facts } = output;
  return { state: at.state, visit: at.visit, ...facts, payloadHash: payloadHash(payload) };
}

/**
 * A state whose work threw: another try after an exponential, jittered back-off while tries
 * remain (a delayed job: no worker waits), then the `onError` path with the error in the context,
 * else the item fails with the error. A permanent error (a webhook answered 400) skips the tries.
 * Attempts an open circuit breaker refused are not tries (`triesOf`; `await-breaker` above).
 */
export function planStateError(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'state-error' }>,
): Plan {
  const { job, error, startedAt } = o;
  if (!isAtStep(item, job)) return stalePlan(item);
  const state = stateOf(definition, job.state);
  const policy: { retry?: RetryPolicy | undefined; onError?: string | undefined } =
    state.kind === 'task' || state.kind === 'decide' ? state : {};
  const maxAttempts = policy.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
  const tries = triesOf(job);
  if (tries < maxAttempts && !o.permanent) {
    const p = emptyPlan(item, 'retrying');
    p.item = { ...currentPosition(item), attempt: job.attempt + 1 };
    scheduleRetry(p, env, job, retryDelayMs(policy.retry, tries, env.random()), 'state.retry_scheduled', {
      state: job.state,
      visit: job.visit,
      error,
    });
    return p;
  }
  if (policy.onError) {
    const p = emptyPlan(item, 'fallback');
    const output = { error, attempts: tries, failed: true };
    audit(p, SYSTEM, 'state.failed', {
      state: job.state,
      visit: job.visit,
      attempts: tries,
      error,
      fallback: policy.onError,
    });
    p.stateRuns.push(stateRun(item, env, job.state, job.visit, state.kind, output, policy.onError, tries, startedAt));
    moveTo(p, item, definition, env, job.state, output, policy.onError);
    return p;
  }
  const p = emptyPlan(item, 'failed');
  failItem(p, item, env, job, {
    ...error,
    message: `${error.message} (after ${tries} attempt${tries === 1 ? '' : 's'})`,
  });
  return p;
}

/** The next try of a state run (or branch) as a delayed job, audited. */
export function scheduleRetry(
  p: Plan,
  env: PlanEnv,
  job: ParsedStepJob,
  delayMs: number,
  action: string,
  data: Record<string, unknown>,
): void {
  audit(p, SYSTEM, action, { ...data, attempt: job.attempt, nextAttempt: job.attempt + 1, delayMs });
  // A new try: its wait for the breaker starts again (the refused attempts stay uncounted).
  const { deferredMs: _, ...run } = job;
  p.jobs.push({ data: { ...run, attempt: job.attempt + 1 }, startAfter: new Date(env.now.getTime() + delayMs) });
}

/** A job pg-boss gave up on (errors of our own, its retries spent): the item fails visibly. */
export function planJobFailed(item: ItemSnapshot, env: PlanEnv, o: Extract<Outcome, { kind: 'job-failed' }>): Plan {
  if (!isAtStep(item, o.job)) return stalePlan(item);
  const p = emptyPlan(item, 'failed');
  failItem(p, item, env, o.job, { message: o.message });
  return p;
}
