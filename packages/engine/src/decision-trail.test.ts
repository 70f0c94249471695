import { describe, expect, it } from 'vitest';
import { unionMs } from './decision-trail';

const s = (seconds: number) => new Date(Date.UTC(2026, 2, 2, 9, 0, seconds));

describe('unionMs (time waiting for review)', () => {
  it('counts time while any task is open once: four-eyes tasks open together are not added up', () => {
    expect(unionMs([])).toBe(0);
    expect(unionMs([[s(0), s(10)]])).toBe(10_000);
    // Two reviews of one point, open 0..30 s and 5..40 s: 40 s of waiting, not 65.
    expect(
      unionMs([
        [s(5), s(40)],
        [s(0), s(30)],
      ]),
    ).toBe(40_000);
    // A later, separate review (50..55 s) adds its own 5 s; one inside another adds nothing.
    expect(
      unionMs([
        [s(0), s(30)],
        [s(50), s(55)],
        [s(10), s(20)],
      ]),
    ).toBe(35_000);
  });
});
