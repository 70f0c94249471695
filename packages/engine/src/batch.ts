import type { StateDefinition, WorkflowContext, WorkflowDefinition } from '@signoff/core';
import type { DB, Item } from '@signoff/db';
import { type AuditInput, chainEvents, SYSTEM } from '@signoff/governance';
import { sql, type Transaction } from 'kysely';
import { fromKysely } from 'pg-boss';
import { executeStep, runState, type StepDeps, type StepResult } from './execute-step';
import { handleStateFailure } from './failure';
import { type ParsedStepJob, STEP_QUEUE, type StepJob } from './queue';
import {
  commitStep,
  type DecisionRecord,
  decisionEventData,
  decisionRow,
  isAtStep,
  type ReviewRequest,
  type StepOutcome,
} from './transition';

/** How a job of a batch ended: a result, or an error of ours (the job is retried by pg-boss). */
export type BatchJobResult = { ok: true; result: StepResult } | { ok: false; error: unknown };

/** States evaluated in the transaction that reaches them instead of by a job of their own. */
const INLINE_LIMIT = 32;

interface Entry {
  index: number;
  job: ParsedStepJob;
  item: Item;
  definition: WorkflowDefinition;
  state: StateDefinition<WorkflowContext>;
  startedAt: Date;
  outcome?: StepOutcome;
}

type Locked = Pick<
  Item,
  'id' | 'status' | 'current_state' | 'visits' | 'attempt' | 'context' | 'input' | 'audit_seq' | 'audit_hash'
>;

interface RunRow {
  item_id: string;
  state: string;
  visit: number;
  kind: string;
  status: 'done' | 'waiting';
  output: string | null;
  next_state: string | null;
  attempts: number;
  started_at: Date;
}

interface Plan {
  entry: Entry;
  item: Locked;
  runs: RunRow[];
  decision?: DecisionRecord;
  review?: ReviewRequest;
  /** Events in order; `decision.made` and `review.requested` get their row ids filled in. */
  events: (Omit<AuditInput, 'itemId'> & { fill?: 'decision' | 'review' })[];
  update: {
    status: string;
    current_state: string;
    visits: Record<string, number>;
    context: Record<string, unknown>;
    finished_at: string | null;
  };
  next?: StepJob;
}

/**
 * Runs a fetched batch of step jobs: one read of their items, their states' work side by side, then
 * ONE transaction for all their transitions (bulk inserts of state runs, decisions, review tasks,
 * audit events and next jobs; one update of the items). Each item's transition is still atomic: it
 * commits with the batch or not at all. `choice` and `final` states reached on the way are
 * evaluated in the same transaction. Jobs outside the common path (branches, waits, timers,
 * failures) and any batch whose commit fails go through `executeStep`, one transaction each.
 */
