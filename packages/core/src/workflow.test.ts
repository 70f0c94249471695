import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalJson } from './canonical-json';
import { isAppError } from './errors';
import {
  defineWorkflow,
  normalizeSource,
  retryDelayMs,
  serializeWorkflow,
  validateWorkflow,
  type WorkflowContext,
} from './workflow';

type Ctx = WorkflowContext<{ text: string }>;

const input = z.object({ text: z.string() });
const spec = () => ({
  name: 'tone-check',
  input,
  start: 'classify',
  states: {
    classify: {
      kind: 'decide' as const,
      agent: { name: 'tone', instructions: 'Classify the tone.' },
      labels: ['friendly', 'rude'],
      text: (c: Ctx) => c.input.text,
      policy: { autoAcceptAt: 0.8, queue: 'tone' },
      next: 'route',
    },
    route: {
      kind: 'choice' as const,
      branches: [{ when: (c: Ctx) => c.classify.label === 'rude', next: 'flag' }],
      otherwise: 'done',
    },
    flag: { kind: 'task' as const, run: () => ({ flagged: true }), next: 'done' },
    done: { kind: 'final' as const, status: 'succeeded' as const },
  },
});

describe('defineWorkflow', () => {
  it('accepts a sound workflow', () => {
    expect(() => defineWorkflow(spec())).not.toThrow();
  });

  it("names each unusable field of an agent's AI settings and what it expects", () => {
    const s = spec();
    const ok = { ...s.states.classify, agent: { ...s.states.classify.agent, ai: { samples: 3, timeoutMs: 5000 } } };
    expect(validateWorkflow({ ...s, states: { ...s.states, classify: ok } })).toEqual([]);
    const bad = {
      ...s.states.classify,
      agent: {
        ...s.states.classify.agent,
        ai: {
          samples: 0,
          maxConcurrency: 1.5,
          confidenceFallback: 'guess',
          whenConfidenceUnavailable: 'self-consistency',
          pricing: { inputPerMillion: -1, outputPerMillion: 2 },
        },
      },
    };
    expect(validateWorkflow({ ...s, states: { ...s.states, classify: bad } } as never)).toEqual([
      'agent "tone": ai.samples must be a whole number from 1 to 20 (got 0)',
      'agent "tone": ai.maxConcurrency must be a whole number from 1 to 1024 (got 1.5)',
      'agent "tone": ai.confidenceFallback must be self-consistency, verbalized or review (got "guess")',
      'agent "tone": ai.whenConfidenceUnavailable must be review or verbalized (got "self-consistency")',
      'agent "tone": ai.pricing.inputPerMillion must be a number >= 0, US dollars per million tokens (got -1)',
    ]);
  });

  it('names every unknown target, bad threshold and unreachable state', () => {
    const s = spec();
    s.states.classify.next = 'nowhere';
    s.states.classify.policy.autoAcceptAt = 1.5;
    const problems = validateWorkflow(s);
    expect(problems).toContain('state "classify" goes to "nowhere", which is not defined');
    expect(problems).toContain('decide state "classify": autoAcceptAt must be within 0..1 (got 1.5)');
    expect(problems.some((p) => p.includes('"route" is unreachable'))).toBe(true);
    try {
      defineWorkflow(s);
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, 'INVALID_WORKFLOW')).toBe(true);
    }
  });

  it('requires a final state and a known start', () => {
    const s = spec();
    const { done: _done, ...rest } = s.states;
    expect(validateWorkflow({ ...s, start: 'missing', states: rest as never })).toEqual(
      expect.arrayContaining(['start state "missing" is not defined', 'at least one final state is required']),
    );
  });

  it('serialises behaviour too: a changed predicate changes the serialisation', () => {
    const a = canonicalJson(serializeWorkflow(defineWorkflow(spec())));
    const changed = spec();
    changed.states.route.branches[0] = { when: (c) => c.classify.label === 'friendly', next: 'flag' };
    expect(canonicalJson(serializeWorkflow(defineWorkflow(changed)))).not.toBe(a);
    expect(canonicalJson(serializeWorkflow(defineWorkflow(spec())))).toBe(a);
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially, is capped, and varies by at most the jitter', () => {
    const p = { maxAttempts: 5, initialDelayMs: 100, backoffFactor: 2, maxDelayMs: 350, jitter: 0.2 };
    expect([1, 2, 3].map((a) => retryDelayMs(p, a, 0.5))).toEqual([100, 200, 350]);
    expect(retryDelayMs(p, 1, 0)).toBe(80);
    expect(retryDelayMs(p, 1, 0.999999)).toBe(120);
  });
});

