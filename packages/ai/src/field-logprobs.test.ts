import type { FieldSpec } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { fieldConfidenceFromLogprobs } from './field-logprobs';
import { jsonValueSpans } from './json-value-spans';
import { type TokenLogprob, tokenSpans } from './label-confidence';

/** Tokens with their probabilities; alternatives `[token, probability]` listed with each. */
const tokens = (parts: [string, number, [string, number][]?][]): TokenLogprob[] =>
  parts.map(([token, p, alts = [['?', 1e-9]]]) => ({
    token,
    bytes: null,
    logprob: Math.log(p),
    top_logprobs: [[token, p] as [string, number], ...alts].map(([t, q]) => ({
      token: t,
      bytes: null,
      logprob: Math.log(q),
    })),
  }));

const measure = (parts: [string, number, [string, number][]?][], path: string, field: Partial<FieldSpec> = {}) => {
  const list = tokens(parts);
  const content = list.map((t) => t.token).join('');
  const spans = tokenSpans(content, list);
  const at = jsonValueSpans(content)?.get(path);
  if (!spans || !at) throw new Error('test tokens do not spell JSON');
  return fieldConfidenceFromLogprobs(content, spans, at, {
    path,
    name: path,
    type: 'string',
    optional: false,
    ...field,
  });
};

describe('fieldConfidenceFromLogprobs', () => {
  it("is the joint probability of a free value's tokens, with its log-odds", () => {
    // "12-34": 12 (0.9), - (0.8), 34 (1), closing quote (1): 0.72
    const c = measure(
      [
        ['{"id":"', 1],
        ['12', 0.9],
        ['-', 0.8],
        ['34', 1],
        ['","x":1}', 1],
      ],
      'id',
    );
    expect(c?.confidence).toBeCloseTo(0.72, 12);
    expect(c?.score).toBeCloseTo(Math.log(0.72 / 0.28), 10);
  });

  it("counts a number's closing token: a digit there would have made another number", () => {
    // 12 (0.9), then the closing `}` 0.5 (against `3`: 123)
    const c = measure(
      [
        ['{"n":', 1],
        ['12', 0.9],
        ['}', 0.5, [['3', 0.5]]],
      ],
      'n',
      { type: 'number' },
    );
    expect(c?.confidence).toBeCloseTo(0.45, 12);
  });

  it("weighs an enum's value against the other options only", () => {
    // llc 0.6, against corp (an option) 0.3 and zz (none) 0.1: 0.6 / 0.9
    const c = measure(
      [
        ['{"kind":"', 1],
        [
          'llc',
          0.6,
          [
            ['corp', 0.3],
            ['zz', 0.1],
          ],
        ],
        ['"}', 1],
      ],
      'kind',
      { type: 'enum', options: ['llc', 'corp'] },
    );
    expect(c?.confidence).toBeCloseTo(0.6 / 0.9, 12);
    expect(c?.score).toBeCloseTo(Math.log(0.6 / 0.3), 10);
  });

  it('bounds certainty to ±1e6 so it can be stored as JSON', () => {
    const c = measure(
      [
        ['{"ok":', 1],
        ['true', 1],
        ['}', 1],
      ],
      'ok',
      { type: 'boolean' },
    );
    expect(c).toEqual({ confidence: 1, score: 1e6 });
  });
});
