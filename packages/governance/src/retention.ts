// Retention periods: what each workflow declares (stored on registration, so every process and the
// CLI see the same), the server's default for the others, and the status compliance reads.
import { AppError, type RetentionMode, type RetentionSetting } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { type Actor, appendAudit, SYSTEM } from './audit';
import { dueItemsSql } from './retention-sql';

type Db = Kysely<DB> | Transaction<DB>;

/** The server's retention settings (environment, validated in each app's env.ts with this shape). */
export const retentionEnvShape = {
  /** Days a workflow without its own `retention` keeps payloads after an item finishes; unset: forever. */
  SIGNOFF_RETENTION_DAYS: z.coerce
    .number({ error: 'SIGNOFF_RETENTION_DAYS must be a whole number of days' })
    .int('SIGNOFF_RETENTION_DAYS must be a whole number of days')
    .min(1, 'SIGNOFF_RETENTION_DAYS must be at least 1')
    .max(36_500, 'SIGNOFF_RETENTION_DAYS must be at most 36500')
    .optional(),
  /** What the default retention does: `delete` (the default) or `anonymise`. */
  SIGNOFF_RETENTION_MODE: z
    .enum(['delete', 'anonymise'], { error: 'SIGNOFF_RETENTION_MODE must be delete or anonymise' })
    .default('delete'),
  /** When the purge runs, a cron expression (pg-boss schedule, UTC); `off` runs it only by hand. */
  SIGNOFF_RETENTION_SCHEDULE: z
    .string()
    .regex(
      /^(off|(\S+\s+){4}\S+)$/,
      'SIGNOFF_RETENTION_SCHEDULE must be a cron expression of 5 fields (e.g. "0 * * * *") or off',
    )
    .default('0 * * * *'),
};

/** The server-wide default, from the validated environment: none keeps payloads forever. */
export function retentionDefaultOf(env: {
  SIGNOFF_RETENTION_DAYS?: number | undefined;
  SIGNOFF_RETENTION_MODE: RetentionMode;
}): RetentionSetting | null {
  return env.SIGNOFF_RETENTION_DAYS ? { days: env.SIGNOFF_RETENTION_DAYS, mode: env.SIGNOFF_RETENTION_MODE } : null;
}

/** A workflow's retention in force, and where it comes from. */
export interface EffectiveRetention {
  workflow: string;
  /** null: payloads are kept forever (no setting and no server default). */
  retention: RetentionSetting | null;
  source: 'workflow' | 'default' | 'none';
}

/**
 * Records the retention the newest version of a workflow declares (none: the row goes, and the
 * default applies), audited on the `config` stream when it changes. Called on registration, in the
 * registering transaction.
 */
export async function declareRetention(
  trx: Transaction<DB>,
  workflow: string,
  retention: RetentionSetting | undefined,
  actor: Actor = SYSTEM,
): Promise<void> {
  const current = await trx
    .selectFrom('retention_policies')
    .select(['days', 'mode'])
    .where('workflow_name', '=', workflow)
    .forUpdate()
    .executeTakeFirst();
  const same = current
    ? retention !== undefined && current.days === retention.days && current.mode === retention.mode
    : retention === undefined;
  if (same) return;
  if (retention)
    await trx
      .insertInto('retention_policies')
      .values({ workflow_name: workflow, days: retention.days, mode: retention.mode })
      .onConflict((oc) =>
        oc.column('workflow_name').doUpdateSet({ days: retention.days, mode: retention.mode, declared_at: sql`now()` }),
      )
      .execute();
  else await trx.deleteFrom('retention_policies').where('workflow_name', '=', workflow).execute();
  await appendAudit(trx, {
    actor,
    action: 'retention.declared',
    data: { workflow, old: current ?? null, new: retention ?? null },
  });
}

/** Every workflow with its retention in force: those registered, each by its own or the default. */
export async function effectiveRetentions(db: Db, fallback: RetentionSetting | null): Promise<EffectiveRetention[]> {
  const rows = await db
    .selectFrom('workflow_versions as v')
    .leftJoin('retention_policies as r', 'r.workflow_name', 'v.name')
    .select(['v.name', 'r.days', 'r.mode'])
    .distinct()
    .orderBy('v.name')
    .execute();
  return rows.map((r) =>
    r.days !== null && r.mode !== null
      ? { workflow: r.name, retention: { days: r.days, mode: r.mode }, source: 'workflow' }
      : { workflow: r.name, retention: fallback, source: fallback ? 'default' : 'none' },
  );
}

