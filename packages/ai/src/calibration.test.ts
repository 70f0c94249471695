import { describe, expect, it } from 'vitest';
import {
  applyCalibrator,
  brierScore,
  type CalibrationPoint,
  expectedCalibrationError,
  fitIsotonic,
  fitPlatt,
  plattScaling,
  reliabilityBins,
} from './calibration';
import { mulberry32 } from './seeded-random';

/**
 * An overconfident model with a known miscalibration: it states confidence p, but is right only
 * with probability p^3 (at 0.9 it is right 73% of the time, at 0.6 only 22%).
 */
function overconfident(n: number, seed: number): CalibrationPoint[] {
  const r = mulberry32(seed);
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
    const r = mulberry32(11);
    const pts = Array.from({ length: 300 }, () => ({ p: 0.9 + 0.09 * r(), correct: r() < 0.55 }));
    pts.push({ p: 0.995, correct: true }, { p: 0.997, correct: true }, { p: 0.999, correct: true });
    const c = fitIsotonic(pts);
    expect(applyCalibrator(c, 0.9999)).toBeLessThan(0.8);
    expect(applyCalibrator(c, 0.9)).toBeGreaterThan(0.2);
  });

  it('leaves a calibrated model (nearly) as it is', () => {
    const r = mulberry32(3);
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

  it('isotonic regression pools tied confidences: a hand-computed fit', () => {
    // By confidence: 0.3 right 1 of 2 (0.5), 0.6 right 1 of 3 (0.33), 0.9 right 2 of 3 (0.67).
    // 0.33 < 0.5 violates the order, so 0.3 and 0.6 pool: 2 right of 5 (0.4), centred at
    // (2 * 0.3 + 3 * 0.6) / 5 = 0.48; then 0.4 <= 0.67 holds. Taken point by point in this order
    // instead, the 0.6 answer that is right would pool with the 0.9 ones (1/4 then 3/4).
    const y = (correct: boolean, p: number) => ({ p, correct });
    const pts = [y(true, 0.3), y(false, 0.3), y(false, 0.6), y(false, 0.6), y(true, 0.6)];
    pts.push(y(true, 0.9), y(true, 0.9), y(false, 0.9));
    const c = fitIsotonic(pts, 1);
    if (c.kind !== 'isotonic') throw new Error(`expected an isotonic fit, got ${c.kind}`);
    expect(c.xs).toHaveLength(2);
    expect(c.xs[0]).toBeCloseTo(0.48, 12);
    expect(c.xs[1]).toBeCloseTo(0.9, 12);
    expect(c.ys[0]).toBeCloseTo(0.4, 12);
    expect(c.ys[1]).toBeCloseTo(2 / 3, 12);
  });

  it('isotonic regression gives the same fit for every order of the same points', () => {
    // Few distinct confidences, many ties of mixed outcomes, as a saturating model produces.
    const r = mulberry32(21);
    const levels = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];
    const pts = Array.from({ length: 600 }, () => {
      const p = levels[Math.floor(r() * levels.length)] as number;
      return { p, correct: r() < p ** 2 };
    });
    for (const minBlock of [1, undefined]) {
      const reference = fitIsotonic(pts, minBlock);
      const shuffled = [...pts];
      for (let run = 0; run < 200; run++) {
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j] as CalibrationPoint, shuffled[i] as CalibrationPoint];
        }
        expect(fitIsotonic(shuffled, minBlock)).toEqual(reference);
      }
    }
  });

  describe('Platt scaling on saturated confidences', () => {
    // Most answers at exactly 1.0 or 0.999999 (both clamp to logit(1 - 1e-6)), some of them wrong.
    const groups = [
      { p: 1, right: 870, wrong: 30 },
      { p: 0.999999, right: 45, wrong: 5 },
      { p: 0.9, right: 20, wrong: 5 },
      { p: 0.7, right: 10, wrong: 8 },
      { p: 0.55, right: 4, wrong: 3 },
    ];
    const pts = groups.flatMap((g) => [
      ...Array.from({ length: g.right }, () => ({ p: g.p, correct: true })),
      ...Array.from({ length: g.wrong }, () => ({ p: g.p, correct: false })),
    ]);
    // The objective, written out independently: Platt's smoothed targets, the log-odds clamped to
    // [1e-6, 1 - 1e-6], and the cross-entropy summed per group.
    const right = groups.reduce((a, g) => a + g.right, 0);
    const wrong = groups.reduce((a, g) => a + g.wrong, 0);
    const tRight = (right + 1) / (right + 2);
    const tWrong = 1 / (wrong + 2);
    const logOdds = (p: number) => {
      const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
      return Math.log(q) - Math.log(1 - q);
    };
    const logLoss = (a: number, b: number) =>
      groups.reduce((acc, g) => {
        const z = a * logOdds(g.p) + b;
        const logQ = -Math.log1p(Math.exp(-z)); // log sigmoid(z)
        const log1mQ = -Math.log1p(Math.exp(z)); // log (1 - sigmoid(z))
        const cross = (t: number) => -(t * logQ + (1 - t) * log1mQ);
        return acc + g.right * cross(tRight) + g.wrong * cross(tWrong);
      }, 0);
    /** The best (a, b) on a grid of `step` around (a0, b0), `half` steps each way. */
    const grid = (a0: number, b0: number, step: number, half: number) => {
      let best = { a: a0, b: b0, loss: logLoss(a0, b0) };
      for (let i = -half; i <= half; i++)
        for (let j = -half; j <= half; j++) {
          const a = a0 + i * step;
          const b = b0 + j * step;
          const loss = logLoss(a, b);
          if (loss < best.loss) best = { a, b, loss };
        }
      return best;
    };

    it('the fit is finite and the log-loss never rises from one Newton step to the next', () => {
      const fit = plattScaling(pts);
      expect(Number.isFinite(fit.a) && Number.isFinite(fit.b)).toBe(true);
      expect(fit.converged).toBe(true);
      expect(fit.losses.length).toBeGreaterThan(2);
      for (let i = 1; i < fit.losses.length; i++)
        expect(fit.losses[i] as number).toBeLessThanOrEqual(fit.losses[i - 1] as number);
      // The losses it reports are the objective's.
      expect(fit.losses.at(-1)).toBeCloseTo(logLoss(fit.a, fit.b), 8);
    });

    it('reaches the optimum found by a grid search', () => {
      const coarse = grid(0, 0, 0.05, 400); // a and b in [-20, 20]
      const fine = grid(coarse.a, coarse.b, 0.0005, 200); // +-0.1 around it
      const fit = plattScaling(pts);
      expect(Math.abs(fit.a - fine.a)).toBeLessThan(2e-3);
      expect(Math.abs(fit.b - fine.b)).toBeLessThan(2e-3);
      expect(logLoss(fit.a, fit.b)).toBeLessThanOrEqual(fine.loss + 1e-9);
      // The optimum tempers the saturated answers: 1.0 means right about 96% of the time, not 100%.
      expect(applyCalibrator(fitPlatt(pts), 1)).toBeCloseTo(915 / 950, 2);
    });
  });
});
