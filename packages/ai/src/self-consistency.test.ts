import { describe, expect, it } from 'vitest';
import { drawSamples, majorityVote } from './self-consistency';

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
