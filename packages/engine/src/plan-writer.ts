import type { DB, NewAuditEvent } from '@signoff/db';
import { chainEvents } from '@signoff/governance';
import type { RawBuilder, Transaction } from 'kysely';
import { fromKysely, type PgBoss } from 'pg-boss';
import {
  closeStateRunsSql,
  consumeEventsSql,
  type ItemInsertRow,
  type ItemUpdateRow,
  insertAuditEventsSql,
  insertBranchRunsSql,
  insertDecisionsSql,
  insertEventWaitsSql,
  insertItemsSql,
  insertLabelsSql,
  insertReviewsSql,
  insertReviewTasksSql,
  insertStateRunsSql,
  resolveEventWaitsSql,
  updateAuditHeadsSql,
  updateBranchRunsSql,
  updateItemsSql,
  updateReviewTasksSql,
} from './plan-sql';
import type { Plan } from './plan-types';
import { STEP_QUEUE } from './queue';

/**
 * A state run that already exists: another transaction committed this transition first. The
 * caller's transaction must roll back; committed one by one, the item's plan turns out stale.
 */
export class TransitionConflict extends Error {
  override readonly name = 'TransitionConflict';
}

export interface WriteOutcome {
  /** New items that were not created because their idempotency key exists (their plans were dropped). */
  existing: Set<string>;
}

/**
 * Applies any number of plans in the caller's transaction, with one multi-row statement per table:
 * new items, state runs, decisions, review tasks, reviews and labels, branches, waits, audit events
 * (each plan's events chained onto its item's head), the items' new positions and the next jobs.
 * The items must be locked by the caller (or be new), with at most one plan per item.
 *
 * @example
 * await db.transaction().execute((trx) => writePlans(trx, boss, plans));
 */
export async function writePlans(trx: Transaction<DB>, boss: PgBoss, input: readonly Plan[]): Promise<WriteOutcome> {
  let plans = input.filter(hasWrites);
  // Every change to an item is audited; the audit head is also the item's version (see applyTransitions).
  for (const p of plans)
    if (p.events.length === 0) throw new Error(`A transition of item ${p.itemId} writes without an audit event`);
  const existing = new Set<string>();
  const chained = new Map(plans.map((p) => [p.itemId, chain(p)]));

  const fresh = plans.filter((p) => p.newItem);
  if (fresh.length > 0) {
    const rows: ItemInsertRow[] = fresh.map((p) => ({ ...(p.newItem as NonNullable<Plan['newItem']>), ...headOf(p) }));
    const created = new Set((await insertItemsSql(rows).execute(trx)).rows.map((r) => r.id));
    for (const p of fresh) if (!created.has(p.itemId)) existing.add(p.itemId);
    if (existing.size > 0) plans = plans.filter((p) => !existing.has(p.itemId));
  }
  function headOf(p: Plan) {
    const events = chained.get(p.itemId) ?? [];
    const last = events.at(-1);
    return { audit_seq: last?.seq ?? p.head.seq, audit_hash: last?.hash ?? p.head.hash };
  }

  const runs = plans.flatMap((p) => p.stateRuns);
  if (runs.length > 0) {
    const { rows } = await insertStateRunsSql(runs).execute(trx);
    if (rows[0]?.inserted !== runs.length)
      throw new TransitionConflict('A state run of this transition already exists');
  }
  // In this order: foreign keys point from each table to the ones before it.
  const statements: [readonly unknown[], (rows: never[]) => RawBuilder<unknown>][] = [
    [plans.flatMap((p) => p.stateRunCloses), closeStateRunsSql],
    [plans.flatMap((p) => p.decisions), insertDecisionsSql],
    [plans.flatMap((p) => p.reviewTasks), insertReviewTasksSql],
    [plans.flatMap((p) => p.taskUpdates), updateReviewTasksSql],
    [plans.flatMap((p) => p.reviews), insertReviewsSql],
    [plans.flatMap((p) => p.labels), insertLabelsSql],
    [plans.flatMap((p) => p.branchRuns), insertBranchRunsSql],
    [plans.flatMap((p) => p.branchUpdates), updateBranchRunsSql],
    [plans.flatMap((p) => p.eventWaits), insertEventWaitsSql],
    [plans.flatMap((p) => p.eventWaitResolves), resolveEventWaitsSql],
    [[...new Set(plans.flatMap((p) => p.eventsConsumed))], consumeEventsSql],
    [plans.flatMap((p) => chained.get(p.itemId) ?? []), insertAuditEventsSql],
  ];
  for (const [rows, build] of statements) if (rows.length > 0) await build(rows as never[]).execute(trx);

  const moved: ItemUpdateRow[] = [];
  const heads: { id: string; audit_seq: number; audit_hash: string }[] = [];
  for (const p of plans) {
    if (p.newItem) continue;
    if (p.item) moved.push({ id: p.itemId, ...p.item, ...headOf(p) });
    else if (p.events.length > 0) heads.push({ id: p.itemId, ...headOf(p) });
  }
  if (moved.length > 0) await updateItemsSql(moved).execute(trx);
  if (heads.length > 0) await updateAuditHeadsSql(heads).execute(trx);

  const jobs = plans.flatMap((p) => p.jobs);
  if (jobs.length > 0)
    await boss.insert(
      STEP_QUEUE,
      jobs.map((j) => (j.startAfter ? { data: j.data, startAfter: j.startAfter } : { data: j.data })),
      { db: fromKysely(trx) },
    );
  return { existing };
}

function chain(p: Plan): NewAuditEvent[] {
  return p.events.length > 0 ? chainEvents(p.itemId, p.itemId, p.head, p.events) : [];
}

function hasWrites(p: Plan): boolean {
  return p.result !== 'stale';
}
