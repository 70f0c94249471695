import { describe, expect, it } from 'vitest';
import {
  applyCalibrator,
  brierScore,
  type CalibrationPoint,
  expectedCalibrationError,
  fitIsotonic,
  fitPlatt,
  reliabilityBins,
} from './calibration';

/** A deterministic PRNG (mulberry32), so the test data is the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An overconfident model with a known miscalibration: it states confidence p, but is right only
 * with probability p^3 (at 0.9 it is right 73% of the time, at 0.6 only 22%).
 */
function overconfident(n: number, seed: number): CalibrationPoint[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const p = 0.5 + 0.5 * r();
    return { p, correct: r() < p ** 3 };
  });
}

describe('calibration', () => {
  const train = overconfident(3000, 1);
  const heldOut = overconfident(3000, 2);
  const before = { ece: expectedCalibrationError(heldOut), brier: brierScore(heldOut) };

  it('the uncalibrated model is measurably miscalibrated', () => {
    expect(before.ece).toBeGreaterThan(0.2);
  });

  for (const [name, fit] of [
    ['isotonic regression', fitIsotonic],
    ['Platt scaling', fitPlatt],
  ] as const) {
    it(`${name} fitted on one split lowers ECE and Brier score on a held-out split`, () => {
      const c = fit(train);
      const calibrated = heldOut.map((pt) => ({ p: applyCalibrator(c, pt.p), correct: pt.correct }));
      const ece = expectedCalibrationError(calibrated);
      expect(ece).toBeLessThan(0.05);
      expect(ece).toBeLessThan(before.ece / 4);
      expect(brierScore(calibrated)).toBeLessThan(before.brier);
    });
  }

  it('isotonic calibration is monotone and stays within [0, 1]', () => {
    const c = fitIsotonic(train);
    let prev = -1;
    for (let p = 0; p <= 1.0001; p += 0.01) {
      const q = applyCalibrator(c, p);
      expect(q).toBeGreaterThanOrEqual(prev - 1e-12);
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThanOrEqual(1);
      prev = q;
    }
  });

  it('does not let a few points at the edge set the calibrated confidence to 0 or 1', () => {
    // Right 55% of the time wherever it says 0.9-1.0, with the three highest answers right.
    const r = rng(11);
    const pts = Array.from({ length: 300 }, () => ({ p: 0.9 + 0.09 * r(), correct: r() < 0.55 }));
    pts.push({ p: 0.995, correct: true }, { p: 0.997, correct: true }, { p: 0.999, correct: true });
    const c = fitIsotonic(pts);
    expect(applyCalibrator(c, 0.9999)).toBeLessThan(0.8);
    expect(applyCalibrator(c, 0.9)).toBeGreaterThan(0.2);
  });

  it('leaves a calibrated model (nearly) as it is', () => {
    const r = rng(3);
    const good = Array.from({ length: 4000 }, () => {
      const p = r();
      return { p, correct: r() < p };
    });
    const c = fitPlatt(good);
    expect(c.kind === 'platt' && Math.abs(c.a - 1) < 0.15 && Math.abs(c.b) < 0.15).toBe(true);
  });

  it('ECE and reliability bins agree on a hand-computed case', () => {
    const pts = [
      { p: 0.95, correct: true },
      { p: 0.95, correct: false },
      { p: 0.15, correct: false },
      { p: 0.15, correct: false },
    ];
    // Bin 0.9-1.0: confidence 0.95, accuracy 0.5; bin 0.1-0.2: confidence 0.15, accuracy 0.
    expect(expectedCalibrationError(pts)).toBeCloseTo(0.5 * 0.45 + 0.5 * 0.15, 10);
    const bins = reliabilityBins(pts);
    expect(bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(brierScore(pts)).toBeCloseTo((0.05 ** 2 + 0.95 ** 2 + 2 * 0.15 ** 2) / 4, 10);
  });
});
