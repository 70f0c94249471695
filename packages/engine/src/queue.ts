import type { DB } from '@signoff/db';
import type { Transaction } from 'kysely';
import { fromKysely, type PgBoss } from 'pg-boss';
import { z } from 'zod';

/** The one queue every state execution goes through. */
export const STEP_QUEUE = 'signoff-step';

/** A state run's key: the job that runs state `state` of item `itemId` for the `visit`-th time. */
export const stepJob = z.object({
  itemId: z.uuid(),
  state: z.string().min(1),
  visit: z.number().int().min(1),
});
export type StepJob = z.infer<typeof stepJob>;

/** Idempotency key handed to side effects of a state run; stable across retries of that run. */
export function idempotencyKeyOf(job: StepJob): string {
  return `${job.itemId}:${job.state}:${job.visit}`;
}

/**
 * Enqueues the next state's job inside the caller's transaction: it exists exactly when the
 * transition that caused it commits.
 */
export async function enqueueStep(trx: Transaction<DB>, boss: PgBoss, job: StepJob): Promise<void> {
  await boss.send(STEP_QUEUE, job, { db: fromKysely(trx) });
}
