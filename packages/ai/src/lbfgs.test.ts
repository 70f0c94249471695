import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function at (1, 1)', () => {
    const r = minimizeLbfgs(
      (x, g) => {
        const [a, b] = [x[0] as number, x[1] as number];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { gradientTolerance: 1e-10, valueTolerance: 0 },
    );
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it('minimises a badly scaled quadratic in 1,000 dimensions: x_i = i mod 7', () => {
    const n = 1000;
    const r = minimizeLbfgs(
      (x, g) => {
        let v = 0;
        for (let i = 0; i < n; i++) {
          const scale = 1 + (i % 13) * 10;
          const d = (x[i] as number) - (i % 7);
          v += scale * d * d;
          g[i] = 2 * scale * d;
        }
        return v;
      },
      new Float64Array(n),
      { gradientTolerance: 1e-9, valueTolerance: 0 },
    );
    expect(r.converged).toBe(true);
    for (let i = 0; i < n; i += 97) expect(r.x[i]).toBeCloseTo(i % 7, 6);
  });

  it('stops at maxIterations and says it did not converge', () => {
    const r = minimizeLbfgs(
      (x, g) => {
        g[0] = 4 * (x[0] as number) ** 3;
        return (x[0] as number) ** 4;
      },
      Float64Array.from([3]),
      { maxIterations: 2, gradientTolerance: 0, valueTolerance: 0 },
    );
    expect(r).toMatchObject({ iterations: 2, converged: false });
  });
});
