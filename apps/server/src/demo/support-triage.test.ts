import {
  type ChoiceState,
  type DecisionOutput,
  reviewersRequired,
  routeDecision,
  validateWorkflow,
  type WorkflowSpec,
} from '@signoff/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { DEMO_USERS } from '../seed';
import { crmRecordFor } from './support-crm';
import { handoffFor } from './support-handoff';
import { generateLabelledSupportItems, generateSupportItems } from './support-items';
import { pickArticle } from './support-knowledge-base';
import { supportSeedExamples } from './support-seed-examples';
import {
  isEnglish,
  SUPPORT_CHANNELS,
  SUPPORT_LABELS,
  SUPPORT_TIERS,
  type SupportContext,
  type SupportTriageInput,
  supportTriage,
  supportTriageInput,
} from './support-triage';

const baseInput: SupportTriageInput = {
  ticketId: 'SUP-1',
  channel: 'email',
  language: 'en',
  subject: 'Question',
  body: 'Hello, I have a question.',
  customer: { id: 'cus_1', name: 'Ada Park', email: 'ada@example.com', tier: 'free', lifetimeValue: 0 },
};

function ctxFor(patch: {
  input?: Partial<SupportTriageInput>;
  tier?: SupportTriageInput['customer']['tier'];
  label?: string;
}): SupportContext {
  const input = { ...baseInput, ...patch.input, customer: { ...baseInput.customer, tier: patch.tier ?? 'free' } };
  const classify: DecisionOutput = { label: patch.label ?? 'billing', confidence: 0.9, decidedBy: 'ai' };
  return { input, classify, lookupCustomer: crmRecordFor(input) };
}

function decideState() {
  const state = supportTriage.states.classify;
  if (state?.kind !== 'decide') throw new Error('classify is not a decide state');
  return state;
}

function rule(name: string) {
  const found = decideState().policy.risks?.find((r) => r.name === name);
  if (!found) throw new Error(`no risk rule ${name}`);
  return found;
}

function choose(stateName: string, ctx: SupportContext): string {
  const state = supportTriage.states[stateName] as ChoiceState<SupportContext>;
  return state.branches.find((b) => b.when(ctx))?.next ?? state.otherwise;
}

describe('supportTriage workflow', () => {
  it('is structurally valid and uses the agreed labels and policy', () => {
    // validateWorkflow takes WorkflowSpec<ZodType>, whose state functions accept an `unknown` input:
    // a concrete workflow is not assignable to that under strictFunctionTypes, hence the cast.
    expect(validateWorkflow(supportTriage as unknown as WorkflowSpec<z.ZodType>)).toEqual([]);
    expect(supportTriage.name).toBe('support-triage');
    const classify = decideState();
    expect(classify.labels).toEqual(['billing', 'bug', 'account', 'how_to', 'complaint']);
    expect(classify.policy).toMatchObject({ autoAcceptAt: 0.75, queue: 'support', dueInMinutes: 240 });
    expect(classify.text({ input: { ...baseInput, subject: 'S', body: 'B' } })).toBe('S\n\nB');
  });

  it('sends refunds above 200 USD to the refunds queue', () => {
    const r = rule('refund-above-limit');
    expect(r.queue).toBe('refunds');
    const answer = { label: 'billing', confidence: 0.99 };
    expect(r.when(ctxFor({ input: { refundAmount: 200.01 } }), answer)).toBe(true);
    expect(r.when(ctxFor({ input: { refundAmount: 200 } }), answer)).toBe(false);
    expect(r.when(ctxFor({ input: { refundAmount: 49 } }), answer)).toBe(false);
    expect(r.when(ctxFor({}), answer)).toBe(false);
  });

  it('asks two reviewers for refunds above 1,000 USD (four-eyes), and one below', () => {
    const r = rule('refund-four-eyes');
    expect(r).toMatchObject({ queue: 'refunds', reviewers: 2 });
    const answer = { label: 'billing', confidence: 0.99 };
    expect(r.when(ctxFor({ input: { refundAmount: 1000.01 } }), answer)).toBe(true);
    expect(r.when(ctxFor({ input: { refundAmount: 1000 } }), answer)).toBe(false);
    const policy = decideState().policy;
    const needed = (refundAmount: number) =>
      reviewersRequired(policy, routeDecision(policy, ctxFor({ input: { refundAmount } }), answer).reasons);
    expect(needed(2400)).toBe(2);
    expect(needed(450)).toBe(1);
    // Both demo reviewers work the refunds queue, so a four-eyes refund can be done in the demo.
    expect(DEMO_USERS.filter((u) => u.role === 'reviewer' && u.queues?.includes('refunds'))).toHaveLength(2);
  });

  it('sends complaints from enterprise customers to the priority queue', () => {
    const r = rule('enterprise-complaint');
    expect(r.queue).toBe('priority');
    const complaint = { label: 'complaint', confidence: 0.95 };
    expect(r.when(ctxFor({ tier: 'enterprise' }), complaint)).toBe(true);
    expect(r.when(ctxFor({ tier: 'pro' }), complaint)).toBe(false);
    expect(r.when(ctxFor({ tier: 'enterprise' }), { label: 'bug', confidence: 0.95 })).toBe(false);
  });

  it('has non-English inquiries checked', () => {
    const r = rule('non-english');
    expect(r).toMatchObject({ queue: 'support', reason: 'Non-English inquiry: check the classification' });
    const answer = { label: 'bug', confidence: 0.9 };
    for (const language of ['de', 'es-MX', 'fr']) expect(r.when(ctxFor({ input: { language } }), answer)).toBe(true);
    for (const language of ['en', 'en-GB', 'EN-us'])
      expect(r.when(ctxFor({ input: { language } }), answer)).toBe(false);
  });

  it('routes how-to to the auto-answer, complaints and enterprise to a lead, the rest to a team', () => {
    expect(choose('route', ctxFor({ label: 'how_to', tier: 'free' }))).toBe('autoAnswer');
    expect(choose('route', ctxFor({ label: 'how_to', tier: 'pro' }))).toBe('autoAnswer');
    expect(choose('route', ctxFor({ label: 'how_to', tier: 'enterprise' }))).toBe('escalationReview');
    expect(choose('route', ctxFor({ label: 'complaint', tier: 'free' }))).toBe('escalationReview');
    expect(choose('route', ctxFor({ label: 'bug', tier: 'enterprise' }))).toBe('escalationReview');
    for (const label of ['billing', 'bug', 'account'])
      expect(choose('route', ctxFor({ label, tier: 'pro' }))).toBe('handoff');
  });

  it('follows the support lead: a manager only when asked for', () => {
    const lead = (label: string) => ({
      ...ctxFor({ tier: 'enterprise' }),
      escalationReview: { label, decidedBy: 'human' },
    });
    expect(choose('followUp', lead('needs_manager'))).toBe('escalated');
    expect(choose('followUp', lead('resolved'))).toBe('resolved');
    expect(choose('followUp', lead('refund_approved'))).toBe('resolved');
  });

  it('runs its tasks without I/O and deterministically', async () => {
    const meta = { itemId: 'item-1', idempotencyKey: 'k-1', attempt: 1, signal: new AbortController().signal };
    const lookup = supportTriage.states.lookupCustomer;
    const answer = supportTriage.states.autoAnswer;
    if (lookup?.kind !== 'task' || answer?.kind !== 'task') throw new Error('expected tasks');
    const ctx = ctxFor({ input: { subject: 'Export to Excel?', body: 'How do I export a CSV of all projects?' } });
    expect(await lookup.run(ctx, meta)).toEqual(await lookup.run(ctx, meta));
    expect(await lookup.run(ctx, meta)).toMatchObject({ tier: 'free', sla: 72 });
    expect(await answer.run(ctx, meta)).toMatchObject({
      articleId: 'kb-export-data',
      replySubject: 'Re: Export to Excel?',
    });
    expect(pickArticle('Nothing matches here').id).toBe('kb-getting-started');
    expect(handoffFor('bug', 'pro', 'Production is down, urgent')).toEqual({ team: 'engineering', priority: 'high' });
    expect(handoffFor('account', 'free', 'Cannot change my email')).toEqual({ team: 'accounts', priority: 'low' });
    expect(handoffFor('billing', 'enterprise', 'Invoice question')).toEqual({ team: 'billing', priority: 'normal' });
  });
});

