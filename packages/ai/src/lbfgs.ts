// Limited-memory BFGS: minimises a smooth convex function given its value and gradient.

export interface LbfgsOptions {
  /** Correction pairs kept. Default 10. */
  memory?: number;
  /** Iterations at most. Default 200. */
  maxIterations?: number;
  /** Converged when the gradient's largest entry is at most this times max(1, |value|). Default 1e-5. */
  gradientTolerance?: number;
  /** Converged when an iteration lowers the value by less than this, relatively. Default 1e-10. */
  valueTolerance?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  /** False when `maxIterations` ran out or no step along the search direction lowered the value. */
  converged: boolean;
}

/**
 * Minimises `f`, which writes the gradient at `x` into `gradient` and returns the value: L-BFGS
 * (Nocedal & Wright, "Numerical Optimization", algorithm 7.4, two-loop recursion) with a
 * backtracking line search under the Armijo condition. Deterministic: no randomness, and the
 * arithmetic runs in a fixed order. Pure apart from calling `f`.
 *
 * @example
 * // (x - 3)^2
 * const r = minimizeLbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, new Float64Array(1));
 * r.x[0]; // 3
 */
export function minimizeLbfgs(
  f: (x: Float64Array, gradient: Float64Array) => number,
  x0: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 200;
  const gradientTolerance = options.gradientTolerance ?? 1e-5;
  const valueTolerance = options.valueTolerance ?? 1e-10;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let value = f(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(memory);
  const xNext = new Float64Array(n);
  const gNext = new Float64Array(n);

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (maxAbs(g) <= gradientTolerance * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration, converged: true };
    }
    // Two-loop recursion: direction = -H g.
    for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = (rho[k] as number) * dot(s[k] as Float64Array, direction);
      axpy(-(alpha[k] as number), y[k] as Float64Array, direction);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      scale(
        direction,
        dot(s[last] as Float64Array, y[last] as Float64Array) / dot(y[last] as Float64Array, y[last] as Float64Array),
      );
    } else {
      scale(direction, 1 / Math.max(1, Math.sqrt(dot(g, g))));
    }
    for (let k = 0; k < s.length; k++) {
      const beta = (rho[k] as number) * dot(y[k] as Float64Array, direction);
      axpy((alpha[k] as number) - beta, s[k] as Float64Array, direction);
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (curvature information gone stale): restart from steepest descent.
      s.length = 0;
      y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
      slope = dot(g, direction);
    }

    let step = 1;
    let nextValue = Number.POSITIVE_INFINITY;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = (x[i] as number) + step * (direction[i] as number);
      nextValue = f(xNext, gNext);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextValue < value)) return { x, value, iterations: iteration, converged: false };

    const sNew = s.length === memory ? (s.shift() as Float64Array) : new Float64Array(n);
    const yNew = y.length === memory ? (y.shift() as Float64Array) : new Float64Array(n);
    if (rho.length === memory) rho.shift();
    for (let i = 0; i < n; i++) {
      sNew[i] = (xNext[i] as number) - (x[i] as number);
      yNew[i] = (gNext[i] as number) - (g[i] as number);
    }
    const sy = dot(sNew, yNew);
    if (sy > 1e-12) {
      s.push(sNew);
      y.push(yNew);
      rho.push(1 / sy);
    }
    const decrease = value - nextValue;
    x.set(xNext);
    g.set(gNext);
    value = nextValue;
    if (decrease <= valueTolerance * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration + 1, converged: true };
    }
  }
  return { x, value, iterations: maxIterations, converged: false };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + a * (x[i] as number);
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * a;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] as number));
  return m;
}
