import { describe, expect, it } from 'vitest';
import { cohensKappa } from './agreement';

describe("Cohen's kappa", () => {
  it('a 3x3 table worked by hand', () => {
    // 20 pairs; diagonal 5 + 4 + 4 = 13, po = 0.65. First rater's shares a 8/20, b 6/20, c 6/20;
    // second's a 7/20, b 7/20, c 6/20; pe = (56 + 42 + 36) / 400 = 0.335; kappa = 0.315 / 0.665.
    const r = cohensKappa([
      { first: 'a', second: 'a', count: 5 },
      { first: 'a', second: 'b', count: 2 },
      { first: 'a', second: 'c', count: 1 },
      { first: 'b', second: 'a', count: 1 },
      { first: 'b', second: 'b', count: 4 },
      { first: 'b', second: 'c', count: 1 },
      { first: 'c', second: 'a', count: 1 },
      { first: 'c', second: 'b', count: 1 },
      { first: 'c', second: 'c', count: 4 },
    ]);
    expect(r.pairs).toBe(20);
    expect(r.observed).toBeCloseTo(0.65, 12);
    expect(r.expected).toBeCloseTo(0.335, 12);
    expect(r.kappa).toBeCloseTo(0.315 / 0.665, 12);
  });

  it('perfect disagreement beyond chance is negative', () => {
    // po = 0, pe = 0.5: kappa = -1.
    expect(
      cohensKappa([
        { first: 'y', second: 'n', count: 3 },
        { first: 'n', second: 'y', count: 3 },
      ]).kappa,
    ).toBeCloseTo(-1, 12);
  });

  it('is undefined, with the reason, when both people only ever used one label', () => {
    const r = cohensKappa([{ first: 'y', second: 'y', count: 7 }]);
    expect(r).toMatchObject({ pairs: 7, kappa: null, observed: 1, expected: 1 });
    expect(r.reason).toMatch(/kappa is undefined/);
  });

  it('no pairs', () => {
    expect(cohensKappa([])).toMatchObject({ pairs: 0, kappa: null, reason: 'No items reviewed twice yet' });
  });
});
