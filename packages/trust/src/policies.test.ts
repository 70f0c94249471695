import { describe, expect, it } from 'vitest';
import { pct } from './policies';

describe('pct', () => {
  it('prints whole percentages without floating-point artefacts', () => {
    expect(pct(0.07)).toBe('7%');
    expect(pct(0.95)).toBe('95%');
    expect(pct(0.01)).toBe('1%');
    expect(pct(1)).toBe('100%');
  });

  it('keeps the digits that matter of fractional percentages', () => {
    expect(pct(0.005)).toBe('0.50%');
    expect(pct(0.125)).toBe('12.5%');
  });
});
