// What the demo's histories (support triage, vendor onboarding) share: finding whether one was
// already imported, the workflow version its rows belong to, the audit event that marks each item
// as imported, and writing the rows in one transaction.
import type { DB } from '@signoff/db';
import { chainEvents, GENESIS_HASH, SYSTEM } from '@signoff/governance';
import type { Insertable, Kysely } from 'kysely';

/** The rows of an imported history, table by table. */
export interface HistoryRows {
  items: Insertable<DB['items']>[];
  audit: Insertable<DB['audit_events']>[];
  runs: Insertable<DB['state_runs']>[];
  decisions: Insertable<DB['decisions']>[];
  tasks: Insertable<DB['review_tasks']>[];
  reviews: Insertable<DB['reviews']>[];
  labels: Insertable<DB['labels']>[];
}

export function emptyHistoryRows(): HistoryRows {
  return { items: [], audit: [], runs: [], decisions: [], tasks: [], reviews: [], labels: [] };
}

/**
 * The id of the latest version of `workflow` when a history whose first item has `firstKey` is
 * still to be imported; undefined when it was imported already.
 */
export async function historyTarget(db: Kysely<DB>, workflow: string, firstKey: string): Promise<string | undefined> {
  const done = await db.selectFrom('items').select('id').where('idempotency_key', '=', firstKey).executeTakeFirst();
  if (done) return undefined;
  const version = await db
    .selectFrom('workflow_versions')
    .select(['id'])
    .where('name', '=', workflow)
    .orderBy('version', 'desc')
    .executeTakeFirstOrThrow();
  return version.id;
}

/** The imported item's one audit event (`demo.history_imported`), so nobody mistakes it for engine work. */
export function importedEvent(itemId: string, data: Record<string, unknown>) {
  const [event] = chainEvents(itemId, itemId, { seq: 0, hash: GENESIS_HASH }, [
    { actor: SYSTEM, action: 'demo.history_imported', data: { ...data, note: 'demo history, not engine work' } },
  ]);
  if (!event) throw new Error('no audit event');
  return event;
}

/** Writes the rows in one transaction, 500 at a time. */
export async function writeHistoryRows(db: Kysely<DB>, rows: HistoryRows): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const chunks = <T>(all: T[]) =>
      Array.from({ length: Math.ceil(all.length / 500) }, (_, i) => all.slice(i * 500, i * 500 + 500));
    for (const c of chunks(rows.items)) await trx.insertInto('items').values(c).execute();
    for (const c of chunks(rows.audit)) await trx.insertInto('audit_events').values(c).execute();
    for (const c of chunks(rows.runs)) await trx.insertInto('state_runs').values(c).execute();
    for (const c of chunks(rows.decisions)) await trx.insertInto('decisions').values(c).execute();
    for (const c of chunks(rows.tasks)) await trx.insertInto('review_tasks').values(c).execute();
    for (const c of chunks(rows.reviews)) await trx.insertInto('reviews').values(c).execute();
    for (const c of chunks(rows.labels)) await trx.insertInto('labels').values(c).execute();
  });
}
