import { describe, expect, it } from 'vitest';
import { formatRate, formatThreshold } from './format';

describe('formatRate', () => {
  it('keeps two decimals under 10%, where error targets live, and one above', () => {
    expect(formatRate(0.0367541977799823)).toBe('3.68%');
    expect(formatRate(0.0037)).toBe('0.37%');
    expect(formatRate(0.285)).toBe('28.5%');
    expect(formatRate(0.05)).toBe('5%');
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(1)).toBe('100%');
  });
});

describe('formatThreshold', () => {
  it('writes a score as the server does in certificates and explanations', () => {
    expect(formatThreshold(2.924871)).toBe((2.924871).toPrecision(4));
    expect(formatThreshold(-0.000123456)).toBe('-0.0001235');
  });
});
