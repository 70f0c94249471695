import type { DB } from '@signoff/db';
import { addQueueMember, SYSTEM } from '@signoff/governance';
import type { Kysely } from 'kysely';

/** Makes a test's user a member of review queues, so it may claim and read their tasks. */
export async function joinQueues(db: Kysely<DB>, userId: string, queues: readonly string[]): Promise<void> {
  for (const queue of queues) await db.transaction().execute((trx) => addQueueMember(trx, { queue, userId }, SYSTEM));
}

/** `joinQueues` for the user with this email (a demo user of a running server, say). */
export async function joinQueuesByEmail(db: Kysely<DB>, email: string, queues: readonly string[]): Promise<void> {
  const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  await joinQueues(db, user.id, queues);
}