/** All workflows, or the one named: `NOT_FOUND` (naming the registered ones) when it was never registered. */
export function pick(all: EffectiveRetention[], workflow: string | undefined): EffectiveRetention[] {
  if (!workflow) return all;
  const chosen = all.filter((w) => w.workflow === workflow);
  if (chosen.length === 0)
    throw new AppError('NOT_FOUND', `No workflow "${workflow}" is registered`, {
      issues: [{ path: 'workflow', message: `Expected one of: ${all.map((w) => w.workflow).join(', ') || 'none'}` }],
    });
  return chosen;
}

/** The moment before which an item must have finished to be past `days` of retention. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * 86_400_000);
}

/** The last purge of a workflow, from its `retention.purged` events. */
export interface LastPurge {
  at: Date;
  items: number;
  cutoff: string;
  mode: RetentionMode;
  trigger: string;
  actor: Actor;
  /** The person's name, when a user ran it. */
  actorName: string | null;
}

/** What `retention.status` shows per workflow. */
export interface RetentionStatus extends EffectiveRetention {
  cutoff: Date | null;
  /** Finished items past the period, not purged yet (items with open tasks wait, and are counted apart). */
  due: number;
  /** Items past the period that wait because a task on them is still open. */
  heldByOpenTasks: number;
  purged: number;
  lastPurge: LastPurge | null;
}

/**
 * Retention per workflow: the period in force, items due and held, items purged so far, and the
 * last purge. `workflow` narrows to one (`NOT_FOUND` when it was never registered).
 */
export async function retentionStatus(
  db: Db,
  fallback: RetentionSetting | null,
  options: { workflow?: string | undefined; now?: Date } = {},
): Promise<RetentionStatus[]> {
  const now = options.now ?? new Date();
  const all = await effectiveRetentions(db, fallback);
  const chosen = pick(all, options.workflow);
  return Promise.all(
    chosen.map(async (w): Promise<RetentionStatus> => {
      const cutoff = w.retention ? retentionCutoff(now, w.retention.days) : null;
      const [counts, last] = await Promise.all([
        sql<{ due: number; held: number; purged: number }>`
          SELECT (SELECT count(*) FROM (${dueItemsSql(w.workflow, cutoff ?? new Date(0), null, false)}) d)::int AS due,
                 (SELECT count(*) FROM (${dueItemsSql(w.workflow, cutoff ?? new Date(0), null, false, true)}) h)::int AS held,
                 (SELECT count(*) FROM items WHERE workflow_name = ${w.workflow} AND purged_at IS NOT NULL)::int AS purged`.execute(
          db,
        ),
        lastPurge(db, w.workflow),
      ]);
      const c = counts.rows[0] ?? { due: 0, held: 0, purged: 0 };
      return {
        ...w,
        cutoff,
        due: cutoff ? c.due : 0,
        heldByOpenTasks: cutoff ? c.held : 0,
        purged: c.purged,
        lastPurge: last,
      };
    }),
  );
}

async function lastPurge(db: Db, workflow: string): Promise<LastPurge | null> {
  const row = await db
    .selectFrom('audit_events as e')
    .leftJoin('users as u', (j) =>
      j.on('e.actor_type', '=', 'user').onRef('u.id', '=', (eb) => eb.cast('e.actor_id', 'uuid')),
    )
    .select(['e.data', 'e.created_at', 'e.actor_type', 'e.actor_id', 'u.name'])
    .where('e.stream', '=', 'config')
    .where('e.action', '=', 'retention.purged')
    .where(sql<string>`e.data->>'workflow'`, '=', workflow)
    .orderBy('e.seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const d = row.data as { items: number; cutoff: string; mode: RetentionMode; trigger: string };
  return {
    at: row.created_at,
    items: d.items,
    cutoff: d.cutoff,
    mode: d.mode,
    trigger: d.trigger,
    actor: { type: row.actor_type, id: row.actor_id } as Actor,
    actorName: row.name,
  };
}
