// What a lead reads about the queues they lead: open work per queue, the tasks with who holds them,
// per-reviewer progress over a window, and the overdue and escalated tasks. Read-only; every query
// takes the lead's scope (their queue memberships, or all for an admin) and a clock.
import { AppError, type Role } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { assertInScope, type LeadScope, scopeSql } from './lead-work';

/** Open work in one queue, as a lead watches it. */
export interface LeadQueueRow {
  queue: string;
  /** Waiting for someone to claim them. */
  pending: number;
  /** Held with a lease that has not expired. */
  claimed: number;
  /** Claimed, but the lease expired: anyone eligible may take them again. */
  expired: number;
  /** Open and past their due time. */
  overdue: number;
  /** Open and moved here by the escalation sweep. */
  escalated: number;
  /** Open adjudications: reviewers disagreed, a lead settles it. */
  adjudications: number;
  oldest: Date | null;
  members: number;
}

/**
 * Open work per queue the lead leads, empty queues included (a lead's memberships; for an admin,
 * every queue with members or open tasks).
 *
 * @example
 * const rows = await leadQueues(db, scope); // [{ queue: 'refunds', pending: 4, claimed: 1, overdue: 0, ... }]
 */
export async function leadQueues(db: Kysely<DB>, scope: LeadScope, now: Date = new Date()): Promise<LeadQueueRow[]> {
  const queues =
    scope.queues === 'all'
      ? sql`SELECT queue FROM queue_members UNION SELECT queue FROM review_tasks WHERE status <> 'done'`
      : sql`SELECT unnest(${[...scope.queues]}::text[]) AS queue`;
  const { rows } = await sql<LeadQueueRow>`
    WITH q AS (${queues})
    SELECT q.queue,
           (count(t.id) FILTER (WHERE t.status = 'pending'))::int AS pending,
           (count(t.id) FILTER (WHERE t.status = 'claimed' AND t.lease_expires_at > ${now}))::int AS claimed,
           (count(t.id) FILTER (WHERE t.status = 'claimed' AND t.lease_expires_at <= ${now}))::int AS expired,
           (count(t.id) FILTER (WHERE t.due_at < ${now}))::int AS overdue,
           (count(t.id) FILTER (WHERE t.escalated_at IS NOT NULL))::int AS escalated,
           (count(t.id) FILTER (WHERE t.kind = 'adjudication'))::int AS adjudications,
           min(t.created_at) AS oldest,
           (SELECT count(*)::int FROM queue_members m WHERE m.queue = q.queue) AS members
      FROM q
      LEFT JOIN review_tasks t ON t.queue = q.queue AND t.status <> 'done'
     GROUP BY q.queue
     ORDER BY q.queue`.execute(db);
  return rows;
}

export const LEAD_TASK_FILTERS = ['pending', 'claimed', 'overdue'] as const;
export type LeadTaskFilter = (typeof LEAD_TASK_FILTERS)[number];

/** An open task as a lead sees it in their queue's list. */
export interface LeadTaskRow {
  id: string;
  itemId: string;
  workflow: string;
  state: string;
  kind: string;
  queue: string;
  status: 'pending' | 'claimed';
  /** Which of the item's independent reviews this is, of how many. */
  slot: number;
  reviewersRequired: number;
  priority: number;
  assigneeId: string | null;
  assigneeName: string | null;
  createdAt: Date;
  claimedAt: Date | null;
  leaseExpiresAt: Date | null;
  leaseExpired: boolean;
  dueAt: Date | null;
  overdue: boolean;
  escalatedAt: Date | null;
}

/** How many tasks a queue's list shows at most (the first in claim order). */
export const LEAD_TASK_LIMIT = 500;

/**
 * The open tasks of a queue the lead leads, in the order claim-next hands them out (priority,
 * due time, age), with who holds each: all of them, or only the pending, claimed or overdue ones,
 * optionally of one kind (the adjudications waiting for a lead).
 */