describe('generateSupportItems', () => {
  const items = generateSupportItems(300);
  const labelled = generateLabelledSupportItems(300);

  it('produces inputs that all parse, with the agreed idempotency keys', () => {
    for (const item of items) expect(supportTriageInput.safeParse(item.input).error).toBeUndefined();
    expect(items.map((i) => i.idempotencyKey)).toEqual(items.map((_, n) => `demo-42-${n}`));
    expect(new Set(items.map((i) => i.input.ticketId)).size).toBe(300);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generateSupportItems(300)).toEqual(items);
    expect(generateSupportItems(40)).toEqual(items.slice(0, 40));
    expect(generateSupportItems(40, 7).map((i) => i.input.body)).not.toEqual(
      items.slice(0, 40).map((i) => i.input.body),
    );
  });

  it('covers every category, tier and channel in realistic proportions', () => {
    for (const label of SUPPORT_LABELS) expect(labelled.filter((i) => i.label === label).length).toBeGreaterThan(20);
    for (const channel of SUPPORT_CHANNELS) expect(items.some((i) => i.input.channel === channel)).toBe(true);
    const share = (tier: string) => items.filter((i) => i.input.customer.tier === tier).length / items.length;
    for (const tier of SUPPORT_TIERS) expect(share(tier)).toBeGreaterThan(0);
    expect(share('free')).toBeGreaterThan(0.45);
    expect(share('enterprise')).toBeLessThan(0.2);
    expect(labelled.some((i) => i.mixedWith !== undefined)).toBe(true);
  });

  it('includes refunds above 200 USD and non-English tickets', () => {
    const refunds = items.flatMap((i) => (i.input.refundAmount === undefined ? [] : [i.input.refundAmount]));
    expect(refunds.some((r) => r > 200)).toBe(true);
    expect(refunds.some((r) => r <= 200)).toBe(true);
    const foreign = items.filter((i) => !isEnglish(i.input.language)).length;
    expect(foreign).toBeGreaterThan(5);
    expect(foreign).toBeLessThan(60);
  });
});

describe('supportSeedExamples', () => {
  it('covers every label at least 25 times with no duplicate texts', () => {
    for (const label of SUPPORT_LABELS)
      expect(supportSeedExamples.filter((e) => e.label === label).length).toBeGreaterThanOrEqual(25);
    expect(supportSeedExamples.every((e) => (SUPPORT_LABELS as readonly string[]).includes(e.label))).toBe(true);
    expect(new Set(supportSeedExamples.map((e) => e.text.toLowerCase())).size).toBe(supportSeedExamples.length);
  });
});
