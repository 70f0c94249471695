import type { DecideResult } from '@signoff/ai';
import type { FinalStatus, RouteReason, StateDefinition, WorkflowDefinition } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit, SYSTEM } from '@signoff/governance';
import { sql, type Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { enqueueStep, type StepJob } from './queue';

export interface ItemPosition {
  status: string;
  current_state: string | null;
  visits: Record<string, number>;
  attempt: number;
}

/**
 * Whether the item is where this job expects it: at the job's state visit (and, for work on the
 * main line, at the job's attempt) and running, or waiting for the timer/deadline jobs of a wait.
 * Anything else means the job is stale (a duplicate, or a retry after the transition committed).
 */
export function isAtStep(item: ItemPosition | undefined, job: StepJob): item is ItemPosition {
  if (!item || item.current_state !== job.state || (item.visits[job.state] ?? 0) !== job.visit) return false;
  const kind = job.kind ?? 'run';
  if (kind !== 'run') return item.status === 'waiting';
  if (item.status !== 'running') return false;
  return job.branch !== undefined || item.attempt === (job.attempt ?? 1);
}

/** Locks the item row and returns its position, or undefined when the job is stale. */
export async function lockItemAt(
  trx: Transaction<DB>,
  job: StepJob,
): Promise<(ItemPosition & { id: string }) | undefined> {
  const item = await trx
    .selectFrom('items')
    .select(['id', 'status', 'current_state', 'visits', 'attempt'])
    .where('id', '=', job.itemId)
    .forUpdate()
    .executeTakeFirst();
  return isAtStep(item, job) ? item : undefined;
}

/** What an AI answered at a decide state (or failed to), as recorded. */
export interface DecisionRecord {
  agent: string;
  result: DecideResult | null;
  /** Fallbacks when the provider failed before answering. */
  provider: string;
  inputText: string;
  inputHash: string;
  route: 'auto' | 'review' | 'sampled';
  reasons: RouteReason[];
  calibratedConfidence: number;
  calibratorId?: string | null;
  /** The checker agent's independent answer, when the state has one. */
  checker?: { agent: string; agrees: boolean; label: string | null; confidence: number | null; message: string };
}

export interface ReviewRequest {
  kind: 'decision' | 'review' | 'qa';
  queue: string;
  labels: readonly string[];
  reasons: RouteReason[];
  instructions: string;
  summary: unknown;
  dueInMinutes: number | undefined;
  escalateTo: string | undefined;
}

/** The result of executing one state, to be committed as one transition. */
export type StepOutcome =
  | { kind: 'advance'; output: unknown; next: string; decision?: DecisionRecord; qa?: ReviewRequest }
  | { kind: 'await-review'; review: ReviewRequest; decision?: DecisionRecord }
  | { kind: 'finish'; status: FinalStatus; output: unknown }
  | { kind: 'fan-out'; branches: string[] }
  | { kind: 'await-event'; name: string; key: string; deadline: Date | null }
  | { kind: 'await-timer'; until: Date };

export interface CommitContext {
  job: StepJob;
  definition: WorkflowDefinition;
  startedAt: Date;
}

/**
 * Commits one state's outcome in the caller's transaction: the state run, its decision, the review
 * task, branches, wait or next job, the item's new context and position, and their audit events.
 * Re-checks, under the item's row lock, that the item is still at this state visit; if another
 * run got there first it writes nothing and returns `stale`.
 */
export async function commitStep(
  trx: Transaction<DB>,
  boss: PgBoss,
  ctx: CommitContext,
  outcome: StepOutcome,
): Promise<'committed' | 'stale'> {
  const { job } = ctx;
  const item = await lockItemAt(trx, job);
  if (!item) return 'stale';
  const state = ctx.definition.states[job.state] as StateDefinition<unknown>;

  // A fan-out records its state run when the branches join.
  let runId: string | null = null;
  if (outcome.kind !== 'fan-out') {
    const waiting = outcome.kind === 'await-review' || outcome.kind === 'await-event' || outcome.kind === 'await-timer';
    const run = await trx
      .insertInto('state_runs')
      .values({
        item_id: job.itemId,
        state: job.state,
        visit: job.visit,
        kind: state.kind,
        status: waiting ? 'waiting' : 'done',
        output: waiting ? null : JSON.stringify((outcome as { output?: unknown }).output ?? null),
        next_state: outcome.kind === 'advance' ? outcome.next : null,
        attempts: item.attempt,
        started_at: ctx.startedAt,
      })
      .onConflict((oc) => oc.columns(['item_id', 'state', 'visit']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!run) return 'stale';
    runId = run.id;
  }

  const decisionId =
    runId && (outcome.kind === 'advance' || outcome.kind === 'await-review') && outcome.decision
      ? await insertDecision(trx, job, runId, outcome.decision)
      : null;

  switch (outcome.kind) {
    case 'advance':
      if (outcome.qa) await requestReview(trx, job, outcome.qa, decisionId);
      await moveItem(
        trx,
        boss,
        ctx.definition,
        { id: job.itemId, visits: item.visits },
        job.state,
        outcome.output,
        outcome.next,
        SYSTEM,
      );
      break;
    case 'await-review': {
      await requestReview(trx, job, outcome.review, decisionId);
      await setStatus(trx, job.itemId, 'waiting');
      break;
    }
    case 'finish':
      await trx
        .updateTable('items')
        .set({
          status: outcome.status,
          context: sql`context || jsonb_build_object(${job.state}::text, ${JSON.stringify(outcome.output ?? null)}::jsonb)`,
          finished_at: sql`now()`,
          updated_at: sql`now()`,
        })
        .where('id', '=', job.itemId)
        .execute();
      await appendAudit(trx, {
        itemId: job.itemId,
        actor: SYSTEM,
        action: 'item.finished',
        data: { state: job.state, status: outcome.status, output: outcome.output ?? null },
      });
      break;
    case 'fan-out':
      await trx
        .insertInto('branch_runs')
        .values(
          outcome.branches.map((branch) => ({
            item_id: job.itemId,
            state: job.state,
            visit: job.visit,
            branch,
            status: 'running' as const,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
      for (const branch of outcome.branches)
        await enqueueStep(trx, boss, { itemId: job.itemId, state: job.state, visit: job.visit, branch });
      await appendAudit(trx, {
        itemId: job.itemId,
        actor: SYSTEM,
        action: 'parallel.started',
        data: { state: job.state, visit: job.visit, branches: outcome.branches },
      });
      break;
    case 'await-event':
      await trx
        .insertInto('event_waits')
        .values({
          item_id: job.itemId,
          state: job.state,
          visit: job.visit,
          event_name: outcome.name,
          event_key: outcome.key,
          deadline: outcome.deadline,
        })
        .execute();
      await setStatus(trx, job.itemId, 'waiting');
      await appendAudit(trx, {
        itemId: job.itemId,
        actor: SYSTEM,
        action: 'wait.started',
        data: {
          state: job.state,
          visit: job.visit,
          event: outcome.name,
          key: outcome.key,
          deadline: outcome.deadline?.toISOString() ?? null,
        },
      });
      if (outcome.deadline)
        await enqueueStep(
          trx,
          boss,
          { itemId: job.itemId, state: job.state, visit: job.visit, kind: 'timeout' },
          { startAfter: outcome.deadline },
        );
      break;
    case 'await-timer':
      await setStatus(trx, job.itemId, 'waiting');
      await appendAudit(trx, {
        itemId: job.itemId,
        actor: SYSTEM,
        action: 'timer.started',
        data: { state: job.state, visit: job.visit, until: outcome.until.toISOString() },
      });
      await enqueueStep(
        trx,
        boss,
        { itemId: job.itemId, state: job.state, visit: job.visit, kind: 'timer' },
        { startAfter: outcome.until },
      );
      break;
  }
  return 'committed';
}

/** Creates a review task for a state visit, audited. A QA review (`kind: 'qa'`) does not hold the item. */
async function requestReview(
  trx: Transaction<DB>,
  job: StepJob,
  r: ReviewRequest,
  decisionId: string | null,
): Promise<void> {
  const task = await trx
    .insertInto('review_tasks')
    .values({
      item_id: job.itemId,
      state: job.state,
      visit: job.visit,
      decision_id: decisionId,
      kind: r.kind,
      queue: r.queue,
      status: 'pending',
      labels: JSON.stringify(r.labels),
      reasons: JSON.stringify(r.reasons),
      instructions: r.instructions,
      summary: JSON.stringify(r.summary ?? null),
      due_at: r.dueInMinutes ? new Date(Date.now() + r.dueInMinutes * 60_000) : null,
      ...(r.escalateTo ? { escalate_to: r.escalateTo } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    itemId: job.itemId,
    actor: SYSTEM,
    action: 'review.requested',
    data: {
      state: job.state,
      visit: job.visit,
      taskId: task.id,
      queue: r.queue,
      reasons: r.reasons,
      decisionId,
      ...(r.kind === 'qa' ? { qa: true } : {}),
    },
  });
}

async function setStatus(trx: Transaction<DB>, itemId: string, status: 'waiting' | 'running'): Promise<void> {
  await trx.updateTable('items').set({ status, updated_at: sql`now()` }).where('id', '=', itemId).execute();
}

/**
 * Records a state's output in the context and moves the item to `next`, enqueueing its job. A
 * state entered more often than its `maxVisits` sends the item to its `onMaxVisits` instead. Used
 * by automatic transitions, human verdicts, events and timers alike.
 */
export async function moveItem(
  trx: Transaction<DB>,
  boss: PgBoss,
  definition: WorkflowDefinition,
  item: { id: string; visits: Record<string, number> },
  from: string,
  output: unknown,
  next: string,
  actor: Actor,
  extraContext: Record<string, unknown> = {},
): Promise<void> {
  let target = next;
  const limit = definition.states[target] as { maxVisits?: number; onMaxVisits?: string } | undefined;
  if (limit?.maxVisits !== undefined && (item.visits[target] ?? 0) + 1 > limit.maxVisits && limit.onMaxVisits) {
    await appendAudit(trx, {
      itemId: item.id,
      actor: SYSTEM,
      action: 'state.max_visits_reached',
      data: { state: target, maxVisits: limit.maxVisits, redirectedTo: limit.onMaxVisits },
    });
    target = limit.onMaxVisits;
  }
  const visit = (item.visits[target] ?? 0) + 1;
  const context = { ...extraContext, [from]: output ?? null };
  await trx
    .updateTable('items')
    .set({
      status: 'running',
      current_state: target,
      attempt: 1,
      visits: JSON.stringify({ ...item.visits, [target]: visit }),
      context: sql`context || ${JSON.stringify(context)}::jsonb`,
      updated_at: sql`now()`,
    })
    .where('id', '=', item.id)
    .execute();
  await appendAudit(trx, {
    itemId: item.id,
    actor,
    action: 'state.completed',
    data: { state: from, output: output ?? null, next: target, nextVisit: visit },
  });
  await enqueueStep(trx, boss, { itemId: item.id, state: target, visit });
}

/** The `decisions` row of a decision recorded at a state run. */
export function decisionRow(job: StepJob, stateRunId: string, d: DecisionRecord) {
  const r = d.result;
  return {
    item_id: job.itemId,
    state_run_id: stateRunId,
    state: job.state,
    agent: d.agent,
    provider: r?.provider ?? d.provider,
    model: r?.model ?? 'unavailable',
    model_version: r?.modelVersion ?? 'unavailable',
    prompt_version: r?.promptVersion ?? 'unavailable',
    input_hash: r?.inputHash ?? d.inputHash,
    input_text: d.inputText,
    output: JSON.stringify({
      ...(r ? { label: r.label, rationale: r.rationale ?? null } : {}),
      ...(d.checker ? { checker: d.checker } : {}),
      ...(toolCallsOf(r) ? { toolCalls: toolCallsOf(r) } : {}),
    }),
    label: r?.label ?? null,
    confidence: r?.confidence ?? 0,
    confidence_method: r?.confidenceMethod ?? 'none',
    calibrated_confidence: d.calibratedConfidence,
    calibrator_id: d.calibratorId ?? null,
    route: d.route,
    reasons: JSON.stringify(d.reasons),
    latency_ms: Math.round(r?.latencyMs ?? 0),
    tokens_in: r?.tokensIn ?? null,
    tokens_out: r?.tokensOut ?? null,
    // The local model runs in-process: free, whether or not its result says so.
    cost_usd: r?.costUsd ?? (r?.provider === 'local' ? 0 : null),
  };
}

/** The data of a `decision.made` audit event. */
export function decisionEventData(job: StepJob, decisionId: string, d: DecisionRecord): Record<string, unknown> {
  const r = d.result;
  return {
    state: job.state,
    decisionId,
    agent: d.agent,
    provider: r?.provider ?? d.provider,
    model: r?.model ?? null,
    modelVersion: r?.modelVersion ?? null,
    promptVersion: r?.promptVersion ?? null,
    label: r?.label ?? null,
    confidence: r?.confidence ?? null,
    calibratedConfidence: d.calibratedConfidence,
    calibratorId: d.calibratorId ?? null,
    confidenceMethod: r?.confidenceMethod ?? null,
    route: d.route,
    reasons: d.reasons,
    ...(d.checker ? { checker: d.checker } : {}),
    ...(toolCallsOf(r) ? { toolCalls: toolCallsOf(r) } : {}),
  };
}

/** The tools the model called while deciding, if the provider reports them. */
function toolCallsOf(r: DecideResult | null): unknown[] | undefined {
  const calls = (r as { toolCalls?: unknown[] } | null)?.toolCalls;
  return calls && calls.length > 0 ? calls : undefined;
}

async function insertDecision(
  trx: Transaction<DB>,
  job: StepJob,
  stateRunId: string,
  d: DecisionRecord,
): Promise<string> {
  const row = await trx
    .insertInto('decisions')
    .values(decisionRow(job, stateRunId, d))
    .returning('id')
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    itemId: job.itemId,
    actor: SYSTEM,
    action: 'decision.made',
    data: decisionEventData(job, row.id, d),
  });
  return row.id;
}

/** Schedules the next try of a failed state run (or branch) as a delayed job, audited. */
export async function scheduleRetry(
  trx: Transaction<DB>,
  boss: PgBoss,
  job: StepJob & { attempt: number },
  delayMs: number,
  audit: { action: string; data: Record<string, unknown> },
): Promise<void> {
  await appendAudit(trx, {
    itemId: job.itemId,
    actor: SYSTEM,
    action: audit.action,
    data: { ...audit.data, attempt: job.attempt, nextAttempt: job.attempt + 1, delayMs },
  });
  await enqueueStep(trx, boss, { ...job, attempt: job.attempt + 1 }, { startAfter: new Date(Date.now() + delayMs) });
}

/** Marks an item failed with its error, visibly and audited: the end of a state that kept failing. */
export async function failItem(
  trx: Transaction<DB>,
  job: StepJob,
  error: { message: string; code?: string; reason?: string | null },
  options: { locked?: boolean; actor?: Actor } = {},
): Promise<boolean> {
  if (!options.locked && !(await lockItemAt(trx, job))) return false;
  await trx
    .updateTable('items')
    .set({
      status: 'failed',
      error: JSON.stringify({ state: job.state, ...error }),
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', job.itemId)
    .execute();
  await appendAudit(trx, {
    itemId: job.itemId,
    actor: options.actor ?? SYSTEM,
    action: 'item.failed',
    data: { state: job.state, visit: job.visit, ...(job.branch ? { branch: job.branch } : {}), error },
  });
  return true;
}
