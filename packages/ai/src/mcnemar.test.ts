import { describe, expect, it } from 'vitest';
import { discordantPairs, mcnemarExact } from './mcnemar';

describe('mcnemarExact', () => {
  it('is the one-sided binomial tail P(Bin(b + c, 1/2) >= b), by hand', () => {
    expect(mcnemarExact(5, 0).pValue).toBeCloseTo(1 / 32, 14);
    expect(mcnemarExact(1, 0).pValue).toBeCloseTo(1 / 2, 14);
    // (C(9,7) + C(9,8) + C(9,9)) / 2^9 = 46 / 512
    expect(mcnemarExact(7, 2).pValue).toBeCloseTo(46 / 512, 14);
    // (C(12,10) + C(12,11) + C(12,12)) / 2^12 = 79 / 4096
    expect(mcnemarExact(10, 2).pValue).toBeCloseTo(79 / 4096, 14);
    // The reverse direction: 1 - (1 + 9) / 512
    expect(mcnemarExact(2, 7).pValue).toBeCloseTo(502 / 512, 14);
    expect(mcnemarExact(0, 0).pValue).toBe(1);
    expect(mcnemarExact(3, 3).pValue).toBeCloseTo(42 / 64, 14); // (20 + 15 + 6 + 1) / 64
  });

  it('keeps small p-values (no 1 - x cancellation)', () => {
    expect(mcnemarExact(60, 0).pValue).toBeCloseTo(2 ** -60, 30);
    expect(mcnemarExact(60, 0).pValue).toBeGreaterThan(0);
  });

  it('refuses counts that are not non-negative integers', () => {
    expect(() => mcnemarExact(-1, 0)).toThrow(RangeError);
    expect(() => mcnemarExact(1.5, 0)).toThrow(RangeError);
  });
});

describe('discordantPairs', () => {
  it('counts the examples only one side got right', () => {
    expect(discordantPairs([true, true, false, false, true], [true, false, true, false, false])).toEqual({
      b: 2,
      c: 1,
    });
    expect(() => discordantPairs([true], [])).toThrow(RangeError);
  });
});
