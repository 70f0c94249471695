import type { DecideResult } from '@signoff/ai';
import type { FinalStatus, RouteReason } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit, SYSTEM } from '@signoff/governance';
import { sql, type Transaction } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { enqueueStep, type StepJob } from './queue';

/** Whether the item is running and positioned at exactly this state visit (else the job is stale). */
export function isAtStep(
  item: { status: string; current_state: string | null; visits: Record<string, number> } | undefined,
  job: StepJob,
): item is { status: 'running'; current_state: string; visits: Record<string, number> } {
  return item?.status === 'running' && item.current_state === job.state && (item.visits[job.state] ?? 0) === job.visit;
}

/** What an AI answered at a decide state (or failed to), as recorded. */
export interface DecisionRecord {
  agent: string;
  result: DecideResult | null;
  /** Fallbacks when the provider failed before answering. */
  provider: string;
  inputText: string;
  inputHash: string;
  route: 'auto' | 'review';
  reasons: RouteReason[];
  calibratedConfidence: number;
}

export interface ReviewRequest {
  queue: string;
  labels: readonly string[];
  reasons: RouteReason[];
  instructions: string;
  summary: unknown;
  dueInMinutes: number | undefined;
}

/** The result of executing one state, to be committed as one transition. */
export type StepOutcome =
  | { kind: 'advance'; output: unknown; next: string; decision?: DecisionRecord }
  | { kind: 'await-review'; review: ReviewRequest; decision?: DecisionRecord }
  | { kind: 'finish'; status: FinalStatus; output: unknown };

export interface CommitContext {
  job: StepJob;
  stateKind: string;
  startedAt: Date;
  attempts: number;
}

/**
 * Commits one state's outcome in the caller's transaction: the state run, its decision, the
 * review task or the next job, the item's new context and position, and their audit events.
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
  const item = await trx
    .selectFrom('items')
    .select(['status', 'current_state', 'visits'])
    .where('id', '=', job.itemId)
    .forUpdate()
    .executeTakeFirst();
  if (!isAtStep(item, job)) return 'stale';

  const waiting = outcome.kind === 'await-review';
  const run = await trx
    .insertInto('state_runs')
    .values({
      item_id: job.itemId,
      state: job.state,
      visit: job.visit,
      kind: ctx.stateKind,
      status: waiting ? 'waiting' : 'done',
      output: waiting ? null : JSON.stringify(outcome.output ?? null),
      next_state: outcome.kind === 'advance' ? outcome.next : null,
      attempts: ctx.attempts,
      started_at: ctx.startedAt,
    })
    .onConflict((oc) => oc.columns(['item_id', 'state', 'visit']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!run) return 'stale';

  const decisionId =
    outcome.kind !== 'finish' && outcome.decision ? await insertDecision(trx, job, run.id, outcome.decision) : null;

  switch (outcome.kind) {
    case 'advance': {
      await moveItem(trx, boss, job.itemId, item.visits, job.state, outcome.output, outcome.next, SYSTEM);
      break;
    }
    case 'await-review': {
      const r = outcome.review;
      const task = await trx
        .insertInto('review_tasks')
        .values({
          item_id: job.itemId,
          state: job.state,
          visit: job.visit,
          decision_id: decisionId,
          queue: r.queue,
          status: 'pending',
          labels: JSON.stringify(r.labels),
          reasons: JSON.stringify(r.reasons),
          instructions: r.instructions,
          summary: JSON.stringify(r.summary ?? null),
          due_at: r.dueInMinutes ? new Date(Date.now() + r.dueInMinutes * 60_000) : null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('items')
        .set({ status: 'waiting', updated_at: sql`now()` })
        .where('id', '=', job.itemId)
        .execute();
      await appendAudit(trx, {
        itemId: job.itemId,
        actor: SYSTEM,
        action: 'review.requested',
        data: { state: job.state, visit: job.visit, taskId: task.id, queue: r.queue, reasons: r.reasons, decisionId },
      });
      break;
    }
    case 'finish': {
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
    }
  }
  return 'committed';
}

/**
 * Records a state's output in the context and moves the item to `next` (one more visit there),
 * enqueueing its job. Used by automatic transitions and by human verdicts alike.
 */
export async function moveItem(
  trx: Transaction<DB>,
  boss: PgBoss,
  itemId: string,
  visits: Record<string, number>,
  from: string,
  output: unknown,
  next: string,
  actor: Actor,
): Promise<void> {
  const visit = (visits[next] ?? 0) + 1;
  await trx
    .updateTable('items')
    .set({
      status: 'running',
      current_state: next,
      visits: JSON.stringify({ ...visits, [next]: visit }),
      context: sql`context || jsonb_build_object(${from}::text, ${JSON.stringify(output ?? null)}::jsonb)`,
      updated_at: sql`now()`,
    })
    .where('id', '=', itemId)
    .execute();
  await appendAudit(trx, {
    itemId,
    actor,
    action: 'state.completed',
    data: { state: from, output: output ?? null, next, nextVisit: visit },
  });
  await enqueueStep(trx, boss, { itemId, state: next, visit });
}

async function insertDecision(
  trx: Transaction<DB>,
  job: StepJob,
  stateRunId: string,
  d: DecisionRecord,
): Promise<string> {
  const r = d.result;
  const row = await trx
    .insertInto('decisions')
    .values({
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
      output: JSON.stringify(r ? { label: r.label, rationale: r.rationale ?? null } : {}),
      label: r?.label ?? null,
      confidence: r?.confidence ?? 0,
      confidence_method: r?.confidenceMethod ?? 'none',
      calibrated_confidence: d.calibratedConfidence,
      route: d.route,
      reasons: JSON.stringify(d.reasons),
      latency_ms: Math.round(r?.latencyMs ?? 0),
      tokens_in: r?.tokensIn ?? null,
      tokens_out: r?.tokensOut ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    itemId: job.itemId,
    actor: SYSTEM,
    action: 'decision.made',
    data: {
      state: job.state,
      decisionId: row.id,
      agent: d.agent,
      provider: r?.provider ?? d.provider,
      model: r?.model ?? null,
      modelVersion: r?.modelVersion ?? null,
      promptVersion: r?.promptVersion ?? null,
      label: r?.label ?? null,
      confidence: r?.confidence ?? null,
      confidenceMethod: r?.confidenceMethod ?? null,
      route: d.route,
      reasons: d.reasons,
    },
  });
  return row.id;
}

/** Marks an item failed with its error, visibly and audited: the end of a state that kept failing. */
export async function failItem(
  trx: Transaction<DB>,
  job: StepJob,
  error: { message: string; code?: string },
): Promise<boolean> {
  const item = await trx
    .selectFrom('items')
    .select(['status', 'current_state', 'visits'])
    .where('id', '=', job.itemId)
    .forUpdate()
    .executeTakeFirst();
  if (!isAtStep(item, job)) return false;
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
    actor: SYSTEM,
    action: 'item.failed',
    data: { state: job.state, visit: job.visit, error },
  });
  return true;
}