export async function executeBatch(deps: StepDeps, jobs: ParsedStepJob[]): Promise<BatchJobResult[]> {
  const results: BatchJobResult[] = new Array(jobs.length);
  const items = new Map(
    (
      await deps.db
        .selectFrom('items')
        .selectAll()
        .where('id', 'in', [...new Set(jobs.map((j) => j.itemId))])
        .execute()
    ).map((i) => [i.id, i]),
  );
  const entries: Entry[] = [];
  const individual: number[] = [];
  const seen = new Set<string>();
  jobs.forEach((job, index) => {
    const item = items.get(job.itemId);
    if (!item || !isAtStep(item, job)) {
      results[index] = { ok: true, result: 'stale' };
      return;
    }
    const wf = deps.registry.byVersionId(item.workflow_version_id);
    const state = wf?.definition.states[job.state] as StateDefinition<WorkflowContext> | undefined;
    const simple =
      job.kind === 'run' && job.branch === undefined && state && state.kind !== 'parallel' && state.kind !== 'wait';
    if (!wf || !state || !simple || seen.has(job.itemId)) {
      individual.push(index);
      return;
    }
    seen.add(job.itemId);
    entries.push({ index, job, item, definition: wf.definition, state, startedAt: new Date() });
  });

  const failed: Entry[] = [];
  await Promise.all(
    entries.map(async (e) => {
      try {
        e.outcome = await runState(deps, e.job, e.item, e.state, { ...e.item.context, input: e.item.input });
        await deps.faults?.('after-effect', e.job);
      } catch (error) {
        failed.push(e);
        results[e.index] = await failure(deps, e, error);
      }
    }),
  );
  const ready = entries.filter((e) => e.outcome !== undefined);
  if (ready.length > 0) {
    try {
      const committed = await deps.db.transaction().execute((trx) => commitBatch(trx, deps, ready));
      for (const e of ready) results[e.index] = { ok: true, result: committed.get(e.index) ?? 'stale' };
    } catch {
      // A conflict (another worker got to one of the items) or a lost connection: commit one by one.
      for (const e of ready) {
        try {
          const r = await deps.db.transaction().execute(async (trx) => {
            const result = await commitStep(
              trx,
              deps.boss,
              { job: e.job, definition: e.definition, startedAt: e.startedAt },
              e.outcome as StepOutcome,
            );
            await deps.faults?.('before-commit', e.job);
            return result;
          });
          results[e.index] = { ok: true, result: r };
        } catch (error) {
          results[e.index] = { ok: false, error };
        }
      }
    }
  }
  for (const index of individual) {
    try {
      results[index] = { ok: true, result: await executeStep(deps, jobs[index] as ParsedStepJob) };
    } catch (error) {
      results[index] = { ok: false, error };
    }
  }
  return results;
}

async function failure(deps: StepDeps, e: Entry, error: unknown): Promise<BatchJobResult> {
  const policy = e.state.kind === 'task' || e.state.kind === 'decide' ? e.state : {};
  try {
    return { ok: true, result: await handleStateFailure(deps, e.job, e.definition, policy, error, e.startedAt) };
  } catch (err) {
    return { ok: false, error: err };
  }
}

