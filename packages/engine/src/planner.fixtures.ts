// Shared by the planner's unit tests: workflows, an item snapshot, a reproducible environment.
import { defineWorkflow } from '@signoff/core';
import type { ReviewTask } from '@signoff/db';
import { GENESIS_HASH } from '@signoff/governance';
import { z } from 'zod';
import type { DecisionRecord, DecisionRow, ItemSnapshot, PlanEnv } from './plan-types';

export const NOW = new Date('2026-12-01T12:00:00.000Z');
export const ITEM = '00000000-0000-4000-8000-000000000001';
export const USER = '00000000-0000-4000-8000-0000000000aa';

/** Ids `id-1`, `id-2`, ... in the order the planner asks for them; jitter at its midpoint (no change). */
export function testEnv(): PlanEnv {
  let n = 0;
  return { now: NOW, newId: () => `id-${++n}`, random: () => 0.5 };
}

export function snapshot(over: Partial<ItemSnapshot> = {}): ItemSnapshot {
  return {
    id: ITEM,
    workflow_name: 'refunds',
    workflow_version_id: 'version-1',
    status: 'running',
    current_state: 'charge',
    visits: { charge: 1 },
    attempt: 1,
    context: {},
    input: { amount: 40, vip: false },
    audit_seq: 3,
    audit_hash: 'h'.repeat(64),
    updated_at: NOW,
    ...over,
  };
}

export const GENESIS = GENESIS_HASH;

/**
 * charge (task) -> check (choice: amount > 100 -> big) -> small/big (final);
 * classify (decide) -> settle (task) -> done; approve (review) -> done;
 * retryLoop (task, maxVisits 2 -> giveUp); awaitPayment (wait for an event, 1 h, onTimeout cancelled);
 * cooldown (timer); checks (parallel: a, b; onError declined).
 */
export const refunds = defineWorkflow({
  name: 'refunds',
  input: z.object({ amount: z.number(), vip: z.boolean() }),
  start: 'entry',
  states: {
    // Every state is reachable from here; the tests put the item wherever they need it.
    entry: {
      kind: 'choice',
      branches: ['classify', 'approve', 'retryLoop', 'plain', 'awaitPayment', 'cooldown', 'checks'].map((next) => ({
        when: () => false,
        next,
      })),
      otherwise: 'charge',
    },
    charge: {
      kind: 'task',
      run: () => ({ ok: true }),
      next: 'check',
      retry: { maxAttempts: 3, initialDelayMs: 1000, backoffFactor: 2, jitter: 0.2 },
      onError: 'declined',
    },
    check: {
      kind: 'choice',
      branches: [{ when: (ctx) => ctx.input.amount > 100, next: 'big', label: 'large refund' }],
      otherwise: 'small',
    },
    big: { kind: 'final', status: 'succeeded', output: (ctx) => ({ total: ctx.input.amount }) },
    small: { kind: 'final', status: 'rejected' },
    classify: {
      kind: 'decide',
      agent: { name: 'refund-classifier', instructions: 'Classify.' },
      labels: ['refund', 'deny'],
      text: (ctx) => String(ctx.input.amount),
      policy: { autoAcceptAt: 0.9, queue: 'refunds', dueInMinutes: 30 },
      next: 'settle',
    },
    settle: { kind: 'task', run: () => null, next: 'small' },
    approve: { kind: 'review', queue: 'approvals', labels: ['yes', 'no'], instructions: 'Approve?', next: 'small' },
    retryLoop: { kind: 'task', run: () => null, next: 'retryLoop', maxVisits: 2, onMaxVisits: 'giveUp' },
    giveUp: { kind: 'task', run: () => null, next: 'small' },
    plain: { kind: 'task', run: () => null, next: 'settle' },
    awaitPayment: {
      kind: 'wait',
      event: { name: 'payment.confirmed', key: (ctx) => `order-${ctx.input.amount}` },
      timeoutMs: 3_600_000,
      onTimeout: 'cancelled',
      next: 'settle',
    },
    cooldown: { kind: 'wait', durationMs: 60_000, next: 'settle' },
    cancelled: { kind: 'final', status: 'rejected' },
    checks: {
      kind: 'parallel',
      branches: { a: { run: () => 1, retry: { maxAttempts: 2, initialDelayMs: 500, jitter: 0 } }, b: { run: () => 2 } },
      next: 'settle',
      onError: 'declined',
    },
    declined: { kind: 'final', status: 'rejected' },
  },
});

/** A decision as `decide` records it: `confidence` raw, `calibrated` what routing saw. */
export function decision(label: string, confidence: number, route: DecisionRecord['route']): DecisionRecord {
  return {
    agent: 'refund-classifier',
    provider: 'local',
    inputText: '40',
    inputHash: 'in-hash',
    route,
    reasons:
      route === 'review'
        ? [{ code: 'low_confidence', message: 'Confidence 60.0% is below the auto-accept threshold 90.0%' }]
        : [],
    calibratedConfidence: confidence,
    calibratorId: null,
    score: Math.log(confidence / (1 - confidence)),
    auditProbability: route === 'review' ? 1 : 0.05,
    threshold: 0.9,
    result: {
      label,
      confidence,
      provider: 'local',
      model: 'naive-bayes',
      modelVersion: 'v3',
      promptVersion: 'p1',
      inputHash: 'in-hash',
      confidenceMethod: 'posterior',
      latencyMs: 1,
    } as DecisionRecord['result'],
  };
}

export function task(over: Partial<ReviewTask> = {}): ReviewTask {
  return {
    id: 'task-1',
    item_id: ITEM,
    state: 'approve',
    visit: 1,
    decision_id: null,
    queue: 'approvals',
    status: 'claimed',
    assignee_id: USER,
    lease_expires_at: new Date(NOW.getTime() + 60_000),
    labels: ['yes', 'no'],
    reasons: [],
    instructions: 'Approve?',
    summary: null,
    kind: 'review',
    escalate_to: 'escalations',
    escalated_at: null,
    priority: 0,
    due_at: null,
    created_at: NOW,
    claimed_at: NOW,
    completed_at: null,
    slot: 1,
    reviewers_required: 1,
    ...over,
  } as ReviewTask;
}

/** A decision row as verdicts see it: the AI answered "refund". */
export const aiDecision = {
  id: 'decision-1',
  label: 'refund',
  agent: 'refund-classifier',
  model: 'naive-bayes',
  model_version: 'v3',
  prompt_version: 'p1',
  input_text: '40',
  confidence: 0.62,
  calibrated_confidence: 0.55,
} as DecisionRow;
