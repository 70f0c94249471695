import { z } from 'zod';

/** The one queue every state execution goes through. */
export const STEP_QUEUE = 'signoff-step';

/**
 * A job of the step queue. `(itemId, state, visit)` names a state run; `attempt` which try of it;
 * `branch` a branch of a parallel state; `kind` is `run` for work, `timer` for the end of a timed
 * wait and `timeout` for the deadline of a wait for an event. `deferrals` counts the attempts of
 * this run that an open circuit breaker refused (no request sent: not tries, see `triesOf`), and
 * `deferredMs` how long the current try has waited for the breaker so far (see `breakerWaitMs`).
 */
export const stepJob = z.object({
  itemId: z.uuid(),
  state: z.string().min(1),
  visit: z.number().int().min(1),
  attempt: z.number().int().min(1).default(1),
  branch: z.string().min(1).optional(),
  kind: z.enum(['run', 'timer', 'timeout']).default('run'),
  deferrals: z.number().int().min(0).optional(),
  deferredMs: z.number().int().min(0).optional(),
});
export type StepJob = z.input<typeof stepJob>;
export type ParsedStepJob = z.output<typeof stepJob>;

/** Idempotency key handed to side effects of a state run; stable across retries of that run. */
export function idempotencyKeyOf(job: StepJob): string {
  return `${job.itemId}:${job.state}:${job.visit}${job.branch ? `:${job.branch}` : ''}`;
}
