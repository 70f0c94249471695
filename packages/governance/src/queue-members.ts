// Queue membership: who works which review queue. Reviewers and leads claim and read only their
// queues' tasks; admins reach every queue. Each change is audited on the `security` stream.
import { AppError, isUuid, type Role } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Actor, appendAudit } from './audit';

export interface QueueMembership {
  queue: string;
  userId: string;
  addedBy: string | null;
  addedAt: Date;
}

/**
 * Makes a user a member of a queue (audited as `queue_member.added`); a no-op, unaudited, when they
 * already are. Returns whether it changed anything.
 *
 * @example
 * await db.transaction().execute((trx) => addQueueMember(trx, { queue: 'refunds', userId }, actor));
 */
export async function addQueueMember(
  trx: Transaction<DB>,
  input: { queue: string; userId: string },
  actor: Actor,
): Promise<boolean> {
  const queue = input.queue.trim();
  if (!queue)
    throw new AppError('BAD_INPUT', 'Name the queue', { issues: [{ path: 'queue', message: 'Name the queue' }] });
  if (!isUuid(input.userId)) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  const user = await trx.selectFrom('users').select(['id', 'email']).where('id', '=', input.userId).executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  const added = await trx
    .insertInto('queue_members')
    .values({ queue, user_id: user.id, added_by: actor.type === 'user' ? actor.id : null })
    .onConflict((oc) => oc.doNothing())
    .returning('queue')
    .executeTakeFirst();
  if (!added) return false;
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'queue_member.added',
    data: { queue, userId: user.id, email: user.email },
  });
  return true;
}

/** The queues a user is a member of, by name. */
export async function queuesOf(db: Kysely<DB> | Transaction<DB>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('queue_members')
    .select('queue')
    .where('user_id', '=', userId)
    .orderBy('queue')
    .execute();
  return rows.map((r) => r.queue);
}

/**
 * Ends a user's membership of a queue (audited as `queue_member.removed`); a no-op, unaudited, when
 * they were not a member. Returns whether it changed anything. Tasks they hold there stay theirs
 * until released or their lease expires; they claim no new ones.
 *
 * @example
 * await db.transaction().execute((trx) => removeQueueMember(trx, { queue: 'refunds', userId }, actor));
 */
export async function removeQueueMember(
  trx: Transaction<DB>,
  input: { queue: string; userId: string },
  actor: Actor,
): Promise<boolean> {
  const queue = input.queue.trim();
  if (!queue)
    throw new AppError('BAD_INPUT', 'Name the queue', { issues: [{ path: 'queue', message: 'Name the queue' }] });
  if (!isUuid(input.userId)) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  const user = await trx.selectFrom('users').select(['id', 'email']).where('id', '=', input.userId).executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', `No user ${input.userId}`);
  const removed = await trx
    .deleteFrom('queue_members')
    .where('queue', '=', queue)
    .where('user_id', '=', user.id)
    .returning('queue')
    .executeTakeFirst();
  if (!removed) return false;
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'queue_member.removed',
    data: { queue, userId: user.id, email: user.email },
  });
  return true;
}

/**
 * Makes `queues` exactly the queues a user is a member of: adds the missing, removes the others,
 * each change audited on its own. Returns the queues added and removed.
 *
 * @example
 * await db.transaction().execute((trx) => setUserQueues(trx, userId, ['support', 'refunds'], actor));
 */
export async function setUserQueues(
  trx: Transaction<DB>,
  userId: string,
  queues: readonly string[],
  actor: Actor,
): Promise<{ added: string[]; removed: string[] }> {
  if (!isUuid(userId)) throw new AppError('NOT_FOUND', `No user ${userId}`);
  const user = await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
  if (!user) throw new AppError('NOT_FOUND', `No user ${userId}`);
  const wanted = new Set(queues.map((q) => q.trim()));
  if (wanted.has(''))
    throw new AppError('BAD_INPUT', 'A queue name cannot be empty', {
      issues: [{ path: 'queues', message: 'A queue name cannot be empty' }],
    });
  const current = new Set(await queuesOf(trx, userId));
  const added = [...wanted].filter((q) => !current.has(q)).sort();
  const removed = [...current].filter((q) => !wanted.has(q)).sort();
  for (const queue of added) await addQueueMember(trx, { queue, userId }, actor);
  for (const queue of removed) await removeQueueMember(trx, { queue, userId }, actor);
  return { added, removed };
}

