// The periodic checkpoint of the audit log: a pg-boss schedule on a singleton queue, so that with
// many workers one job runs per tick; `createCheckpoint`'s advisory lock orders it with the CLI's
// and the exports' checkpoints.
import type { DB } from '@signoff/db';
import { type AuditSigner, createCheckpoint } from '@signoff/governance';
import type { Kysely } from 'kysely';
import type { PgBoss } from 'pg-boss';

export const AUDIT_CHECKPOINT_QUEUE = 'audit-checkpoint';

/** Creates the queue (a schema change: done by the owner, before the server switches role). */
export async function ensureCheckpointQueue(boss: PgBoss): Promise<void> {
  if (!(await boss.getQueue(AUDIT_CHECKPOINT_QUEUE)))
    await boss.createQueue(AUDIT_CHECKPOINT_QUEUE, { retryLimit: 1, expireInSeconds: 600, policy: 'singleton' });
}

/**
 * Schedules checkpoints (`cron`, UTC) and works them in this process.
 *
 * @example
 * await startCheckpointSchedule({ boss, db, signer, cron: '0 * * * *', log: console.log });
 */
export async function startCheckpointSchedule(opts: {
  boss: PgBoss;
  db: Kysely<DB>;
  signer: AuditSigner;
  cron: string;
  log: (m: string) => void;
}): Promise<void> {
  await opts.boss.schedule(AUDIT_CHECKPOINT_QUEUE, opts.cron);
  await opts.boss.work(AUDIT_CHECKPOINT_QUEUE, async () => {
    const made = await createCheckpoint(opts.db, opts.signer);
    if (made) opts.log(`audit checkpoint ${made.seq}: ${made.leafCount} streams, root ${made.root}`);
    return made ? { checkpoint: made.seq, leaves: made.leafCount } : { checkpoint: null };
  });
}
