// The one transition path: every change to an item (a state's result or failure, a branch, a wait,
// a verdict, a claim, an escalation, an operator's action) is planned against the item's locked
// row by `planTransition` and written by `writePlans`, any number of items in one transaction.
import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { v7 as uuidv7 } from 'uuid';
import type { FaultHook } from './faults';
import { emptyPlan, isAtStep } from './plan-common';
import type {
  BranchRow,
  EventRow,
  ItemSnapshot,
  OpenWaitRow,
  Outcome,
  Plan,
  PointVerdict,
  TransitionResult,
} from './plan-types';
import { TransitionConflict, writePlans } from './plan-writer';
import { planTransition, type TransitionAux } from './planner';
import type { WorkflowRegistry } from './registry';

export interface TransitionDeps {
  boss: PgBoss;
  registry: WorkflowRegistry;
  /** Test-only crash injection; see `FaultPoint`. */
  faults?: FaultHook | undefined;
  /** Jitter of retry back-offs (tests fix it). */
  random?: (() => number) | undefined;
  /**
   * Told of the transitions `commitTransitions` committed, after their transaction (e.g. to count
   * them for `/metrics`). Transitions applied in a caller's transaction are not reported: only the
   * caller knows whether it commits. Must not throw.
   */
  onCommitted?: ((transitions: readonly CommittedTransition[]) => void) | undefined;
}

/** A transition that committed: its item's workflow, what happened, and what it wrote. */
export interface CommittedTransition {
  workflow: string;
  outcome: Outcome['kind'];
  plan: Plan;
}

export interface TransitionRequest {
  itemId: string;
  outcome: Outcome;
}

export type TransitionOutcome =
  | { ok: true; result: TransitionResult; plan: Plan; workflow?: string }
  | { ok: false; error: unknown };

/** The columns of an `ItemSnapshot` but its context and input. */
const POSITION_COLUMNS = [
  'id',
  'workflow_name',
  'workflow_version_id',
  'status',
  'current_state',
  'visits',
  'attempt',
  'audit_seq',
  'audit_hash',
  'updated_at',
] as const;

/** The columns an `ItemSnapshot` is read with. */
export const SNAPSHOT_COLUMNS = [...POSITION_COLUMNS, 'context', 'input'] as const;

export interface ApplyOptions {
  /**
   * Items as read before the transaction (a worker reads them to run their states' work). Under
   * the lock only their position is read again; one whose audit head has not moved since (every
   * change to an item is audited) is planned with the context and input read then.
   */
  known?: ReadonlyMap<string, ItemSnapshot>;
}

/**
 * Plans and writes transitions in the caller's transaction: locks the items (in id order), reads
 * the rows some outcomes are planned against, plans each transition and writes them all together.
 * Several requests for one item are applied one after another, each planned against the last.
 * A request that cannot apply is returned as `{ ok: false, error }` and writes nothing; a
 * `TransitionConflict` (another transaction got there first) is thrown, for the caller to roll back.
 *
 * @example
 * const [r] = await db.transaction().execute((trx) =>
 *   applyTransitions(trx, deps, [{ itemId, outcome: { kind: 'task-released', task, userId } }]));
 */
export async function applyTransitions(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  requests: readonly TransitionRequest[],
  options: ApplyOptions = {},
): Promise<TransitionOutcome[]> {
  const results: TransitionOutcome[] = new Array(requests.length);
  // A wait that starts and an event that arrives for it take the same lock, before any item lock
  // (as `deliverEvent` does), so neither misses the other and the two never wait on each other.
  const awaited = requests.flatMap((r) =>
    r.outcome.kind === 'state-result' && r.outcome.result.kind === 'await-event'
      ? [{ name: r.outcome.result.name, key: r.outcome.result.key }]
      : [],
  );
  if (awaited.length > 0) await lockEventKeys(trx, awaited);
  const seen = new Map<string, number>();
  const rounds: number[][] = [];
  requests.forEach((r, index) => {
    const round = seen.get(r.itemId) ?? 0;
    seen.set(r.itemId, round + 1);
    const members = rounds[round] ?? [];
    members.push(index);
    rounds[round] = members;
  });
  for (const round of rounds) {
    // Only the first round may use what was read before: later rounds follow writes of this transaction.
    const known = round === rounds[0] ? options.known : undefined;
    const planned = await planRound(
      trx,
      deps,
      round.map((i) => requests[i] as TransitionRequest),
      known,
    );
    const plans: Plan[] = [];
    planned.forEach((outcome, k) => {
      results[round[k] as number] = outcome;
      if (outcome.ok) plans.push(outcome.plan);
    });
    await writePlans(trx, deps.boss, plans);
    for (const [k, outcome] of planned.entries()) {
      if (!outcome.ok || outcome.result === 'stale') continue;
      const request = requests[round[k] as number] as TransitionRequest;
      await deps.faults?.('before-commit', faultContext(request));
    }
  }
  return results;
}

