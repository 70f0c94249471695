import { describe, expect, it } from 'vitest';
import { agreementScore, logit, logOddsAgainstRest, logSumExp, verbalizedScore } from './log-odds';

describe('log-odds', () => {
  it('logSumExp is exact for small values and does not overflow or underflow', () => {
    expect(logSumExp([Math.log(0.2), Math.log(0.3)])).toBeCloseTo(Math.log(0.5), 14);
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-1000, -1000])).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(logSumExp([])).toBe(Number.NEGATIVE_INFINITY);
    expect(logSumExp([Number.NEGATIVE_INFINITY, 0])).toBe(0);
  });

  it('logOddsAgainstRest is ln(p / (1 - p)) of the softmax, unbounded', () => {
    expect(logOddsAgainstRest([2, 0], 0)).toBeCloseTo(2, 14);
    expect(logOddsAgainstRest([0, 0, 0], 0)).toBeCloseTo(-Math.LN2, 14); // p = 1/3: odds 1/2
    expect(logOddsAgainstRest([800, 0], 0)).toBe(800);
    expect(logOddsAgainstRest([Math.log(0.6), Math.log(0.3), Math.log(0.1)], 0)).toBeCloseTo(Math.log(0.6 / 0.4), 14);
    expect(logOddsAgainstRest([1, Number.NEGATIVE_INFINITY], 0)).toBe(Number.POSITIVE_INFINITY);
    expect(logOddsAgainstRest([1], 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('logit, verbalised and agreement scores', () => {
    expect(logit(0.75)).toBeCloseTo(Math.log(3), 14);
    expect(verbalizedScore(0.9)).toBeCloseTo(Math.log(9), 12);
    expect(verbalizedScore(1)).toBeCloseTo(Math.log(999), 12);
    expect(verbalizedScore(0)).toBeCloseTo(-Math.log(999), 12);
    // (votes + 0.5) / (samples + 1): 5 of 5 is 5.5/6, odds 11; 10 of 10 ranks higher (odds 21).
    expect(agreementScore(5, 5)).toBeCloseTo(Math.log(11), 14);
    expect(agreementScore(10, 10)).toBeCloseTo(Math.log(21), 14);
    expect(agreementScore(3, 5)).toBeCloseTo(Math.log(3.5 / 2.5), 14);
    expect(agreementScore(0, 5)).toBeCloseTo(-Math.log(11), 14);
    expect(agreementScore(0, 0)).toBe(0);
  });
});
