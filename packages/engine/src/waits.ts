import type { WaitState, WorkflowContext, WorkflowDefinition } from '@signoff/core';
import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit, SYSTEM } from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { ParsedStepJob } from './queue';
import type { WorkflowRegistry } from './registry';
import { lockItemAt, moveItem } from './transition';

/** Closes a wait's state run with its output and moves the item on to `next`. */
async function completeWait(
  trx: Transaction<DB>,
  boss: PgBoss,
  definition: WorkflowDefinition,
  at: { itemId: string; state: string; visit: number; visits: Record<string, number> },
  output: unknown,
  next: string,
  actor: Actor,
) {
  await trx
    .updateTable('state_runs')
    .set({ status: 'done', output: JSON.stringify(output ?? null), next_state: next, finished_at: sql`now()` })
    .where('item_id', '=', at.itemId)
    .where('state', '=', at.state)
    .where('visit', '=', at.visit)
    .execute();
  await moveItem(trx, boss, definition, { id: at.itemId, visits: at.visits }, at.state, output, next, actor);
}

/** The end of a timed wait (`durationMs`), or the deadline of a wait for an event. */
export async function resumeWait(
  db: Kysely<DB>,
  boss: PgBoss,
  job: ParsedStepJob,
  definition: WorkflowDefinition,
  state: WaitState<WorkflowContext>,
): Promise<'committed' | 'stale'> {
  return db.transaction().execute(async (trx) => {
    const item = await lockItemAt(trx, job);
    if (!item) return 'stale';
    if (job.kind === 'timer') {
      const output = { waitedMs: state.durationMs ?? 0, firedAt: new Date().toISOString() };
      await completeWait(trx, boss, definition, { ...job, visits: item.visits }, output, state.next, SYSTEM);
      return 'committed';
    }
    const closed = await trx
      .updateTable('event_waits')
      .set({ resolved_at: sql`now()`, resolution: 'timeout' })
      .where('item_id', '=', job.itemId)
      .where('state', '=', job.state)
      .where('visit', '=', job.visit)
      .where('resolved_at', 'is', null)
      .returning(['event_name', 'event_key', 'deadline'])
      .executeTakeFirst();
    if (!closed || !state.onTimeout) return 'stale';
    const output = {
      timedOut: true,
      event: closed.event_name,
      key: closed.event_key,
      deadline: closed.deadline?.toISOString() ?? null,
    };
    await appendAudit(trx, {
      itemId: job.itemId,
      actor: SYSTEM,
      action: 'wait.timed_out',
      data: { state: job.state, visit: job.visit, ...output },
    });
    await completeWait(trx, boss, definition, { ...job, visits: item.visits }, output, state.onTimeout, SYSTEM);
    return 'committed';
  });
}

interface OpenWait {
  item_id: string;
  state: string;
  visit: number;
}

/** Resolves one open wait with an event, in the caller's transaction; false when the item moved on. */
async function resolveWithEvent(
  trx: Transaction<DB>,
  boss: PgBoss,
  registry: WorkflowRegistry,
  wait: OpenWait,
  event: { id: string; name: string; key: string; payload: unknown },
  actor: Actor,
): Promise<boolean> {
  const item = await lockItemAt(trx, {
    itemId: wait.item_id,
    state: wait.state,
    visit: wait.visit,
    attempt: 1,
    kind: 'timeout',
  });
  if (!item) return false;
  const versionId = (
    await trx.selectFrom('items').select('workflow_version_id').where('id', '=', wait.item_id).executeTakeFirstOrThrow()
  ).workflow_version_id;
  const definition = registry.byVersionId(versionId)?.definition;
  if (!definition) throw new AppError('INTERNAL', `Workflow version ${versionId} is not loaded in this process`);
  const state = definition.states[wait.state] as WaitState<WorkflowContext>;
  await trx
    .updateTable('event_waits')
    .set({ resolved_at: sql`now()`, resolution: 'event', event_id: event.id })
    .where('item_id', '=', wait.item_id)
    .where('state', '=', wait.state)
    .where('visit', '=', wait.visit)
    .execute();
  const output = { event: event.name, key: event.key, eventId: event.id, payload: event.payload ?? null };
  await appendAudit(trx, {
    itemId: wait.item_id,
    actor,
    action: 'event.received',
    data: { state: wait.state, visit: wait.visit, ...output },
  });
  await completeWait(
    trx,
    boss,
    definition,
    { itemId: wait.item_id, state: wait.state, visit: wait.visit, visits: item.visits },
    output,
    state.next,
    actor,
  );
  return true;
}

export interface IncomingEvent {
  name: string;
  key: string;
  payload?: unknown;
  /** The sender's id for this event: the same id is accepted once. */
  dedupeKey?: string | undefined;
}

/**
 * Delivers an event: every item waiting for `{name, key}` resumes, in this transaction. An event
 * nobody waits for yet is kept and consumed by the first wait that matches it, so an early event is
 * not lost. A repeated `dedupeKey` changes nothing.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   deliverEvent(trx, { boss, registry }, { name: 'payment.confirmed', key: 'order-17', payload: { amount: 40 } }, actor));
 */
export async function deliverEvent(
  trx: Transaction<DB>,
  deps: { boss: PgBoss; registry: WorkflowRegistry },
  event: IncomingEvent,
  actor: Actor,
): Promise<{ eventId: string; duplicate: boolean; resumed: string[] }> {
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
    .forUpdate()
    .execute();
  const resumed: string[] = [];
  const full = { id: inserted.id, name: event.name, key: event.key, payload: event.payload ?? null };
  for (const w of waits)
    if (await resolveWithEvent(trx, deps.boss, deps.registry, w, full, actor)) resumed.push(w.item_id);
  if (resumed.length > 0)
    await trx.updateTable('events').set({ consumed_at: sql`now()` }).where('id', '=', inserted.id).execute();
  return { eventId: inserted.id, duplicate: false, resumed };
}

/** Right after a wait starts: consume an event that arrived before it, if any. */
export async function consumeEarlyEvent(
  trx: Transaction<DB>,
  deps: { boss: PgBoss; registry: WorkflowRegistry },
  wait: OpenWait & { name: string; key: string },
): Promise<boolean> {
  const early = await trx
    .selectFrom('events')
    .select(['id', 'name', 'key', 'payload'])
    .where('name', '=', wait.name)
    .where('key', '=', wait.key)
    .where('consumed_at', 'is', null)
    .orderBy('received_at')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!early) return false;
  await trx.updateTable('events').set({ consumed_at: sql`now()` }).where('id', '=', early.id).execute();
  return resolveWithEvent(trx, deps.boss, deps.registry, wait, early, SYSTEM);
}