/**
 * `applyTransitions` in a transaction of its own. If that transaction fails (another worker
 * committed one of the items first, a deadlock, a lost connection), each request is tried again in
 * a transaction of its own, so one item's trouble never holds back the others; a conflict then
 * means that request is `stale`.
 */
export async function commitTransitions(
  db: Kysely<DB>,
  deps: TransitionDeps,
  requests: readonly TransitionRequest[],
  options: ApplyOptions = {},
): Promise<TransitionOutcome[]> {
  if (requests.length === 0) return [];
  try {
    const results = await db.transaction().execute((trx) => applyTransitions(trx, deps, requests, options));
    reportCommitted(deps, requests, results);
    return results;
  } catch (error) {
    if (requests.length === 1) return [failedCommit(error)];
  }
  const results: TransitionOutcome[] = [];
  for (const request of requests) {
    try {
      const [r] = await db.transaction().execute((trx) => applyTransitions(trx, deps, [request], options));
      reportCommitted(deps, [request], [r as TransitionOutcome]);
      results.push(r as TransitionOutcome);
    } catch (error) {
      results.push(failedCommit(error));
    }
  }
  return results;
}

function reportCommitted(
  deps: TransitionDeps,
  requests: readonly TransitionRequest[],
  results: readonly TransitionOutcome[],
): void {
  if (!deps.onCommitted) return;
  const committed: CommittedTransition[] = [];
  results.forEach((r, k) => {
    if (r.ok && r.result !== 'stale' && r.workflow !== undefined)
      committed.push({ workflow: r.workflow, outcome: (requests[k] as TransitionRequest).outcome.kind, plan: r.plan });
  });
  // Counting must never undo a commit that happened.
  try {
    if (committed.length > 0) deps.onCommitted(committed);
  } catch {}
}

function failedCommit(error: unknown): TransitionOutcome {
  if (error instanceof TransitionConflict)
    return { ok: true, result: 'stale', plan: emptyPlan({ id: '', audit_seq: 0, audit_hash: '' }, 'stale') };
  return { ok: false, error };
}

function faultContext(r: TransitionRequest) {
  const job = 'job' in r.outcome ? r.outcome.job : undefined;
  return { itemId: r.itemId, outcome: r.outcome.kind, ...(job ? { job } : {}) };
}

/** One plan per request, at most one request per item. */
async function planRound(
  trx: Transaction<DB>,
  deps: TransitionDeps,
  requests: readonly TransitionRequest[],
  known: ReadonlyMap<string, ItemSnapshot> | undefined,
): Promise<TransitionOutcome[]> {
  const items = await lockItems(
    trx,
    requests.map((r) => r.itemId),
    known,
  );
  const aux = await readAux(trx, requests, items);
  const env = { now: new Date(), newId: uuidv7, random: deps.random ?? Math.random };
  return requests.map((r, k): TransitionOutcome => {
    const item = items.get(r.itemId);
    if (!item) return { ok: false, error: new AppError('NOT_FOUND', `No item ${r.itemId}`) };
    const wf = deps.registry.byVersionId(item.workflow_version_id);
    if (!wf)
      return {
        ok: false,
        error: new AppError(
          'INTERNAL',
          `Workflow version ${item.workflow_version_id} of "${item.workflow_name}" is not loaded by this process`,
        ),
      };
    try {
      const plan = planTransition({ item, definition: wf.definition, outcome: r.outcome, env, aux: aux[k] ?? {} });
      return { ok: true, result: plan.result, plan, workflow: item.workflow_name };
    } catch (error) {
      return { ok: false, error };
    }
  });
}