async function commitBatch(trx: Transaction<DB>, deps: StepDeps, entries: Entry[]): Promise<Map<number, StepResult>> {
  const locked = new Map(
    (
      await trx
        .selectFrom('items')
        .select(['id', 'status', 'current_state', 'visits', 'attempt', 'context', 'input', 'audit_seq', 'audit_hash'])
        .where(
          'id',
          'in',
          entries.map((e) => e.job.itemId),
        )
        .orderBy('id')
        .forUpdate()
        .execute()
    ).map((i) => [i.id, i]),
  );
  const results = new Map<number, StepResult>();
  const plans: Plan[] = [];
  for (const e of entries) {
    const item = locked.get(e.job.itemId);
    if (!item || !isAtStep(item, e.job)) results.set(e.index, 'stale');
    else plans.push(plan(e, item));
  }
  if (plans.length === 0) return results;

  const runs = plans.flatMap((p) => p.runs);
  const runIds = new Map(
    (
      await trx
        .insertInto('state_runs')
        .values(runs.map((r) => ({ ...r })))
        .onConflict((oc) => oc.columns(['item_id', 'state', 'visit']).doNothing())
        .returning(['id', 'item_id', 'state', 'visit'])
        .execute()
    ).map((r) => [`${r.item_id}:${r.state}:${r.visit}`, r.id]),
  );
  // A run that already existed means another worker committed this transition: let the
  // one-by-one path sort out which items are stale.
  if (runIds.size !== runs.length) throw new Error('state run conflict in batch');

  const withDecision = plans.filter((p) => p.decision);
  const decisionIds = new Map<string, string>();
  if (withDecision.length > 0) {
    const rows = await trx
      .insertInto('decisions')
      .values(
        withDecision.map((p) =>
          decisionRow(
            p.entry.job,
            runIds.get(`${p.item.id}:${p.entry.job.state}:${p.entry.job.visit}`) as string,
            p.decision as DecisionRecord,
          ),
        ),
      )
      .returning(['id', 'item_id'])
      .execute();
    for (const r of rows) decisionIds.set(r.item_id, r.id);
  }
  const withReview = plans.filter((p) => p.review);
  const taskIds = new Map<string, string>();
  if (withReview.length > 0) {
    const now = Date.now();
    const rows = await trx
      .insertInto('review_tasks')
      .values(
        withReview.map((p) => {
          const r = p.review as ReviewRequest;
          return {
            item_id: p.item.id,
            state: p.entry.job.state,
            visit: p.entry.job.visit,
            decision_id: decisionIds.get(p.item.id) ?? null,
            kind: r.kind,
            queue: r.queue,
            status: 'pending' as const,
            labels: JSON.stringify(r.labels),
            reasons: JSON.stringify(r.reasons),
            instructions: r.instructions,
            summary: JSON.stringify(r.summary ?? null),
            due_at: r.dueInMinutes ? new Date(now + r.dueInMinutes * 60_000) : null,
            escalate_to: r.escalateTo ?? 'escalations',
          };
        }),
      )
      .returning(['id', 'item_id'])
      .execute();
    for (const r of rows) taskIds.set(r.item_id, r.id);
  }

  const events = plans.flatMap((p) => {
    const filled = p.events.map(({ fill, ...ev }) => {
      if (fill === 'decision')
        return {
          ...ev,
          data: decisionEventData(p.entry.job, decisionIds.get(p.item.id) as string, p.decision as DecisionRecord),
        };
      if (fill === 'review')
        return {
          ...ev,
          data: { ...ev.data, taskId: taskIds.get(p.item.id), decisionId: decisionIds.get(p.item.id) ?? null },
        };
      return ev;
    });
    const rows = chainEvents(p.item.id, p.item.id, { seq: p.item.audit_seq, hash: p.item.audit_hash }, filled);
    const head = rows.at(-1);
    if (head) Object.assign(p.item, { audit_seq: head.seq, audit_hash: head.hash });
    return rows;
  });
  if (events.length > 0) await trx.insertInto('audit_events').values(events).execute();

  const updates = plans.map((p) => ({
    id: p.item.id,
    ...p.update,
    audit_seq: p.item.audit_seq,
    audit_hash: p.item.audit_hash,
  }));
  await sql`
    UPDATE items AS i SET
      status = v.status, current_state = v.current_state, visits = v.visits, context = v.context,
      attempt = 1, audit_seq = v.audit_seq, audit_hash = v.audit_hash,
      finished_at = v.finished_at, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS v(
      id uuid, status text, current_state text, visits jsonb, context jsonb,
      audit_seq integer, audit_hash text, finished_at timestamptz)
    WHERE i.id = v.id`.execute(trx);

  const next = plans.flatMap((p) => (p.next ? [{ data: p.next }] : []));
  if (next.length > 0) await deps.boss.insert(STEP_QUEUE, next, { db: fromKysely(trx) });
  for (const p of plans) {
    await deps.faults?.('before-commit', p.entry.job);
    results.set(p.entry.index, 'committed');
  }
  return results;
}

