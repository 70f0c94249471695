// Plans that end a wait: its timer fires, its deadline passes, or its event arrives.
import type { WaitState, WorkflowContext, WorkflowDefinition } from '@signoff/core';
import { SYSTEM } from '@signoff/governance';
import { audit, emptyPlan, isAtStep, moveTo, stalePlan, stateOf } from './plan-common';
import { eventOutput, receivedEventData } from './plan-state';
import type { ItemSnapshot, OpenWaitRow, Outcome, Plan, PlanEnv } from './plan-types';

function waitState(definition: WorkflowDefinition, name: string): WaitState<WorkflowContext> {
  const state = stateOf(definition, name);
  if (state.kind !== 'wait') throw new Error(`State "${name}" is not a wait`);
  return state;
}

/** The end of a timed wait (`durationMs`): the item goes on. */
export function planTimerFired(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'timer-fired' }>,
): Plan {
  const { job } = o;
  if (!isAtStep(item, job)) return stalePlan(item);
  const state = waitState(definition, job.state);
  const p = emptyPlan(item, 'committed');
  const output = { waitedMs: state.durationMs ?? 0, firedAt: env.now.toISOString() };
  p.stateRunCloses.push({ item_id: item.id, state: job.state, visit: job.visit, output, next_state: state.next });
  moveTo(p, item, definition, env, job.state, output, state.next);
  return p;
}

/** The deadline of a wait for an event passed with the wait still open: the timeout path. */
export function planDeadlinePassed(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'deadline-passed' }>,
  openWait: OpenWaitRow | undefined,
): Plan {
  const { job } = o;
  const state = waitState(definition, job.state);
  if (!isAtStep(item, job) || !openWait || !state.onTimeout) return stalePlan(item);
  const p = emptyPlan(item, 'committed');
  const output = {
    timedOut: true,
    event: openWait.event_name,
    key: openWait.event_key,
    deadline: openWait.deadline?.toISOString() ?? null,
  };
  p.eventWaitResolves.push({
    item_id: item.id,
    state: job.state,
    visit: job.visit,
    resolution: 'timeout',
    event_id: null,
  });
  audit(p, SYSTEM, 'wait.timed_out', { state: job.state, visit: job.visit, ...output });
  p.stateRunCloses.push({ item_id: item.id, state: job.state, visit: job.visit, output, next_state: state.onTimeout });
  moveTo(p, item, definition, env, job.state, output, state.onTimeout);
  return p;
}

/** An event resumes an item waiting for it, with the payload in its context. */
export function planEventReceived(
  item: ItemSnapshot,
  definition: WorkflowDefinition,
  env: PlanEnv,
  o: Extract<Outcome, { kind: 'event' }>,
): Plan {
  const at = { itemId: item.id, state: o.wait.state, visit: o.wait.visit, kind: 'timeout' as const };
  if (!isAtStep(item, at)) return stalePlan(item);
  const state = waitState(definition, o.wait.state);
  const p = emptyPlan(item, 'committed');
  const output = eventOutput(o.event);
  p.eventWaitResolves.push({
    item_id: item.id,
    state: o.wait.state,
    visit: o.wait.visit,
    resolution: 'event',
    event_id: o.event.id,
  });
  p.eventsConsumed.push(o.event.id);
  audit(p, o.actor, 'event.received', receivedEventData(o.wait, output));
  p.stateRunCloses.push({ item_id: item.id, state: o.wait.state, visit: o.wait.visit, output, next_state: state.next });
  moveTo(p, item, definition, env, o.wait.state, output, state.next, { actor: o.actor });
  return p;
}