export async function leadTasks(
  db: Kysely<DB>,
  scope: LeadScope,
  input: { queue: string; status?: LeadTaskFilter | undefined; kind?: string | undefined },
  now: Date = new Date(),
): Promise<LeadTaskRow[]> {
  assertInScope(scope, input.queue);
  const filter =
    input.status === 'overdue'
      ? sql`AND t.due_at < ${now}`
      : input.status
        ? sql`AND t.status = ${input.status}`
        : sql``;
  const kind = input.kind ? sql`AND t.kind = ${input.kind}` : sql``;
  const { rows } = await sql<LeadTaskRow>`
    SELECT t.id, t.item_id AS "itemId", i.workflow_name AS workflow, t.state, t.kind, t.queue, t.status,
           t.slot, t.reviewers_required AS "reviewersRequired", t.priority,
           t.assignee_id AS "assigneeId", u.name AS "assigneeName",
           t.created_at AS "createdAt", t.claimed_at AS "claimedAt", t.lease_expires_at AS "leaseExpiresAt",
           (t.status = 'claimed' AND t.lease_expires_at <= ${now}) AS "leaseExpired",
           t.due_at AS "dueAt", coalesce(t.due_at < ${now}, false) AS overdue, t.escalated_at AS "escalatedAt"
      FROM review_tasks t
      JOIN items i ON i.id = t.item_id
      LEFT JOIN users u ON u.id = t.assignee_id AND t.status = 'claimed'
     WHERE t.queue = ${input.queue} AND t.status <> 'done' ${filter} ${kind}
     ORDER BY t.priority DESC, t.due_at ASC NULLS LAST, t.created_at, t.id
     LIMIT ${LEAD_TASK_LIMIT}`.execute(db);
  return rows.map((r) => (r.status === 'claimed' ? r : { ...r, assigneeId: null }));
}

/** One person's work in a window. */
export interface ReviewerProgressRow {
  userId: string;
  name: string;
  role: Role;
  /** Tasks they completed in the window. */
  done: number;
  /** Of them, verdicts on an AI answer... */
  aiVerdicts: number;
  /** ...and of those, corrections: they changed the AI's answer. */
  overrides: number;
  /** Time per task, claimed to completed (seconds); null without a completed task. */
  meanSeconds: number | null;
  medianSeconds: number | null;
  /** Tasks they hold now with an unexpired lease. */
  openClaims: number;
}

export interface ProgressWindow {
  from: Date;
  to: Date;
}

/** The default window of progress: the last 7 days up to `now`. */
export function progressWindow(input: { from?: Date | undefined; to?: Date | undefined }, now = new Date()) {
  const to = input.to ?? now;
  const from = input.from ?? new Date(to.getTime() - 7 * 86_400_000);
  if (from >= to)
    throw new AppError('BAD_INPUT', 'The window must start before it ends', {
      issues: [{ path: 'from', message: 'Choose a start before the end' }],
    });
  return { from, to };
}

/**
 * Per-reviewer progress in the queues the lead leads (or one of them) over `[from, to)` (default:
 * the last 7 days): tasks done, verdicts on an AI answer and how many of them overrode it, mean and
 * median time per task (from its claim to its completion), and the tasks they hold now. Every
 * member of those queues is listed, idle ones too, and anyone else who did work there.
 *
 * @example
 * await reviewerProgress(db, scope, { queue: 'refunds' });
 * // [{ name: 'Sam', done: 3, aiVerdicts: 3, overrides: 1, meanSeconds: 160, medianSeconds: 120, openClaims: 1 }]
 */