/** The writes of one item's transition (and of the choice/final states it runs into), in memory. */
function plan(e: Entry, item: Locked): Plan {
  const { job, definition } = e;
  const outcome = e.outcome as StepOutcome;
  const run = (
    state: string,
    visit: number,
    kind: string,
    output: unknown,
    next: string | null,
    status: 'done' | 'waiting' = 'done',
  ): RunRow => ({
    item_id: item.id,
    state,
    visit,
    kind,
    status,
    output: status === 'waiting' ? null : JSON.stringify(output ?? null),
    next_state: next,
    attempts: job.attempt,
    started_at: e.startedAt,
  });
  const p: Plan = {
    entry: e,
    item,
    runs: [],
    events: [],
    update: {
      status: 'running',
      current_state: job.state,
      visits: item.visits,
      context: item.context,
      finished_at: null,
    },
  };
  if ((outcome.kind === 'advance' || outcome.kind === 'await-review') && outcome.decision) {
    p.decision = outcome.decision;
    p.events.push({ actor: SYSTEM, action: 'decision.made', fill: 'decision' });
  }
  if (outcome.kind === 'advance' && outcome.qa) {
    // A QA sample: the item goes on, and a person reviews the decision alongside.
    p.review = outcome.qa;
    p.events.push({
      actor: SYSTEM,
      action: 'review.requested',
      fill: 'review',
      data: { state: job.state, visit: job.visit, queue: outcome.qa.queue, reasons: outcome.qa.reasons, qa: true },
    });
  }
  if (outcome.kind === 'await-review') {
    p.runs.push(run(job.state, job.visit, e.state.kind, null, null, 'waiting'));
    p.review = outcome.review;
    p.events.push({
      actor: SYSTEM,
      action: 'review.requested',
      fill: 'review',
      data: { state: job.state, visit: job.visit, queue: outcome.review.queue, reasons: outcome.review.reasons },
    });
    p.update.status = 'waiting';
    return p;
  }
  if (outcome.kind === 'finish') {
    p.runs.push(run(job.state, job.visit, 'final', outcome.output, null));
    finish(p, job.state, outcome.status, outcome.output, { ...item.context });
    return p;
  }
  if (outcome.kind !== 'advance') throw new Error(`outcome ${outcome.kind} is not committed in batches`);

  p.runs.push(run(job.state, job.visit, e.state.kind, outcome.output, outcome.next));
  const visits = { ...item.visits };
  const context: Record<string, unknown> = { ...item.context };
  let from = job.state;
  let output: unknown = outcome.output ?? null;
  let next = outcome.next;
  for (let step = 0; ; step++) {
    const limit = definition.states[next] as { maxVisits?: number; onMaxVisits?: string } | undefined;
    if (limit?.maxVisits !== undefined && limit.onMaxVisits && (visits[next] ?? 0) + 1 > limit.maxVisits) {
      p.events.push({
        actor: SYSTEM,
        action: 'state.max_visits_reached',
        data: { state: next, maxVisits: limit.maxVisits, redirectedTo: limit.onMaxVisits },
      });
      next = limit.onMaxVisits;
    }
    const visit = (visits[next] ?? 0) + 1;
    visits[next] = visit;
    context[from] = output;
    p.events.push({ actor: SYSTEM, action: 'state.completed', data: { state: from, output, next, nextVisit: visit } });
    const target = definition.states[next] as StateDefinition<WorkflowContext>;
    const ctx = { ...context, input: item.input } as WorkflowContext;
    let inline: { kind: 'choice'; output: unknown; next: string } | { kind: 'final'; output: unknown } | undefined;
    if (step < INLINE_LIMIT) {
      try {
        if (target.kind === 'choice') {
          const branch = target.branches.find((b) => b.when(ctx));
          const to = branch?.next ?? target.otherwise;
          inline = {
            kind: 'choice',
            output: { branch: branch?.label ?? (branch ? to : 'otherwise'), next: to },
            next: to,
          };
        } else if (target.kind === 'final') {
          inline = { kind: 'final', output: target.output ? target.output(ctx) : null };
        }
      } catch {
        // A predicate or output that throws is left to the state's own job, with its failure policy.
        inline = undefined;
      }
    }
    if (inline?.kind === 'choice') {
      p.runs.push(run(next, visit, 'choice', inline.output, inline.next));
      from = next;
      output = inline.output;
      next = inline.next;
      continue;
    }
    if (inline?.kind === 'final' && target.kind === 'final') {
      p.runs.push(run(next, visit, 'final', inline.output, null));
      p.update.visits = visits;
      finish(p, next, target.status, inline.output, context);
      return p;
    }
    p.update = { status: 'running', current_state: next, visits, context, finished_at: null };
    p.next = { itemId: item.id, state: next, visit };
    return p;
  }
}

function finish(p: Plan, state: string, status: string, output: unknown, context: Record<string, unknown>): void {
  context[state] = output ?? null;
  p.events.push({ actor: SYSTEM, action: 'item.finished', data: { state, status, output: output ?? null } });
  p.update = { ...p.update, status, current_state: state, context, finished_at: new Date().toISOString() };
}
