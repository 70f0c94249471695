import type { DB } from '@signoff/db';
import { addQueueMember, SYSTEM } from '@signoff/governance';
import type { Kysely } from 'kysely';

/** Makes a test's user a member of review queues, so it may claim and read their tasks. */
export async function joinQueues(db: Kysely<DB>, userId: string, queues: readonly string[]): Promise<void> {
  for (const queue of queues) await db.transaction().execute((trx) => addQueueMember(trx, { queue, userId }, SYSTEM));
}
