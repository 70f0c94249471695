// The review queue: claim-next (membership, priority, due time, four-eyes, skips), the lease and
// its heartbeat, release, skip and escalation by hand, who may read a task, and the queue counts.
// See docs/review-queue.md.
import { AppError, type Role, roleHas } from '@signoff/core';
import type { DB, ReviewTask } from '@signoff/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { getTaskView } from './items';
import { renewLeaseSql } from './plan-sql';
import { lockTask, transition } from './review-tasks';
import type { TransitionDeps } from './transitions';

/**
 * How long a claim holds before an unfinished task returns to the queue. Short, because the open
 * task view renews it (`heartbeatTask`) every minute or so: a reviewer who closes the laptop loses
 * the task within minutes, not a quarter of an hour.
 */
export const LEASE_MINUTES = 5;

/** How long a task a reviewer skipped is kept from them (others get it at once). */
export const SKIP_COOLDOWN_MINUTES = 30;

/** Who is asking: what the queue's rules look at. */
export interface TaskUser {
  id: string;
  role: Role;
}

/** Admins reach every queue without being a member of it. */
export function reachesAllQueues(user: TaskUser): boolean {
  return user.role === 'admin';
}

/** Adjudication tasks (a multi-reviewer disagreement) are for leads (and admins). */
export function mayAdjudicate(user: TaskUser): boolean {
  return roleHas(user.role, 'task:lead');
}

/**
 * In one call of `signoff_claim_next` (migration 0023, PL/pgSQL so that each connection keeps its
 * plans; sent as SQL the query took ~3.5 ms to plan and 0.4 ms to run): the task `user` holds
 * under an unexpired lease (in their queues; of `queue` when given), or else the next claimable
 * one, locked `FOR UPDATE SKIP LOCKED` so concurrent claims never return the same task: pending, or
 * claimed with an expired lease; in one of the user's queues (all for an admin; only `queue` when
 * given); not an adjudication task unless the user leads; not of a review point (item, state,
 * visit) where the user holds or answered another slot (four-eyes: one person, one verdict per
 * item); not skipped by the user in the last `SKIP_COOLDOWN_MINUTES`. In order: priority (highest
 * first), due time (soonest first, none last), age, id.
 */
export function claimNextSql(
  user: TaskUser,
  queue: string | undefined,
): RawBuilder<{ held: boolean; task_id: string }> {
  return sql<{ held: boolean; task_id: string }>`
    SELECT held, task_id FROM signoff_claim_next(
      ${user.id}::uuid, ${queue ?? null}::text, ${reachesAllQueues(user)}, ${mayAdjudicate(user)},
      ${SKIP_COOLDOWN_MINUTES}::integer)`;
}

/**
 * Gives the user their next task, atomically. A user who already holds an unexpired task (in one
 * of their queues; of `queue` when given) gets that one back; otherwise the next claimable task
 * (`claimNextSql`) is claimed for `LEASE_MINUTES`, through the transition path (audited
 * `task.claimed`). One user's claims are serialised, so a double click never holds two tasks.
 *
 * @example
 * const task = await db.transaction().execute((trx) => claimNextTask(trx, deps, user, 'support'));
 */
export async function claimNextTask(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  user: TaskUser,
  queue?: string,
): Promise<ReviewTask | undefined> {
  // A claim is a lease, not a result: its commit need not wait for the disk. A crash in the
  // moment after (wal_writer_delay, 200 ms by default) loses the claim as a whole (task row, audit
  // event and head together), so the task is pending again; any later durable commit that depends
  // on it (the verdict) flushes the WAL up to and past it first.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${user.id}, 7272)), set_config('synchronous_commit', 'off', true)`.execute(
    trx,
  );
  const found = (await claimNextSql(user, queue).execute(trx)).rows[0];
  if (!found) return undefined;
  const task = await trx
    .selectFrom('review_tasks')
    .selectAll()
    .where('id', '=', found.task_id)
    .executeTakeFirstOrThrow();
  if (found.held) return task;
  const r = await transition(trx, deps, task.item_id, {
    kind: 'task-claimed',
    task,
    userId: user.id,
    leaseMinutes: LEASE_MINUTES,
  });
  return { ...task, ...r.plan.taskUpdates[0] } as ReviewTask;
}

/** The task, locked, if `user` holds it (claimed by them); else a clear `CONFLICT`. */
async function lockHeldTask(trx: Transaction<DB>, user: TaskUser, taskId: string, doing: string) {
  const task = await lockTask(trx, taskId);
  if (task.assignee_id !== user.id)
    throw new AppError(
      'CONFLICT',
      `You do not hold this task, so you cannot ${doing} it (it was released, reassigned, or its lease expired and someone else took it)`,
    );
  if (task.status === 'done') throw new AppError('CONFLICT', `This task is already answered; you cannot ${doing} it`);
  if (task.status !== 'claimed')
    throw new AppError('CONFLICT', `You no longer hold this task, so you cannot ${doing} it; claim it again`);
  return task;
}

/**
 * Renews the holder's lease for `LEASE_MINUTES` from now; the open task view calls it every
 * minute or so. A lease that expired while nobody else took the task is renewed too. Not audited:
 * a heartbeat is liveness, not a change of who holds what (the claim is on the item's trail).
 *
 * @example
 * const { leaseExpiresAt } = await db.transaction().execute((trx) => heartbeatTask(trx, user, taskId));
 */
export async function heartbeatTask(
  trx: Transaction<DB>,
  user: TaskUser,
  taskId: string,
): Promise<{ leaseExpiresAt: string }> {
  await lockHeldTask(trx, user, taskId, 'renew');
  const row = (await renewLeaseSql(taskId, LEASE_MINUTES).execute(trx)).rows[0] as { lease_expires_at: Date };
  return { leaseExpiresAt: row.lease_expires_at.toISOString() };
}

