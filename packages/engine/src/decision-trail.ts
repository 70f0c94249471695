// The decision trail of one item: what an auditor needs to say what happened to it, read from the
// tables that hold the payloads (items, state_runs, decisions, reviews, labels), never from audit
// event data, which keeps digests once payloads are purged (the events' envelope is read: action,
// actor, time, hash). Six statements in one read-only snapshot, plus the recomputation of the
// item's hash chain and its checkpoint coverage in that same snapshot.
import { AppError, type DecisionTrail, decisionTrail, type TrailToolCall, type TrailVerdict } from '@signoff/core';
import type { DB } from '@signoff/db';
import { itemCoverage, verifyAuditStream } from '@signoff/governance';
import { type Kysely, sql, type Transaction } from 'kysely';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);
const span = (from: Date | null, to: Date | null) => (from && to ? Math.max(0, to.getTime() - from.getTime()) : null);

/**
 * Everything recorded about an item's decisions: workflow and version, each state run, each AI
 * decision (model and version, prompt version, raw and calibrated confidence with its calibrator,
 * score, policy version and certificate in force, threshold, route and reasons, checker, tool
 * calls, tokens and cost), each human verdict (who, when, outcome, reason, time from claim to
 * verdict), timings, the verification of the item's audit chain and whether a signed checkpoint
 * covers its head. Throws `NOT_FOUND` for an
 * unknown item. The answer is validated against `decisionTrail`.
 *
 * @example
 * const trail = await getDecisionTrail(db, itemId);
 * console.log(trail.verdicts[0]?.reviewer.email, trail.timings.totalMs);
 */
export async function getDecisionTrail(
  db: Kysely<DB>,
  itemId: string,
  options: { now?: Date } = {},
): Promise<DecisionTrail> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => readTrail(trx, itemId, options.now ?? new Date()));
}

async function readTrail(trx: Transaction<DB>, itemId: string, now: Date): Promise<DecisionTrail> {
  const item = await trx
    .selectFrom('items as i')
    .innerJoin('workflow_versions as v', 'v.id', 'i.workflow_version_id')
    .select([
      'i.id',
      'i.workflow_name',
      'v.version',
      'v.hash',
      'i.status',
      'i.current_state',
      'i.input',
      'i.error',
      'i.created_at',
      'i.finished_at',
    ])
    .where('i.id', '=', itemId)
    .executeTakeFirst();
  if (!item) throw new AppError('NOT_FOUND', `No item ${itemId}`);
  const runs = await trx
    .selectFrom('state_runs')
    .select(['state', 'visit', 'kind', 'status', 'attempts', 'next_state', 'started_at', 'finished_at', 'output'])
    .where('item_id', '=', itemId)
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  const decisions = await readDecisions(trx, itemId);
  const verdicts = await readVerdicts(trx, itemId);
  const tasks = await trx
    .selectFrom('review_tasks')
    .select(['created_at', 'completed_at'])
    .where('item_id', '=', itemId)
    .execute();
  const events = await trx
    .selectFrom('audit_events as e')
    .leftJoin('users as u', (j) =>
      j.on('e.actor_type', '=', 'user').onRef('u.id', '=', (eb) => eb.cast('e.actor_id', 'uuid')),
    )
    .leftJoin('api_keys as k', (j) =>
      j.on('e.actor_type', '=', 'api_key').on(sql`k.id::text`, '=', sql.ref('e.actor_id')),
    )
    .select(['e.seq', 'e.created_at', 'e.action', 'e.actor_type', 'e.actor_id', 'u.email', 'k.name', 'e.hash'])
    .where('e.stream', '=', itemId)
    .orderBy('e.seq')
    .execute();
  const verification = await verifyAuditStream(trx, itemId);
  const coverage = await itemCoverage(trx, itemId);

  const end = item.finished_at ?? now;
  const firstDecision = decisions[0]?.created_at ?? null;
  const trail: DecisionTrail = {
    item: {
      id: item.id,
      workflow: { name: item.workflow_name, version: item.version, hash: item.hash },
      status: item.status,
      currentState: item.current_state,
      input: item.input,
      error: item.error ?? null,
      createdAt: iso(item.created_at),
      finishedAt: isoOrNull(item.finished_at),
    },
    events: events.map((e) => ({
      seq: e.seq,
      at: iso(e.created_at),
      action: e.action,
      actor: { type: e.actor_type, id: e.actor_id, name: e.email ?? e.name ?? null },
      hash: e.hash,
    })),
    stateRuns: runs.map((r) => {
      // A waiting run's finished_at is the row's default (its start): it has not finished.
      const finished = r.status === 'done' ? r.finished_at : null;
      return {
        state: r.state,
        visit: r.visit,
        kind: r.kind,
        status: r.status,
        attempts: r.attempts,
        nextState: r.next_state,
        startedAt: iso(r.started_at),
        finishedAt: isoOrNull(finished),
        durationMs: span(r.started_at, finished),
        output: r.output ?? null,
      };
    }),
    decisions: decisions.map(decisionOf),
    verdicts: verdicts.map(verdictOf),
    timings: {
      timeToFirstDecisionMs: span(item.created_at, firstDecision),
      waitingForReviewMs: unionMs(tasks.map((t) => [t.created_at, t.completed_at ?? now])),
      totalMs: span(item.created_at, end) ?? 0,
      finished: item.finished_at !== null,
    },
    verification: {
      ok: verification.ok,
      checked: verification.checked,
      head: verification.head,
      broken: verification.broken ?? null,
    },
    coverage: { covered: coverage.covered, checkpoint: coverage.checkpoint },
    generatedAt: iso(now),
  };
  return decisionTrail.parse(trail);
}