export interface QueueMember {
  userId: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  addedBy: string | null;
  addedAt: Date;
}

export interface QueueListing {
  queue: string;
  /** Registered workflows that route to it (a policy, risk rule, review state, QA or escalation queue). */
  workflows: string[];
  /** Open (not done) review tasks waiting or held in it. */
  openTasks: number;
  members: QueueMember[];
}

/** Where a stored workflow definition (its JSON form) sends review tasks. */
const QUEUE_PATHS = [
  '$.states.*.queue',
  '$.states.*.escalateTo',
  '$.states.*.policy.queue',
  '$.states.*.policy.escalateTo',
  '$.states.*.policy.sampleQueue',
  '$.states.*.policy.adjudicationQueue',
  '$.states.*.policy.risks[*].queue',
] as const;

/**
 * Every queue Signoff knows: those the registered workflows (every stored version, since items on
 * an old version still route by it) send tasks to, those with members, and those holding open
 * tasks (escalated and stuck items included), each with its members. By name.
 *
 * @example
 * const queues = await listQueues(db); // [{ queue: 'refunds', workflows: ['support-triage'], openTasks: 4, members: [...] }]
 */
export async function listQueues(db: Kysely<DB> | Transaction<DB>): Promise<QueueListing[]> {
  const fromWorkflows = await sql<{ queue: string; workflow: string }>`
    SELECT DISTINCT q.queue, w.name AS workflow
      FROM workflow_versions w,
           LATERAL (
             SELECT jsonb_path_query(w.definition, p.path::jsonpath) #>> '{}' AS queue
               FROM unnest(${[...QUEUE_PATHS]}::text[]) AS p(path)
             UNION
             -- An overdue task whose state names no escalateTo moves to 'escalations'.
             SELECT 'escalations'
              WHERE jsonb_path_exists(w.definition, '$.states.* ? (exists(@.dueInMinutes) && !(exists(@.escalateTo)))')
                 OR jsonb_path_exists(w.definition, '$.states.*.policy ? (exists(@.dueInMinutes) && !(exists(@.escalateTo)))')
           ) q
     WHERE q.queue IS NOT NULL AND q.queue <> ''`.execute(db);
  // A loose index scan over the claim index: one probe per queue, however many tasks wait.
  const open = await sql<{ queue: string; open: number }>`
    WITH RECURSIVE qs(queue) AS (
      (SELECT queue FROM review_tasks WHERE status <> 'done' ORDER BY queue LIMIT 1)
      UNION ALL
      SELECT (SELECT t.queue FROM review_tasks t WHERE t.status <> 'done' AND t.queue > qs.queue ORDER BY t.queue LIMIT 1)
        FROM qs WHERE qs.queue IS NOT NULL
    )
    SELECT queue,
           (SELECT count(*)::int FROM review_tasks t WHERE t.queue = qs.queue AND t.status <> 'done') AS open
      FROM qs WHERE queue IS NOT NULL`.execute(db);
  const members = await db
    .selectFrom('queue_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.queue', 'm.user_id', 'm.added_by', 'm.added_at', 'u.email', 'u.name', 'u.role', 'u.disabled_at'])
    .orderBy('m.queue')
    .orderBy('u.email')
    .execute();
  const byQueue = new Map<string, QueueListing>();
  const entry = (queue: string): QueueListing => {
    let e = byQueue.get(queue);
    if (!e) {
      e = { queue, workflows: [], openTasks: 0, members: [] };
      byQueue.set(queue, e);
    }
    return e;
  };
  for (const r of fromWorkflows.rows) entry(r.queue).workflows.push(r.workflow);
  for (const r of open.rows) entry(r.queue).openTasks = r.open;
  for (const m of members)
    entry(m.queue).members.push({
      userId: m.user_id,
      email: m.email,
      name: m.name,
      role: m.role,
      disabled: m.disabled_at !== null,
      addedBy: m.added_by,
      addedAt: m.added_at,
    });
  for (const e of byQueue.values()) e.workflows.sort();
  return [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0));
}