/**
 * Locks the items (in id order) and returns their snapshots: the position read under the lock,
 * with the context and input of `known` where the audit head has not moved, else read again.
 */
async function lockItems(
  trx: Transaction<DB>,
  itemIds: readonly string[],
  known: ReadonlyMap<string, ItemSnapshot> | undefined,
): Promise<Map<string, ItemSnapshot>> {
  const ids = [...new Set(itemIds)].sort();
  const items = new Map<string, ItemSnapshot>();
  if (!known) {
    const rows = await trx
      .selectFrom('items')
      .select(SNAPSHOT_COLUMNS)
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const row of rows) items.set(row.id, row as ItemSnapshot);
    return items;
  }
  const rows = await trx
    .selectFrom('items')
    .select(POSITION_COLUMNS)
    .where('id', 'in', ids)
    .orderBy('id')
    .forUpdate()
    .execute();
  const moved: string[] = [];
  for (const row of rows) {
    const before = known.get(row.id);
    if (before && before.audit_seq === row.audit_seq)
      items.set(row.id, { ...row, context: before.context, input: before.input });
    else moved.push(row.id);
  }
  if (moved.length > 0) {
    const fresh = await trx.selectFrom('items').select(SNAPSHOT_COLUMNS).where('id', 'in', moved).execute();
    for (const row of fresh) items.set(row.id, row as ItemSnapshot);
  }
  return items;
}