function readDecisions(trx: Transaction<DB>, itemId: string) {
  return trx
    .selectFrom('decisions as d')
    .leftJoin('state_runs as r', 'r.id', 'd.state_run_id')
    .leftJoin('calibrators as c', 'c.id', 'd.calibrator_id')
    .leftJoin('policy_versions as p', 'p.id', 'd.policy_version_id')
    .leftJoin('certificates as k', 'k.id', 'd.certificate_id')
    .select([
      'd.id',
      'd.state',
      'r.visit',
      'd.created_at',
      'd.agent',
      'd.provider',
      'd.model',
      'd.model_version',
      'd.prompt_version',
      'd.input_hash',
      'd.label',
      'd.output',
      'd.confidence',
      'd.confidence_method',
      'd.confidence_note',
      'd.calibrated_confidence',
      'd.calibrator_id',
      'c.method as calibrator_method',
      'c.label_count as calibrator_labels',
      'c.created_at as calibrator_created_at',
      'd.score',
      'd.threshold',
      'd.audit_probability',
      'd.policy_version_id',
      'p.version as policy_version',
      'p.status as policy_status',
      'p.max_error as policy_max_error',
      'p.confidence as policy_confidence',
      'p.audit_rate as policy_audit_rate',
      'p.reason as policy_reason',
      'p.created_at as policy_created_at',
      'd.certificate_id',
      'k.threshold as certificate_threshold',
      'k.max_error as certificate_max_error',
      'k.confidence as certificate_confidence',
      'k.labels_used as certificate_labels_used',
      'k.upper_bound as certificate_upper_bound',
      'k.created_at as certificate_created_at',
      'd.route',
      'd.reasons',
      'd.output_mode',
      'd.tokens_in',
      'd.tokens_out',
      'd.cost_usd',
      'd.latency_ms',
    ])
    .where('d.item_id', '=', itemId)
    .orderBy('d.created_at')
    .orderBy('d.id')
    .execute();
}

type DecisionRow = Awaited<ReturnType<typeof readDecisions>>[number];

function decisionOf(d: DecisionRow): DecisionTrail['decisions'][number] {
  const output = d.output ?? {};
  const checker = output.checker as DecisionTrail['decisions'][number]['checker'] | undefined;
  return {
    id: d.id,
    state: d.state,
    visit: d.visit,
    at: iso(d.created_at),
    agent: d.agent,
    provider: d.provider,
    model: d.model,
    modelVersion: d.model_version,
    promptVersion: d.prompt_version,
    inputHash: d.input_hash,
    label: d.label,
    rationale: typeof output.rationale === 'string' ? output.rationale : null,
    confidence: {
      raw: d.confidence,
      method: d.confidence_method,
      note: d.confidence_note,
      calibrated: d.calibrated_confidence,
      calibrator:
        d.calibrator_id && d.calibrator_method && d.calibrator_created_at
          ? {
              id: d.calibrator_id,
              method: d.calibrator_method,
              labelCount: d.calibrator_labels ?? 0,
              createdAt: iso(d.calibrator_created_at),
            }
          : null,
    },
    score: d.score,
    threshold: d.threshold,
    auditProbability: d.audit_probability,
    policy:
      d.policy_version_id && d.policy_version !== null && d.policy_created_at
        ? {
            id: d.policy_version_id,
            version: d.policy_version,
            status: d.policy_status ?? 'unknown',
            maxError: d.policy_max_error ?? 0,
            confidence: d.policy_confidence ?? 0,
            auditRate: d.policy_audit_rate ?? 0,
            reason: d.policy_reason ?? '',
            since: iso(d.policy_created_at),
          }
        : null,
    certificate:
      d.certificate_id && d.certificate_threshold !== null && d.certificate_created_at
        ? {
            id: d.certificate_id,
            threshold: d.certificate_threshold,
            maxError: d.certificate_max_error ?? 0,
            confidence: d.certificate_confidence ?? 0,
            labelsUsed: d.certificate_labels_used ?? 0,
            upperBound: d.certificate_upper_bound ?? 0,
            createdAt: iso(d.certificate_created_at),
          }
        : null,
    route: d.route,
    reasons: d.reasons,
    checker: checker ?? null,
    toolCalls: toolCallsOf(output.toolCalls),
    outputMode: d.output_mode,
    usage: { tokensIn: d.tokens_in, tokensOut: d.tokens_out, costUsd: d.cost_usd, latencyMs: d.latency_ms },
  };
}

