import { describe, expect, it } from 'vitest';
import { diffPolicies } from './policy-diff';

const decide = (policy: Record<string, unknown>) => ({ kind: 'decide', policy, next: 'done' });
const wf = (states: Record<string, unknown>) => ({ name: 'w', start: 'a', states });
const rule = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  reason: `${name}!`,
  when: 'c=>true',
  ...extra,
});

describe('diffPolicies', () => {
  it('lists nothing when only non-policy parts changed', () => {
    const a = wf({
      a: { ...decide({ autoAcceptAt: 0.8, queue: 'q' }), description: 'one' },
      t: { kind: 'task', run: 'x' },
    });
    const b = wf({
      a: { ...decide({ autoAcceptAt: 0.8, queue: 'q' }), description: 'two' },
      t: { kind: 'task', run: 'y' },
    });
    expect(diffPolicies(a, b)).toEqual([]);
  });

  it('names a changed, removed and reordered risk rule, and a removed field as null', () => {
    const a = wf({
      a: decide({ autoAcceptAt: 0.8, queue: 'q', reviewers: 2, risks: [rule('x'), rule('y'), rule('z')] }),
    });
    const b = wf({ a: decide({ autoAcceptAt: 0.8, queue: 'q', risks: [rule('z'), rule('x', { queue: 'vip' })] }) });
    expect(diffPolicies(a, b)).toEqual([
      { state: 'a', kind: 'review_mode', field: 'reviewers', old: 2, new: null },
      {
        state: 'a',
        kind: 'risk_rule',
        field: 'risks.x',
        old: { reason: 'x!', when: 'c=>true' },
        new: { reason: 'x!', when: 'c=>true', queue: 'vip' },
      },
      { state: 'a', kind: 'risk_rule', field: 'risks.y', old: { reason: 'y!', when: 'c=>true' }, new: null },
      { state: 'a', kind: 'risk_rule', field: 'risks.order', old: ['x', 'z'], new: ['z', 'x'] },
    ]);
  });

  it("diffs a review state's review mode, and a fixed threshold turned into a certified target", () => {
    const a = wf({
      a: decide({ autoAcceptAt: 0.9, queue: 'q' }),
      r: { kind: 'review', queue: 'q', reviewers: 1, labels: ['x'], next: 'done' },
    });
    const b = wf({
      a: decide({ autoAccept: { maxError: 0.02, confidence: 0.95 }, queue: 'q' }),
      r: { kind: 'review', queue: 'q2', reviewers: 2, adjudicationQueue: 'leads', labels: ['x', 'y'], next: 'done' },
    });
    expect(diffPolicies(a, b)).toEqual([
      { state: 'a', kind: 'threshold', field: 'autoAcceptAt', old: 0.9, new: null },
      { state: 'a', kind: 'threshold', field: 'autoAccept', old: null, new: { maxError: 0.02, confidence: 0.95 } },
      { state: 'r', kind: 'review_mode', field: 'queue', old: 'q', new: 'q2' },
      { state: 'r', kind: 'review_mode', field: 'reviewers', old: 1, new: 2 },
      { state: 'r', kind: 'review_mode', field: 'adjudicationQueue', old: null, new: 'leads' },
    ]);
  });

  it('a state that appears, disappears or changes kind is a whole-policy change', () => {
    const a = wf({ a: decide({ autoAcceptAt: 0.9, queue: 'q' }), gone: { kind: 'review', queue: 'g', next: 'x' } });
    const b = wf({ a: { kind: 'review', queue: 'q', next: 'x' }, fresh: decide({ autoAcceptAt: 0.5, queue: 'f' }) });
    expect(diffPolicies(a, b)).toEqual([
      { state: 'a', kind: 'state', field: 'policy', old: { autoAcceptAt: 0.9, queue: 'q' }, new: null },
      { state: 'a', kind: 'state', field: 'policy', old: null, new: { queue: 'q' } },
      { state: 'fresh', kind: 'state', field: 'policy', old: null, new: { autoAcceptAt: 0.5, queue: 'f' } },
      { state: 'gone', kind: 'state', field: 'policy', old: { queue: 'g' }, new: null },
    ]);
  });
});
