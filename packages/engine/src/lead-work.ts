// What a lead does to their queues' work: hand a task to a named person (reassignment), and see
// who may take it. A lead reaches the queues they are a member of; an admin every queue. What a
// lead reads about their queues (counts, tasks, progress, escalations) is in lead-views.ts.
import { AppError, type Role, roleHas } from '@signoff/core';
import type { DB, ReviewTask } from '@signoff/db';
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import { LEASE_MINUTES } from './task-queue';
import { applyTransitions, type TransitionDeps } from './transitions';

/** The queues a lead's requests reach: their memberships, or every queue for an admin. */
export interface LeadScope {
  userId: string;
  queues: 'all' | readonly string[];
}

/**
 * The scope of a signed-in lead (or admin).
 *
 * @example
 * const scope = await leadScopeOf(db, ctx.user); // { userId, queues: ['refunds', 'support'] }
 */
export async function leadScopeOf(
  db: Kysely<DB> | Transaction<DB>,
  user: { id: string; role: Role },
): Promise<LeadScope> {
  if (user.role === 'admin') return { userId: user.id, queues: 'all' };
  const rows = await db
    .selectFrom('queue_members')
    .select('queue')
    .where('user_id', '=', user.id)
    .orderBy('queue')
    .execute();
  return { userId: user.id, queues: rows.map((r) => r.queue) };
}

export function inScope(scope: LeadScope, queue: string): boolean {
  return scope.queues === 'all' || scope.queues.includes(queue);
}

/** Refuses a queue the lead is not a member of, in the same words whether or not it exists. */
export function assertInScope(scope: LeadScope, queue: string): void {
  if (!inScope(scope, queue))
    throw new AppError('FORBIDDEN', `You are not a member of queue "${queue}", so you do not lead it`);
}

/** A SQL condition: `column` names a queue in the scope. */
export function scopeSql(scope: LeadScope, column: RawBuilder<unknown>): RawBuilder<boolean> {
  if (scope.queues === 'all') return sql<boolean>`true`;
  return sql<boolean>`${column} = ANY(${[...scope.queues]}::text[])`;
}

/** Whether a person may be handed a task, and if not, why (in words for the lead). */
export interface Eligibility {
  userId: string;
  name: string;
  email: string;
  role: Role;
  /** They hold this task now. */
  holdsTask: boolean;
  eligible: boolean;
  reason: string | null;
}

interface CandidateRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  disabled: boolean;
  member: boolean;
  other_slot: boolean;
}

/**
 * Who of `userIds` may take `task`, each with the first reason against them: disabled; a role that
 * does not review (or, for an adjudication, that does not lead); not a member of the task's queue
 * (admins reach every queue); or already holding or having answered another task of the same item,
 * state and visit, since the independent reviews of one item need different people and whoever
 * gave one of them does not settle their disagreement. Unknown ids are left out.
 */
export async function eligibilityFor(
  db: Kysely<DB> | Transaction<DB>,
  task: Pick<ReviewTask, 'id' | 'item_id' | 'state' | 'visit' | 'queue' | 'kind' | 'status' | 'assignee_id'>,
  userIds: readonly string[],
): Promise<Eligibility[]> {
  if (userIds.length === 0) return [];
  const { rows } = await sql<CandidateRow>`
    SELECT u.id, u.name, u.email, u.role, u.disabled_at IS NOT NULL AS disabled,
           EXISTS (SELECT 1 FROM queue_members m WHERE m.queue = ${task.queue} AND m.user_id = u.id) AS member,
           EXISTS (SELECT 1 FROM review_tasks o
                    WHERE o.item_id = ${task.item_id} AND o.state = ${task.state} AND o.visit = ${task.visit}
                      AND o.id <> ${task.id} AND o.kind <> 'stuck'
                      -- A done task keeps its assignee: whoever answered it.
                      AND o.assignee_id = u.id) AS other_slot
      FROM users u
     WHERE u.id = ANY(${[...userIds]}::uuid[])
     ORDER BY u.name, u.id`.execute(db);
  return rows.map((u) => {
    const holdsTask = task.status === 'claimed' && task.assignee_id === u.id;
    const reason = ineligibility(task, u, holdsTask);
    return { userId: u.id, name: u.name, email: u.email, role: u.role, holdsTask, eligible: reason === null, reason };
  });
}

function ineligibility(task: Pick<ReviewTask, 'kind' | 'queue' | 'state'>, u: CandidateRow, holds: boolean) {
  if (u.disabled) return `${u.name}'s account is disabled`;
  if (!roleHas(u.role, 'task:work')) return `${u.name}'s role (${u.role}) does not review tasks`;
  if (task.kind === 'adjudication' && !roleHas(u.role, 'task:lead'))
    return `Only a lead settles a disagreement; ${u.name} is a ${u.role}`;
  if (!u.member && u.role !== 'admin') return `${u.name} is not a member of queue "${task.queue}"`;
  if (u.other_slot)
    return task.kind === 'adjudication'
      ? `${u.name} gave one of the verdicts in dispute; someone else settles them`
      : `${u.name} already reviewed this item at "${task.state}"; its reviews need different people`;
  if (holds) return `${u.name} already holds this task`;
  return null;
}

