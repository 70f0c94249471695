// Queue membership: who works which review queue. Reviewers and leads claim and read only their
// queues' tasks; admins reach every queue. Each change is audited on the `security` stream.
import { AppError, isUuid } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely, Transaction } from 'kysely';
import { type Actor, appendAudit } from './audit';

export interface QueueMembership {
  queue: string;
  userId: string;
  addedBy: string | null;
  addedAt: Date;
}

/**
 * Makes a user a member of a queue (audited as `queue_member.added`); a no-op, unaudited, when they
 * already are. Returns whether it changed anything.
 *
 * @example
 * await db.transaction().execute((trx) => addQueueMember(trx, { queue: 'refunds', userId }, actor));
 */
export async function addQueueMember(
  trx: Transaction<DB>,
  input: { queue: string; userId: string },
  actor: Actor,
): Promise<boolean> {
  const queue = input.queue.trim();
  if (!queue)
    throw new AppError('BAD_INPUT', 'Name the queue', { issues: [{ path: 'queue', message: 'Name the queue' }] });
  if (!isUuid(input.userId)) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  const user = await trx.selectFrom('users').select(['id', 'email']).where('id', '=', input.userId).executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  const added = await trx
    .insertInto('queue_members')
    .values({ queue, user_id: user.id, added_by: actor.type === 'user' ? actor.id : null })
    .onConflict((oc) => oc.doNothing())
    .returning('queue')
    .executeTakeFirst();
  if (!added) return false;
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'queue_member.added',
    data: { queue, userId: user.id, email: user.email },
  });
  return true;
}

/** The queues a user is a member of, by name. */
export async function queuesOf(db: Kysely<DB> | Transaction<DB>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('queue_members')
    .select('queue')
    .where('user_id', '=', userId)
    .orderBy('queue')
    .execute();
  return rows.map((r) => r.queue);
}