export async function reviewerProgress(
  db: Kysely<DB>,
  scope: LeadScope,
  input: { queue?: string | undefined; from?: Date | undefined; to?: Date | undefined } = {},
  now: Date = new Date(),
): Promise<ReviewerProgressRow[]> {
  if (input.queue !== undefined) assertInScope(scope, input.queue);
  const w = progressWindow(input, now);
  const inQueues = (column: RawBuilder<unknown>) =>
    input.queue !== undefined ? sql`${column} = ${input.queue}` : scopeSql(scope, column);
  const { rows } = await sql<ReviewerProgressRow>`
    WITH done AS (
      SELECT r.reviewer_id AS user_id, t.id,
             EXTRACT(EPOCH FROM t.completed_at - t.claimed_at)::float8 AS secs,
             l.ai_label IS NOT NULL AS on_ai,
             coalesce(l.is_correction, false) AS override
        FROM review_tasks t
        JOIN reviews r ON r.task_id = t.id
        LEFT JOIN labels l ON l.review_id = r.id
       WHERE t.status = 'done' AND t.completed_at >= ${w.from} AND t.completed_at < ${w.to}
         AND ${inQueues(sql.ref('t.queue'))}
    ), open AS (
      SELECT t.assignee_id AS user_id, count(*)::int AS n
        FROM review_tasks t
       WHERE t.status = 'claimed' AND t.lease_expires_at > ${now} AND ${inQueues(sql.ref('t.queue'))}
       GROUP BY t.assignee_id
    ), people AS (
      SELECT user_id FROM done
       UNION SELECT user_id FROM open
       UNION SELECT m.user_id FROM queue_members m WHERE ${inQueues(sql.ref('m.queue'))}
    )
    SELECT p.user_id AS "userId", u.name, u.role,
           count(d.id)::int AS done,
           (count(d.id) FILTER (WHERE d.on_ai))::int AS "aiVerdicts",
           (count(d.id) FILTER (WHERE d.override))::int AS overrides,
           avg(d.secs)::float8 AS "meanSeconds",
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY d.secs))::float8 AS "medianSeconds",
           coalesce(max(o.n), 0)::int AS "openClaims"
      FROM people p
      JOIN users u ON u.id = p.user_id
      LEFT JOIN done d ON d.user_id = p.user_id
      LEFT JOIN open o ON o.user_id = p.user_id
     GROUP BY p.user_id, u.name, u.role
     ORDER BY done DESC, u.name, p.user_id`.execute(db);
  return rows;
}

/** An overdue or escalated open task, where it came from and where it waits. */
export interface EscalationRow {
  id: string;
  itemId: string;
  workflow: string;
  state: string;
  kind: string;
  /** The queue it waits in now (its escalation queue once escalated). */
  queue: string;
  /** The queue it was escalated from; null when not escalated. */
  fromQueue: string | null;
  status: 'pending' | 'claimed';
  assigneeId: string | null;
  assigneeName: string | null;
  priority: number;
  dueAt: Date | null;
  escalatedAt: Date | null;
  overdue: boolean;
}

/**
 * Open tasks past their due time or moved by the escalation sweep (`escalateOverdue`), in the
 * queues the lead leads: those waiting in them, and those escalated out of them to a queue
 * elsewhere. Most overdue first.
 */
export async function escalatedTasks(
  db: Kysely<DB>,
  scope: LeadScope,
  input: { queue?: string | undefined } = {},
  now: Date = new Date(),
): Promise<EscalationRow[]> {
  if (input.queue !== undefined) assertInScope(scope, input.queue);
  const inQueues = (column: RawBuilder<unknown>) =>
    input.queue !== undefined ? sql`${column} = ${input.queue}` : scopeSql(scope, column);
  const { rows } = await sql<EscalationRow>`
    SELECT t.id, t.item_id AS "itemId", i.workflow_name AS workflow, t.state, t.kind, t.queue,
           e.from_queue AS "fromQueue", t.status,
           CASE WHEN t.status = 'claimed' THEN t.assignee_id END AS "assigneeId",
           CASE WHEN t.status = 'claimed' THEN u.name END AS "assigneeName",
           t.priority, t.due_at AS "dueAt", t.escalated_at AS "escalatedAt",
           coalesce(t.due_at < ${now}, false) AS overdue
      FROM review_tasks t
      JOIN items i ON i.id = t.item_id
      LEFT JOIN users u ON u.id = t.assignee_id
      LEFT JOIN LATERAL (
        SELECT a.data->>'from' AS from_queue
          FROM audit_events a
         WHERE a.stream = t.item_id::text AND a.action = 'task.escalated' AND a.data->>'taskId' = t.id::text
         ORDER BY a.seq DESC
         LIMIT 1) e ON t.escalated_at IS NOT NULL
     WHERE t.status <> 'done' AND (t.due_at < ${now} OR t.escalated_at IS NOT NULL)
       AND (${inQueues(sql.ref('t.queue'))} OR (e.from_queue IS NOT NULL AND ${inQueues(sql.ref('e.from_queue'))}))
     ORDER BY t.due_at ASC NULLS LAST, t.escalated_at, t.id
     LIMIT ${LEAD_TASK_LIMIT}`.execute(db);
  return rows;
}
