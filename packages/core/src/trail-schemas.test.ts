import { describe, expect, it } from 'vitest';
import { formatDuration } from './trail-schemas';

describe('formatDuration', () => {
  it('reads as a person says it', () => {
    expect(formatDuration(null)).toBe('-');
    expect(formatDuration(80)).toBe('80 ms');
    expect(formatDuration(2_000)).toBe('2.0 s');
    expect(formatDuration(1_234)).toBe('1.2 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(90_000)).toBe('1 min 30 s');
    expect(formatDuration(160_000)).toBe('2 min 40 s');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(3_661_000)).toBe('1 h 1 min 1 s');
    // From a day up, seconds are noise.
    expect(formatDuration(90_061_000)).toBe('1 d 1 h 1 min');
  });
});