/** Serialises, per (event name, key), a wait that starts with an event that arrives. */
export async function lockEventKeys(
  trx: Transaction<DB>,
  keys: readonly { name: string; key: string }[],
): Promise<void> {
  const unique = [...new Set(keys.map((k) => JSON.stringify([k.name, k.key])))].sort();
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(k, 7271)) FROM unnest(${unique}::text[]) AS k ORDER BY k`.execute(
    trx,
  );
}

function waitKey(itemId: string, state: string, visit: number): string {
  return `${itemId}\u0000${state}\u0000${visit}`;
}

/** The branch rows, open waits and early events the round's outcomes are planned against. */
async function readAux(
  trx: Transaction<DB>,
  requests: readonly TransitionRequest[],
  items: ReadonlyMap<string, ItemSnapshot>,
): Promise<TransitionAux[]> {
  const aux: TransitionAux[] = requests.map(() => ({}));
  const branchKeys: { item_id: string; state: string; visit: number }[] = [];
  const waitKeys: { item_id: string; state: string; visit: number }[] = [];
  const eventKeys: { name: string; key: string }[] = [];
  const pointKeys: { item_id: string; state: string; visit: number }[] = [];
  for (const r of requests) {
    const o = r.outcome;
    if (o.kind === 'verdict') pointKeys.push({ item_id: r.itemId, state: o.task.state, visit: o.task.visit });
    if (o.kind === 'branch-result' || o.kind === 'branch-error')
      branchKeys.push({ item_id: r.itemId, state: o.job.state, visit: o.job.visit });
    else if (o.kind === 'state-result' && o.result.kind === 'fan-out')
      branchKeys.push({ item_id: r.itemId, state: o.job.state, visit: o.job.visit });
    else if (o.kind === 'deadline-passed') waitKeys.push({ item_id: r.itemId, state: o.job.state, visit: o.job.visit });
    else if (o.kind === 'state-result' && o.result.kind === 'await-event')
      eventKeys.push({ name: o.result.name, key: o.result.key });
  }
  const branches = new Map<string, BranchRow[]>();
  if (branchKeys.length > 0) {
    const rows = await sql<BranchRow & { item_id: string; state: string; visit: number }>`
      SELECT b.item_id, b.state, b.visit, b.branch, b.status, b.attempt, b.output
        FROM branch_runs b
        JOIN jsonb_to_recordset(${JSON.stringify(branchKeys)}::jsonb) AS k(item_id uuid, state text, visit integer)
          ON b.item_id = k.item_id AND b.state = k.state AND b.visit = k.visit
       ORDER BY b.item_id, b.branch
         FOR UPDATE OF b`.execute(trx);
    for (const row of rows.rows) {
      const key = waitKey(row.item_id, row.state, row.visit);
      branches.set(key, [...(branches.get(key) ?? []), row]);
    }
  }
  const waits = new Map<string, OpenWaitRow>();
  if (waitKeys.length > 0) {
    const rows = await sql<OpenWaitRow & { item_id: string }>`
      SELECT w.item_id, w.state, w.visit, w.event_name, w.event_key, w.deadline
        FROM event_waits w
        JOIN jsonb_to_recordset(${JSON.stringify(waitKeys)}::jsonb) AS k(item_id uuid, state text, visit integer)
          ON w.item_id = k.item_id AND w.state = k.state AND w.visit = k.visit
       WHERE w.resolved_at IS NULL
         FOR UPDATE OF w`.execute(trx);
    for (const row of rows.rows) waits.set(waitKey(row.item_id, row.state, row.visit), row);
  }
  const early = new Map<string, EventRow[]>();
  if (eventKeys.length > 0) {
    const rows = await sql<EventRow>`
      SELECT e.id, e.name, e.key, e.payload
        FROM events e
        JOIN (SELECT DISTINCT name, key FROM jsonb_to_recordset(${JSON.stringify(eventKeys)}::jsonb)
                AS k(name text, key text)) k ON e.name = k.name AND e.key = k.key
       WHERE e.consumed_at IS NULL
       ORDER BY e.received_at, e.id
         FOR UPDATE OF e`.execute(trx);
    for (const row of rows.rows) {
      const key = JSON.stringify([row.name, row.key]);
      early.set(key, [...(early.get(key) ?? []), row]);
    }
  }
  // Read after the item's lock: every verdict at a review point takes it, so the Nth sees the others.
  const points = new Map<string, PointVerdict[]>();
  if (pointKeys.length > 0) {
    const rows = await sql<PointVerdict & { item_id: string; state: string; visit: number }>`
      SELECT t.item_id, t.state, t.visit, t.id AS "taskId", t.kind, t.slot, r.reviewer_id AS "reviewerId",
             r.verdict, r.label, r.reason
        FROM review_tasks t
        JOIN jsonb_to_recordset(${JSON.stringify(pointKeys)}::jsonb) AS k(item_id uuid, state text, visit integer)
          ON t.item_id = k.item_id AND t.state = k.state AND t.visit = k.visit
        JOIN reviews r ON r.task_id = t.id
       WHERE t.kind <> 'stuck' AND t.kind <> 'qa'
       ORDER BY t.item_id, t.slot, r.created_at`.execute(trx);
    for (const { item_id, state, visit, ...v } of rows.rows) {
      const key = waitKey(item_id, state, visit);
      points.set(key, [...(points.get(key) ?? []), v]);
    }
  }
  requests.forEach((r, k) => {
    const o = r.outcome;
    const a = aux[k] as TransitionAux;
    if (o.kind === 'verdict') a.pointVerdicts = points.get(waitKey(r.itemId, o.task.state, o.task.visit)) ?? [];
    if (o.kind === 'branch-result' || o.kind === 'branch-error' || o.kind === 'state-result')
      a.branches = branches.get(waitKey(r.itemId, o.job.state, o.job.visit)) ?? [];
    if (o.kind === 'deadline-passed') a.openWait = waits.get(waitKey(r.itemId, o.job.state, o.job.visit));
    if (o.kind === 'state-result' && o.result.kind === 'await-event' && isAtStep(items.get(r.itemId), o.job)) {
      // Each early event resumes one wait: the first to start takes it.
      a.earlyEvent = early.get(JSON.stringify([o.result.name, o.result.key]))?.shift();
    }
  });
  return aux;
}
