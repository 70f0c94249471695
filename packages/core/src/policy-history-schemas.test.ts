import { describe, expect, it } from 'vitest';
import { formatPolicyValue } from './policy-history-schemas';

describe('formatPolicyValue', () => {
  it('shows absent values, numbers, text, lists and objects in policy order', () => {
    expect(formatPolicyValue(null)).toBe('(none)');
    expect(formatPolicyValue(0.85)).toBe('0.85');
    expect(formatPolicyValue('paused')).toBe('paused');
    expect(formatPolicyValue({ confidence: 0.95, maxError: 0.02 })).toBe('maxError: 0.02; confidence: 0.95');
    expect(formatPolicyValue({ when: 'c=>true', queue: 'vip', reason: 'VIP' })).toBe(
      'queue: vip; reason: VIP; when: c=>true',
    );
    expect(
      formatPolicyValue({
        risks: [{ when: 'c=>1', name: 'big', reason: 'Big' }],
        queue: 'q',
        sampleNearThreshold: { rate: 0.2, scoreMargin: 1 },
      }),
    ).toBe('sampleNearThreshold: (rate: 0.2; scoreMargin: 1); queue: q; risks: [big; reason: Big; when: c=>1]');
  });
});