/** The tool calls engine-tools keeps in the decision's output (`ToolCallRecord`s). */
function toolCallsOf(calls: unknown): TrailToolCall[] {
  if (!Array.isArray(calls)) return [];
  return calls.map((c: Record<string, unknown>) => ({
    name: String(c.name),
    arguments: c.arguments ?? null,
    ok: c.ok === true,
    result: c.result ?? null,
    error: typeof c.error === 'string' ? c.error : null,
    latencyMs: typeof c.latencyMs === 'number' ? c.latencyMs : null,
  }));
}

/**
 * Every verdict: the reviews of the item's tasks (with the claim they answer and the label they
 * made), and the labels settled by `labels.adjudicate` without a task.
 */
function readVerdicts(trx: Transaction<DB>, itemId: string) {
  return sql<{
    review_id: string | null;
    task_id: string | null;
    kind: string;
    state: string;
    visit: number | null;
    slot: number | null;
    reviewers_required: number | null;
    queue: string | null;
    decision_id: string | null;
    reviewer_id: string;
    email: string;
    name: string;
    at: Date;
    verdict: string;
    label: string;
    ai_label: string | null;
    reason: string | null;
    task_created_at: Date | null;
    claimed_at: Date | null;
    final: boolean | null;
  }>`
    SELECT r.id AS review_id, t.id AS task_id, t.kind, t.state, t.visit, t.slot, t.reviewers_required,
           t.queue, t.decision_id, u.id AS reviewer_id, u.email, u.name, r.created_at AS at, r.verdict,
           r.label, d.label AS ai_label, r.reason, t.created_at AS task_created_at, t.claimed_at, l.final
      FROM reviews r
      JOIN review_tasks t ON t.id = r.task_id
      JOIN users u ON u.id = r.reviewer_id
      LEFT JOIN decisions d ON d.id = t.decision_id
      LEFT JOIN labels l ON l.review_id = r.id
     WHERE t.item_id = ${itemId}
    UNION ALL
    SELECT NULL, NULL, 'label-adjudication', l.state, NULL, NULL, NULL, NULL, l.decision_id, u.id, u.email,
           u.name, l.created_at, 'adjudicate', l.human_label, l.ai_label, l.reason, NULL, NULL, l.final
      FROM labels l
      JOIN users u ON u.id = l.reviewer_id
     WHERE l.item_id = ${itemId} AND l.review_id IS NULL
     ORDER BY at, review_id`
    .execute(trx)
    .then((r) => r.rows);
}

type VerdictRow = Awaited<ReturnType<typeof readVerdicts>>[number];

function verdictOf(v: VerdictRow): TrailVerdict {
  const outcome: TrailVerdict['outcome'] =
    v.ai_label === null ? 'answered' : v.ai_label === v.label ? 'agreed' : 'corrected';
  return {
    reviewId: v.review_id,
    taskId: v.task_id,
    kind: v.kind as TrailVerdict['kind'],
    state: v.state,
    visit: v.visit,
    slot: v.slot,
    reviewersRequired: v.reviewers_required,
    queue: v.queue,
    decisionId: v.decision_id,
    reviewer: { id: v.reviewer_id, email: v.email, name: v.name },
    at: iso(v.at),
    verdict: v.verdict,
    label: v.label,
    aiLabel: v.ai_label,
    outcome,
    reason: v.reason,
    taskCreatedAt: isoOrNull(v.task_created_at),
    claimedAt: isoOrNull(v.claimed_at),
    waitedMs: span(v.task_created_at, v.claimed_at),
    timeTakenMs: span(v.claimed_at, v.at),
    final: v.final,
  };
}

/** The length of the union of intervals, so four-eyes tasks open at once are not counted twice. */
export function unionMs(intervals: [Date, Date][]): number {
  const sorted = intervals.map(([a, b]) => [a.getTime(), b.getTime()] as const).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let start = Number.NaN;
  let end = Number.NaN;
  for (const [a, b] of sorted) {
    if (Number.isNaN(start) || a > end) {
      if (!Number.isNaN(start)) total += end - start;
      start = a;
      end = b;
    } else end = Math.max(end, b);
  }
  return Number.isNaN(start) ? total : total + (end - start);
}
