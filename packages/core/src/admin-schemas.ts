// Inputs of the administration screens and procedures: queue membership. Users and API keys are in schemas.ts.
import { z } from 'zod';
import { uuid } from './schemas';

/** A review queue's name, as workflows spell it. */
export const queueName = z
  .string({ error: () => 'Name the queue' })
  .trim()
  .min(1, 'Name the queue')
  .max(200, 'A queue name has at most 200 characters');

/** One user's membership of one queue. */
export const queueMemberInput = z.strictObject({ queue: queueName, userId: uuid });
export type QueueMemberInput = z.infer<typeof queueMemberInput>;

/** Every queue a user should be a member of, and no other. */
export const setUserQueuesInput = z.strictObject({
  userId: uuid,
  queues: z.array(queueName).max(500, 'At most 500 queues'),
});
export type SetUserQueuesInput = z.infer<typeof setUserQueuesInput>;
