// The retention purge: per workflow, the items past their period are purged in batches, each batch
// one transaction with its audit events, so a purge interrupted anywhere leaves whole batches done
// and the rest due for the next run. Safe with many workers and a CLI at once (SKIP LOCKED).
import type { RetentionSetting } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Actor, appendAudit, chainEvents, SYSTEM } from './audit';
import { effectiveRetentions, pick, retentionCutoff } from './retention';
import { dueItemsSql, legacyPayloadItemsSql, purgeStatements } from './retention-sql';

/** What started a purge, recorded on its audit events. */
export type PurgeTrigger = 'schedule' | 'cli' | 'api';

export interface PurgeOptions {
  /** The server's default retention, for workflows without their own. */
  fallback: RetentionSetting | null;
  /** One workflow only (it must be registered). */
  workflow?: string | undefined;
  /** Count what would be purged and change nothing. */
  dryRun?: boolean;
  /** Items per transaction. */
  batchSize?: number;
  now?: Date;
  actor?: Actor;
  trigger?: PurgeTrigger;
  /** Told after each committed batch (or, in a dry run, of each workflow's count). */
  onProgress?: (p: { workflow: string; batch: number; items: number; total: number }) => void;
}

/** One workflow's share of a purge. */
export interface WorkflowPurge {
  workflow: string;
  retention: RetentionSetting;
  cutoff: Date;
  /** Items purged (a dry run: items that would be). */
  items: number;
  batches: number;
}

export interface PurgeResult {
  dryRun: boolean;
  workflows: WorkflowPurge[];
  /** Workflows that keep their payloads forever (no retention, no default). */
  skipped: string[];
}

/**
 * Purges (or, with `dryRun`, counts) the payloads of every item past its workflow's retention.
 * Each batch writes, in one transaction: the purged columns, `purged_at`, an `item.purged` event on
 * each item's chain, and one `retention.purged` event on the `config` stream (workflow, items,
 * cut-off, mode, trigger, batch; the actor is who or what ran it). Items already purged, running or
 * waiting, or with an open task are never touched, so a second run purges nothing new.
 *
 * @example
 * const r = await purgeExpired(db, { fallback: null, workflow: 'support-triage', dryRun: true });
 * r.workflows[0]?.items; // items that would be purged
 */
export async function purgeExpired(db: Kysely<DB>, options: PurgeOptions): Promise<PurgeResult> {
  const now = options.now ?? new Date();
  const all = await effectiveRetentions(db, options.fallback);
  const chosen = pick(all, options.workflow);
  const workflows: WorkflowPurge[] = [];
  const skipped: string[] = [];
  for (const w of chosen) {
    if (!w.retention) {
      skipped.push(w.workflow);
      continue;
    }
    const cutoff = retentionCutoff(now, w.retention.days);
    const done: WorkflowPurge = { workflow: w.workflow, retention: w.retention, cutoff, items: 0, batches: 0 };
    if (options.dryRun) {
      const r = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM (${dueItemsSql(w.workflow, cutoff, null, false)}) d`.execute(db);
      done.items = r.rows[0]?.n ?? 0;
      options.onProgress?.({ workflow: w.workflow, batch: 0, items: done.items, total: done.items });
    } else {
      for (;;) {
        const n = await purgeBatch(db, w.workflow, w.retention, cutoff, now, options, done.batches + 1, done.items);
        if (n === 0) break;
        done.items += n;
        done.batches += 1;
        options.onProgress?.({ workflow: w.workflow, batch: done.batches, items: n, total: done.items });
      }
    }
    workflows.push(done);
  }
  return { dryRun: options.dryRun ?? false, workflows, skipped };
}

/** One batch in one transaction; the number of items it purged (0: none left). */
async function purgeBatch(
  db: Kysely<DB>,
  workflow: string,
  retention: RetentionSetting,
  cutoff: Date,
  now: Date,
  options: PurgeOptions,
  batch: number,
  before: number,
): Promise<number> {
  const actor = options.actor ?? SYSTEM;
  const trigger = options.trigger ?? 'schedule';
  return db.transaction().execute(async (trx) => {
    const due = await dueItemsSql(workflow, cutoff, options.batchSize ?? 200, true).execute(trx);
    const ids = due.rows.map((r) => r.id);
    if (ids.length === 0) return 0;
    for (const statement of purgeStatements(ids, retention.mode, now)) await statement.execute(trx);
    const legacy = (await legacyPayloadItemsSql(ids).execute(trx)).rows[0]?.n ?? 0;
    await appendItemEvents(trx, ids, actor, { workflow, ...retention, cutoff: cutoff.toISOString(), trigger });
    await appendAudit(trx, {
      actor,
      action: 'retention.purged',
      data: {
        workflow,
        items: ids.length,
        totalSoFar: before + ids.length,
        batch,
        cutoff: cutoff.toISOString(),
        days: retention.days,
        mode: retention.mode,
        trigger,
        firstItemId: ids[0],
        lastItemId: ids[ids.length - 1],
        // Items whose events from before 0029 still quote payloads the purge cannot reach.
        itemsWithPayloadsInOldEvents: legacy,
      },
    });
    return ids.length;
  });
}

/**
 * An `item.purged` event on each item's chain, from the head on its row (locked by the batch's
 * select): the trail says when and under which period its payloads went.
 */
async function appendItemEvents(
  trx: Transaction<DB>,
  ids: string[],
  actor: Actor,
  data: Record<string, unknown>,
): Promise<void> {
  const heads = await trx
    .selectFrom('items')
    .select(['id', 'audit_seq', 'audit_hash'])
    .where('id', 'in', ids)
    .execute();
  const rows = heads.flatMap((h) =>
    chainEvents(h.id, h.id, { seq: h.audit_seq, hash: h.audit_hash }, [{ actor, action: 'item.purged', data }]),
  );
  if (rows.length === 0) return;
  await trx.insertInto('audit_events').values(rows).execute();
  const moved = JSON.stringify(rows.map((r) => ({ id: r.item_id, seq: r.seq, hash: r.hash })));
  await sql`UPDATE items i SET audit_seq = v.seq, audit_hash = v.hash
              FROM jsonb_to_recordset(${moved}::jsonb) AS v(id uuid, seq integer, hash text)
             WHERE i.id = v.id`.execute(trx);
}
