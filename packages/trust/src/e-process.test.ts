import { describe, expect, it } from 'vitest';
import { alarmLevel, bettingEProcess } from './e-process';
import { allowedFailures, seeded } from './random.fixtures';

const alpha = 0.01;
const delta = 0.05;
const stream = (seed: number, n: number, rate: number) => {
  const rand = seeded(seed);
  return Array.from({ length: n }, () => rand() < rate);
};

describe('the betting e-process', () => {
  it('starts at 1, never bets against a run of right answers, and grows with errors', () => {
    expect(bettingEProcess([], alpha)).toEqual({ samples: 0, wrong: 0, eValue: 1, maxEValue: 1 });
    const right = bettingEProcess(Array(50).fill(false), alpha);
    expect(right.samples).toBe(50);
    expect(right.eValue).toBeLessThanOrEqual(1);
    expect(bettingEProcess([true, true, true], alpha).eValue).toBeGreaterThan(1);
  });

  it('alarms at exactly 1 / delta, even when delta is computed as 1 - confidence', () => {
    expect(alarmLevel(0.05)).toBe(20);
    expect(alarmLevel(1 - 0.95)).toBe(20);
    expect(alarmLevel(1 - 0.99)).toBe(100);
  });

  it('continues from a saved state exactly as if it had seen everything at once', () => {
    const xs = stream(7, 400, 0.03);
    const whole = bettingEProcess(xs, alpha);
    const split = bettingEProcess(xs.slice(250), alpha, bettingEProcess(xs.slice(0, 250), alpha));
    expect(split.samples).toBe(whole.samples);
    expect(split.wrong).toBe(whole.wrong);
    expect(split.eValue).toBeCloseTo(whole.eValue, 9);
    expect(split.maxEValue).toBeCloseTo(whole.maxEValue, 9);
  });

  it('raises a false alarm in at most delta of 1,000 runs when the error is exactly alpha, watched after every sample', () => {
    const runs = 1000;
    let alarms = 0;
    for (let seed = 1; seed <= runs; seed++)
      if (bettingEProcess(stream(seed, 3000, alpha), alpha).maxEValue >= alarmLevel(delta)) alarms++;
    expect(alarms).toBeLessThanOrEqual(allowedFailures(delta, runs));
  });

  it('alarms in at least 95% of 300 runs when the error has drifted to 4 alpha, within 1,500 samples', () => {
    const runs = 300;
    let caught = 0;
    for (let seed = 1; seed <= runs; seed++)
      if (bettingEProcess(stream(50_000 + seed, 1500, 4 * alpha), alpha).maxEValue >= alarmLevel(delta)) caught++;
    expect(caught).toBeGreaterThanOrEqual(0.95 * runs);
  });
});
