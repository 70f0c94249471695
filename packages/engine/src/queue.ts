import { z } from 'zod';

/** The one queue every state execution goes through. */
export const STEP_QUEUE = 'signoff-step';

/**
 * A job of the step queue. `(itemId, state, visit)` names a state run; `attempt` which try of it;
 * `branch` a branch of a parallel state; `kind` is `run` for work, `timer` for the end of a timed
 * wait and `timeout` for the deadline of a wait for an event.
 */
export const stepJob = z.object({
  itemId: z.uuid(),
  state: z.string().min(1),
  visit: z.number().int().min(1),
  attempt: z.number().int().min(1).default(1),
  branch: z.string().min(1).optional(),
  kind: z.enum(['run', 'timer', 'timeout']).default('run'),
});
export type StepJob = z.input<typeof stepJob>;
export type ParsedStepJob = z.output<typeof stepJob>;

/** Idempotency key handed to side effects of a state run; stable across retries of that run. */
export function idempotencyKeyOf(job: StepJob): string {
  return `${job.itemId}:${job.state}:${job.visit}${job.branch ? `:${job.branch}` : ''}`;
}
