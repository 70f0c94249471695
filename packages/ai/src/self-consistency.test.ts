import { describe, expect, it } from 'vitest';
import { drawSamples, fieldAgreement, fieldwiseVote, majorityVote } from './self-consistency';

describe('majorityVote', () => {
  it('is the most common label and the share of samples that gave it', () => {
    expect(majorityVote('refund', ['refund', 'other', 'refund', 'refund', 'other'])).toEqual({
      label: 'refund',
      confidence: 0.6,
      score: expect.closeTo(Math.log(3.5 / 2.5), 12), // logit of (3 + 0.5) / (5 + 1)
      votes: { refund: 3, other: 2 },
      samples: 5,
    });
  });

  it('scores unanimity finitely, and more agreeing samples higher', () => {
    expect(majorityVote('a', ['a', 'a', 'a', 'a', 'a']).score).toBeCloseTo(Math.log(11), 12);
    expect(majorityVote('a', Array(10).fill('a')).score).toBeCloseTo(Math.log(21), 12);
    expect(majorityVote('a', [undefined, undefined]).score).toBeCloseTo(Math.log(0.5 / 2.5), 12);
  });

  it('may overrule the first answer', () => {
    expect(majorityVote('refund', ['other', 'other', 'refund'])).toMatchObject({ label: 'other', confidence: 2 / 3 });
  });

  it("breaks ties with the first answer's label, else the tied label sampled first", () => {
    expect(majorityVote('b', ['a', 'b', 'a', 'b']).label).toBe('b');
    expect(majorityVote('c', ['b', 'a', 'a', 'b', 'c']).label).toBe('b');
  });

  it('counts unusable samples as disagreeing', () => {
    expect(majorityVote('a', ['a', undefined, undefined, 'a'])).toMatchObject({ label: 'a', confidence: 0.5 });
    expect(majorityVote('a', [undefined, undefined])).toMatchObject({ label: 'a', confidence: 0 });
    expect(majorityVote('a', [])).toMatchObject({ label: 'a', confidence: 0 });
  });
});

describe('drawSamples', () => {
  const refusesN = (e: unknown) => e instanceof Error && e.message === 'n refused';

  it('asks once with n when the endpoint honours it', async () => {
    const asked: (number | undefined)[] = [];
    const request = async (n: number | undefined) => {
      asked.push(n);
      return Array<string>(n ?? 1).fill('x');
    };
    const r = await drawSamples(3, 'n', request, refusesN);
    expect(asked).toEqual([3]);
    expect(r).toEqual({ answers: ['x', 'x', 'x'], support: 'n' });
  });

  it('tops up with single requests when n is ignored', async () => {
    const asked: (number | undefined)[] = [];
    const request = async (n: number | undefined) => {
      asked.push(n);
      return ['x'];
    };
    const r = await drawSamples(3, 'n', request, refusesN);
    expect(asked).toEqual([3, undefined, undefined]);
    expect(r).toEqual({ answers: ['x', 'x', 'x'], support: 'ignores-n' });
  });

  it('falls back to single requests when n is refused, and skips n once known', async () => {
    const asked: (number | undefined)[] = [];
    const request = async (n: number | undefined) => {
      asked.push(n);
      if (n !== undefined) throw new Error('n refused');
      return ['x'];
    };
    expect(await drawSamples(2, 'n', request, refusesN)).toEqual({ answers: ['x', 'x'], support: 'rejects-n' });
    expect(await drawSamples(2, 'rejects-n', request, refusesN)).toEqual({ answers: ['x', 'x'], support: 'rejects-n' });
    expect(asked).toEqual([2, undefined, undefined, undefined, undefined]);
  });

  it('passes other errors on', async () => {
    await expect(drawSamples(2, 'n', () => Promise.reject(new Error('HTTP 500')), refusesN)).rejects.toThrow(
      'HTTP 500',
    );
  });
});

describe('fieldwiseVote', () => {
  const paths = ['a', 'b.c', 'list'];
  const first = { a: 1, b: { c: 'x' }, list: [1, 2] };

  it('takes each voting field from the majority, keeps the others, and scores agreement on the result', () => {
    const samples = [
      { a: 1, b: { c: 'y' }, list: [1, 2] },
      { a: 2, b: { c: 'y' }, list: [1, 2] },
      { a: 2, b: { c: 'y' }, list: [2, 1] },
      undefined,
    ];
    const r = fieldwiseVote(paths, first, samples, ['b.c', 'list']);
    // a does not vote (its confidence is measured otherwise), b.c: y 3 of 4, list: [1,2] 2 of 4
    expect(r.value).toEqual({ a: 1, b: { c: 'y' }, list: [1, 2] });
    expect(r.fields['b.c']?.confidence).toBe(3 / 4);
    expect(r.fields.list?.confidence).toBe(2 / 4);
    // a agrees with the result in 1 sample of 4; the unusable sample agrees on nothing
    expect(r.fields.a?.confidence).toBe(1 / 4);
    // every field at once: only the first sample
    expect(r.confidence).toBe(1 / 4);
    expect(r.score).toBeCloseTo(Math.log(1.5 / 3.5), 12);
  });

  it('counts an absent value and null as the same, and keeps the one the majority wrote', () => {
    const r = fieldwiseVote(['a', 'n'], { a: 1, n: 'q' }, [{ a: 1 }, { a: 1, n: null }, { a: 1, n: 'q' }]);
    expect(r.value).toEqual({ a: 1 });
    expect(r.fields.n?.confidence).toBe(2 / 3);
  });
});

describe('fieldAgreement', () => {
  it('measures samples against a fixed value', () => {
    const r = fieldAgreement(['a', 'b'], { a: 1, b: 2 }, [
      { a: 1, b: 3 },
      { a: 1, b: 2 },
    ]);
    expect(r.fields).toEqual({
      a: { confidence: 1, score: expect.closeTo(Math.log(2.5 / 0.5), 12) },
      b: { confidence: 0.5, score: 0 },
    });
    expect(r.confidence).toBe(0.5);
  });
});
