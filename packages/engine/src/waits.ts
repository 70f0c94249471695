import type { DB } from '@signoff/db';
import type { Actor } from '@signoff/governance';
import type { Transaction } from 'kysely';
import { applyTransitions, lockEventKeys, type TransitionDeps } from './transitions';

export interface IncomingEvent {
  name: string;
  key: string;
  payload?: unknown;
  /** The sender's id for this event: the same id is accepted once. */
  dedupeKey?: string | undefined;
}

/**
 * Delivers an event: every item waiting for `{name, key}` resumes, in this transaction, through
 * the one transition path. An event nobody waits for yet is kept and consumed by the first wait
 * that matches it, so an early event is not lost (a wait that starts and an event that arrives
 * take the same lock per name and key, so neither misses the other). A repeated `dedupeKey`
 * changes nothing.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   deliverEvent(trx, { boss, registry }, { name: 'payment.confirmed', key: 'order-17', payload: { amount: 40 } }, actor));
 */
export async function deliverEvent(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  event: IncomingEvent,
  actor: Actor,
): Promise<{ eventId: string; duplicate: boolean; resumed: string[] }> {
  await lockEventKeys(trx, [event]);
  const inserted = await trx
    .insertInto('events')
    .values({
      name: event.name,
      key: event.key,
      payload: JSON.stringify(event.payload ?? null),
      dedupe_key: event.dedupeKey ?? null,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const existing = await trx
      .selectFrom('events')
      .select('id')
      .where('dedupe_key', '=', event.dedupeKey as string)
      .executeTakeFirstOrThrow();
    return { eventId: existing.id, duplicate: true, resumed: [] };
  }
  const waits = await trx
    .selectFrom('event_waits')
    .select(['item_id', 'state', 'visit'])
    .where('event_name', '=', event.name)
    .where('event_key', '=', event.key)
    .where('resolved_at', 'is', null)
    .orderBy('created_at')
    .execute();
  const full = { id: inserted.id, name: event.name, key: event.key, payload: event.payload ?? null };
  // The item's row lock decides between this event and the wait's deadline: whichever moves the
  // item first wins, and the other finds it gone (stale).
  const results = await applyTransitions(
    trx,
    deps,
    waits.map((w) => ({
      itemId: w.item_id,
      outcome: { kind: 'event' as const, wait: { state: w.state, visit: w.visit }, event: full, actor },
    })),
  );
  const resumed: string[] = [];
  results.forEach((r, i) => {
    if (!r.ok) throw r.error;
    if (r.result === 'committed') resumed.push((waits[i] as { item_id: string }).item_id);
  });
  return { eventId: inserted.id, duplicate: false, resumed };
}