describe('validateWorkflow (engine features)', () => {
  it('checks loops, parallel branches and waits', () => {
    const base = spec();
    const problems = validateWorkflow({
      ...base,
      states: {
        ...base.states,
        flag: { kind: 'task', run: () => null, next: 'done', maxVisits: 2 },
        fan: { kind: 'parallel', branches: { only: { run: () => 1 } }, next: 'done' },
        pause: { kind: 'wait', timeoutMs: 10, next: 'done' },
      } as never,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'state "flag" has maxVisits but no onMaxVisits',
        'parallel state "fan" needs at least two branches',
        'wait state "pause" needs an event to wait for or a durationMs',
        'wait state "pause" has timeoutMs but no onTimeout',
      ]),
    );
  });
});

describe('normalizeSource', () => {
  it('prints the same code from different compilers the same way', () => {
    const tsx =
      '(ctx,m)=>{if(ctx.input.poison)throw new Error(`card ${ctx.input.order}`);return effect("charge",m.idempotencyKey)}';
    const oxc =
      '(ctx, m) => {\n\t\tif (ctx.input.poison) throw new Error(`card ${ctx.input.order}`);\n\t\treturn effect("charge", m.idempotencyKey);\n\t}';
    expect(normalizeSource(oxc)).toBe(normalizeSource(tsx));
    expect(normalizeSource('(ctx) => ctx.charge')).toBe(normalizeSource('ctx=>ctx.charge'));
    expect(normalizeSource("(c) => c.x === 'a b'")).toBe(normalizeSource('c=>c.x==="a b"'));
    expect(normalizeSource('() => `a\nb`')).toBe(normalizeSource('()=>`a\\nb`'));
    expect(normalizeSource('(ctx) => (0, __vite_ssr_import_2__.crmRecordFor)(ctx.input)')).toBe(
      normalizeSource('ctx=>crmRecordFor(ctx.input)'),
    );
  });

  it('keeps differences that change behaviour', () => {
    expect(normalizeSource('(c) => c.amount > 200')).not.toBe(normalizeSource('(c) => c.amount > 500'));
    expect(normalizeSource('(c) => "a  b"')).not.toBe(normalizeSource('(c) => "a b"'));
    expect(normalizeSource('(a, b) => a')).not.toBe(normalizeSource('(a) => a'));
  });
});

describe('multi-reviewer policy fields', () => {
  const withReviewers = (policy: Record<string, unknown>, review: Record<string, unknown> = {}) => {
    const s = spec();
    return {
      ...s,
      states: {
        ...s.states,
        classify: { ...s.states.classify, policy: { ...s.states.classify.policy, ...policy }, next: 'check' },
        check: {
          kind: 'review' as const,
          queue: 'tone',
          labels: ['ok', 'not ok'],
          instructions: 'Check it.',
          next: 'route',
          ...review,
        },
      },
    };
  };

  it('accepts 1 to 5 reviewers on the policy, a risk rule and a review state, and an adjudication queue', () => {
    const rule = { name: 'rude', reason: 'Rude', when: () => true, reviewers: 5 };
    expect(
      validateWorkflow(withReviewers({ reviewers: 2, adjudicationQueue: 'leads', risks: [rule] }, { reviewers: 1 })),
    ).toEqual([]);
  });

  it('names the field, the state and the range for a bad count or queue', () => {
    const rule = { name: 'rude', reason: 'Rude', when: () => true, reviewers: 6 };
    expect(
      validateWorkflow(
        withReviewers({ reviewers: 0, adjudicationQueue: '', risks: [rule] }, { reviewers: 1.5, adjudicationQueue: 7 }),
      ),
    ).toEqual([
      'decide state "classify": reviewers must be a whole number from 1 to 5, the independent verdicts needed (got 0)',
      'decide state "classify": adjudicationQueue must be a queue name (got "")',
      'decide state "classify": risk rule "rude": reviewers must be a whole number from 1 to 5, the independent verdicts needed (got 6)',
      'review state "check": reviewers must be a whole number from 1 to 5, the independent verdicts needed (got 1.5)',
      'review state "check": adjudicationQueue must be a queue name (got 7)',
    ]);
    expect(() => defineWorkflow(withReviewers({ reviewers: 2.5 }))).toThrow(
      /reviewers must be a whole number from 1 to 5/,
    );
  });

  it('is part of the serialisation, so asking for four-eyes is a new version', () => {
    const json = (policy: Record<string, unknown>, review: Record<string, unknown> = {}) =>
      canonicalJson(serializeWorkflow(defineWorkflow(withReviewers(policy, review))));
    const base = json({});
    expect(json({ reviewers: 2 })).not.toBe(base);
    expect(json({ adjudicationQueue: 'leads' })).not.toBe(base);
    expect(json({}, { reviewers: 2 })).not.toBe(base);
    expect(json({}, { adjudicationQueue: 'leads' })).not.toBe(base);
    const rule = (reviewers?: number) => ({ name: 'r', reason: 'R', when: () => true, reviewers });
    expect(json({ risks: [rule(2)] })).not.toBe(json({ risks: [rule()] }));
    expect(json({})).toBe(base);
  });
});
