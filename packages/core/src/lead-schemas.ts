// What a lead asks the server for (the `leads` router): the server and the console agree on these.
// No I/O: the console may bundle this file.
import { z } from 'zod';

const uuid = z.uuid('Expected a UUID');
const queue = z.string().trim().min(1, 'Name the queue').max(200, 'At most 200 characters');
// PostgreSQL's timestamptz does not reach as far as a JavaScript Date: years 1 to 9999 only.
const date = z.coerce
  .date({ error: 'Expected a date, e.g. 2026-01-31 or 2026-01-31T12:00:00Z' })
  .min(new Date('0001-01-01T00:00:00Z'), 'Expected a date from the year 1 to 9999')
  .max(new Date('9999-12-31T23:59:59Z'), 'Expected a date from the year 1 to 9999');

/** Which open tasks of a queue a lead lists: all of them, or the pending, claimed or overdue ones. */
export const LEAD_TASK_STATUSES = ['pending', 'claimed', 'overdue'] as const;

export const leadTasksInput = z.strictObject({
  queue,
  status: z
    .enum(LEAD_TASK_STATUSES, { error: () => `Choose one of ${LEAD_TASK_STATUSES.join(', ')}, or leave it out` })
    .optional(),
  /** Only tasks of this kind (e.g. the adjudications waiting for a lead). */
  kind: z.enum(['decision', 'review', 'stuck', 'qa', 'adjudication']).optional(),
});

/** Hands a task to a named person, who must be an eligible member of its queue. */
export const reassignInput = z.strictObject({ taskId: uuid, userId: uuid });

/** Progress over `[from, to)` (default: the last 7 days), in one queue or every queue the lead leads. */
export const leadProgressInput = z.strictObject({
  queue: queue.optional(),
  from: date.optional(),
  to: date.optional(),
});

export const leadEscalationsInput = z.strictObject({ queue: queue.optional() });

/** A queue's members; with `taskId`, each marked with whether they may be handed that task. */
export const leadMembersInput = z.strictObject({ queue, taskId: uuid.optional() });