/**
 * Gives a claimed task back to its queue (audited `task.released`).
 *
 * @example
 * await db.transaction().execute((trx) => releaseTask(trx, deps, user, taskId));
 */
export async function releaseTask(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  user: TaskUser,
  taskId: string,
): Promise<void> {
  const task = await lockHeldTask(trx, user, taskId, 'release');
  await transition(trx, deps, task.item_id, { kind: 'task-released', task, userId: user.id });
}

/**
 * Passes a held task over: back to pending for everyone else at once (audited `task.skipped`), and
 * kept from this user for `SKIP_COOLDOWN_MINUTES` (`task_skips`).
 *
 * @example
 * await db.transaction().execute((trx) => skipTask(trx, deps, user, taskId));
 */
export async function skipTask(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  user: TaskUser,
  taskId: string,
): Promise<void> {
  const task = await lockHeldTask(trx, user, taskId, 'skip');
  await trx
    .insertInto('task_skips')
    .values({ task_id: task.id, user_id: user.id })
    .onConflict((oc) => oc.columns(['task_id', 'user_id']).doUpdateSet({ skipped_at: sql`now()` }))
    .execute();
  await transition(trx, deps, task.item_id, { kind: 'task-skipped', task, userId: user.id });
}

/**
 * Hands a held task up: it moves to its escalation queue (`escalate_to`), pending, 10 higher in
 * priority, audited `task.escalated` with the reviewer as actor and their reason. Refused when the
 * task already is in its escalation queue.
 *
 * @example
 * await db.transaction().execute((trx) => escalateTask(trx, deps, user, taskId, 'needs a refund over the limit'));
 */
export async function escalateTask(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  user: TaskUser,
  taskId: string,
  reason?: string,
): Promise<{ queue: string }> {
  const task = await lockHeldTask(trx, user, taskId, 'escalate');
  if (task.queue === task.escalate_to)
    throw new AppError(
      'CONFLICT',
      `This task is already in its escalation queue (${task.queue}); release it or ask your lead to reassign it`,
    );
  await transition(trx, deps, task.item_id, {
    kind: 'task-escalated',
    task,
    userId: user.id,
    reason: reason?.trim() || null,
  });
  return { queue: task.escalate_to };
}

/**
 * Who may read a task: its holder (the reviewer it is assigned to), a lead who is a member of its
 * queue, or an admin. Anyone else is refused with `FORBIDDEN`, whoever holds it.
 *
 * @example
 * await assertCanReadTask(db, user, task);
 */
export async function assertCanReadTask(
  db: Kysely<DB> | Transaction<DB>,
  user: TaskUser,
  task: Pick<ReviewTask, 'queue' | 'assignee_id'>,
): Promise<void> {
  if (task.assignee_id === user.id || reachesAllQueues(user)) return;
  if (roleHas(user.role, 'task:lead')) {
    const member = await db
      .selectFrom('queue_members')
      .select('queue')
      .where('queue', '=', task.queue)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    if (member) return;
  }
  throw new AppError(
    'FORBIDDEN',
    'You may open only tasks you hold (or, as a lead, tasks of your queues); this one is not yours',
  );
}

/**
 * The task view for `user`, after `assertCanReadTask`.
 *
 * @example
 * const view = await readTask(db, user, taskId);
 */
export async function readTask(db: Kysely<DB>, user: TaskUser, taskId: string) {
  const task = await db
    .selectFrom('review_tasks')
    .select(['queue', 'assignee_id'])
    .where('id', '=', taskId)
    .executeTakeFirst();
  if (!task) throw new AppError('NOT_FOUND', `No review task ${taskId}`);
  await assertCanReadTask(db, user, task);
  return getTaskView(db, taskId);
}

export interface QueueCounts {
  queue: string;
  /** Claimable now: pending, or claimed with an expired lease (an abandoned task). */
  pending: number;
  /** Held under an unexpired lease. */
  claimed: number;
  /** Open and past their due time. */
  overdue: number;
  /** When the oldest open task was created; null when the queue is empty. */
  oldest: Date | null;
}

/**
 * Open work in the user's queues (every queue with open work or members, for an admin), each of
 * their queues listed even when empty. An expired claim counts as pending: it is claimable. Users
 * who may not adjudicate do not see adjudication tasks counted.
 *
 * @example
 * const queues = await queueSummary(db, user); // [{ queue: 'refunds', pending: 3, claimed: 1, overdue: 0, oldest }]
 */
export async function queueSummary(db: Kysely<DB>, user: TaskUser): Promise<QueueCounts[]> {
  const queues = reachesAllQueues(user)
    ? sql`SELECT DISTINCT queue FROM review_tasks WHERE status <> 'done' UNION SELECT queue FROM queue_members`
    : sql`SELECT queue FROM queue_members WHERE user_id = ${user.id}`;
  const r = await sql<QueueCounts>`
    SELECT q.queue,
           count(t.id) FILTER (WHERE t.status = 'pending' OR t.lease_expires_at < now())::int AS pending,
           count(t.id) FILTER (WHERE t.status = 'claimed' AND (t.lease_expires_at IS NULL OR t.lease_expires_at >= now()))::int AS claimed,
           count(t.id) FILTER (WHERE t.due_at < now())::int AS overdue,
           min(t.created_at) AS oldest
      FROM (${queues}) q
      LEFT JOIN review_tasks t ON t.queue = q.queue AND t.status <> 'done'
           ${mayAdjudicate(user) ? sql`` : sql`AND t.kind <> 'adjudication'`}
     GROUP BY q.queue
     ORDER BY q.queue`.execute(db);
  return r.rows;
}
