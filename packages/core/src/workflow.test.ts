import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAppError } from './errors';
import { canonicalJson, defineWorkflow, serializeWorkflow, validateWorkflow, type WorkflowContext } from './workflow';

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