/**
 * Hands an open task (pending or claimed) to a named person, through the one transition path:
 * they hold it with a fresh lease and get it back from claim-next; whoever held it loses it (their
 * verdict is then refused). Audited on the item's trail as `task.reassigned` with from, to and by.
 * The lead must be a member of the task's queue; the person must be eligible (see `eligibilityFor`).
 *
 * @example
 * await db.transaction().execute((trx) => reassignTask(trx, deps, scope, { taskId, userId: sam.id }));
 */
export async function reassignTask(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  scope: LeadScope,
  input: { taskId: string; userId: string },
): Promise<ReviewTask> {
  const task = await trx
    .selectFrom('review_tasks')
    .selectAll()
    .where('id', '=', input.taskId)
    .forUpdate()
    .executeTakeFirst();
  if (!task) throw new AppError('NOT_FOUND', `No review task ${input.taskId}`);
  assertInScope(scope, task.queue);
  if (task.status === 'done') throw new AppError('CONFLICT', 'This task has already been reviewed; it cannot move');
  const [who] = await eligibilityFor(trx, task, [input.userId]);
  if (!who) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  if (who.holdsTask) throw new AppError('CONFLICT', who.reason ?? 'They already hold this task');
  if (!who.eligible)
    throw new AppError('BAD_INPUT', who.reason ?? 'They cannot take this task', {
      issues: [{ path: 'userId', message: who.reason ?? 'Not eligible for this task' }],
    });
  const [r] = await applyTransitions(trx, deps, [
    {
      itemId: task.item_id,
      outcome: {
        kind: 'task-reassigned',
        task,
        userId: who.userId,
        byUserId: scope.userId,
        leaseMinutes: LEASE_MINUTES,
      },
    },
  ]);
  if (!r?.ok) throw r?.error;
  return trx.selectFrom('review_tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
}

/** A member of a queue, as a lead picks whom to hand work to. */
export interface QueueMemberRow {
  userId: string;
  name: string;
  email: string;
  role: Role;
  disabled: boolean;
  /** Tasks of this queue they hold with an unexpired lease. */
  openClaims: number;
  addedAt: Date;
  /** With a task: whether they may take it, and why not. */
  eligible?: boolean;
  reason?: string | null;
  holdsTask?: boolean;
}

/**
 * The members of a queue the lead leads; with `taskId` (a task of that queue), each marked with
 * whether they may be handed it.
 */
export async function leadQueueMembers(
  db: Kysely<DB>,
  scope: LeadScope,
  input: { queue: string; taskId?: string | undefined },
  now: Date = new Date(),
): Promise<QueueMemberRow[]> {
  assertInScope(scope, input.queue);
  const rows = await db
    .selectFrom('queue_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select((eb) => [
      'u.id as userId',
      'u.name',
      'u.email',
      'u.role',
      sql<boolean>`u.disabled_at IS NOT NULL`.as('disabled'),
      'm.added_at as addedAt',
      eb
        .selectFrom('review_tasks as t')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('t.assignee_id', '=', 'u.id')
        .where('t.queue', '=', input.queue)
        .where('t.status', '=', 'claimed')
        .where('t.lease_expires_at', '>', now)
        .as('openClaims'),
    ])
    .where('m.queue', '=', input.queue)
    .orderBy('u.name')
    .orderBy('u.id')
    .execute();
  const members: QueueMemberRow[] = rows.map((r) => ({ ...r, openClaims: Number(r.openClaims ?? 0) }));
  if (!input.taskId) return members;
  const task = await db.selectFrom('review_tasks').selectAll().where('id', '=', input.taskId).executeTakeFirst();
  if (!task) throw new AppError('NOT_FOUND', `No review task ${input.taskId}`);
  assertInScope(scope, task.queue);
  if (task.queue !== input.queue)
    throw new AppError('BAD_INPUT', `Task ${input.taskId} is in queue "${task.queue}", not "${input.queue}"`, {
      issues: [{ path: 'taskId', message: `The task is in queue "${task.queue}"` }],
    });
  const eligibility = new Map(
    (
      await eligibilityFor(
        db,
        task,
        members.map((m) => m.userId),
      )
    ).map((e) => [e.userId, e]),
  );
  return members.map((m) => {
    const e = eligibility.get(m.userId);
    return { ...m, eligible: e?.eligible ?? false, reason: e?.reason ?? null, holdsTask: e?.holdsTask ?? false };
  });
}
