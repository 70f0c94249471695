// Calibration maths: no I/O. A calibrator maps a model's raw confidence to the probability that its
// answer is right, as observed in human labels.

/** One observation: the model's raw confidence, and whether a human found the answer right. */
export interface CalibrationPoint {
  p: number;
  correct: boolean;
}

export type Calibrator =
  | { kind: 'isotonic'; xs: number[]; ys: number[] }
  | { kind: 'platt'; a: number; b: number }
  | { kind: 'identity' };

export type CalibrationMethod = 'isotonic' | 'platt';

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Isotonic regression by pool-adjacent-violators (Ayer et al. 1955; Barlow et al., "Statistical
 * inference under order restrictions", 1972): the non-decreasing step function closest (least
 * squares) to the observed correctness, as a function of raw confidence. Points with the same raw
 * confidence are pooled into one block first: a function of the confidence must give them one
 * value, and without pooling the fit would depend on the order they came in. Blocks smaller than
 * `minBlock` are then merged into a neighbour (see below). Applied with linear interpolation
 * between the blocks' centres, so it is continuous and monotone.
 *
 * @example
 * const c = fitIsotonic([{ p: 0.9, correct: false }, { p: 0.95, correct: true }]);
 * applyCalibrator(c, 0.92);
 */
export function fitIsotonic(
  points: readonly CalibrationPoint[],
  minBlock = Math.max(10, Math.ceil(points.length / 10)),
): Calibrator {
  if (points.length === 0) return { kind: 'identity' };
  // Blocks of [sum of y, count, sum of p], one per distinct raw confidence to start with. Sums of
  // y and counts are integers, and a tie's p sum is one value times its count, so the blocks (and
  // all that follows) are the same for every order of the same points.
  const byP = new Map<number, Block>();
  for (const pt of points) {
    const b = byP.get(pt.p);
    if (b) {
      b.y += pt.correct ? 1 : 0;
      b.n += 1;
    } else byP.set(pt.p, { y: pt.correct ? 1 : 0, n: 1, p: pt.p });
  }
  const ties = [...byP.values()].sort((a, b) => a.p - b.p);
  for (const t of ties) t.p *= t.n;
  // Merge while a block's mean falls below its predecessor's.
  const blocks: Block[] = [];
  for (const tie of ties) {
    blocks.push(tie);
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1] as Block;
      const prev = blocks[blocks.length - 2] as Block;
      if (prev.y / prev.n <= last.y / last.n) break;
      blocks.splice(blocks.length - 2, 2, merge(prev, last));
    }
  }
  // Pool-adjacent-violators overfits at the edges: a run of a few right (or wrong) answers at the
  // highest confidences becomes a block of 1.0 (or 0.0). Merge blocks smaller than `minBlock` into
  // a neighbour; a merged mean lies between the two, so the fit stays monotone.
  for (let i = 0; i < blocks.length && blocks.length > 1; ) {
    const b = blocks[i] as Block;
    if (b.n >= minBlock) {
      i++;
      continue;
    }
    const j = i === blocks.length - 1 ? i - 1 : i + 1;
    const lo = Math.min(i, j);
    blocks.splice(lo, 2, merge(blocks[lo] as Block, blocks[lo + 1] as Block));
    i = Math.max(0, lo - 1);
  }
  return { kind: 'isotonic', xs: blocks.map((b) => b.p / b.n), ys: blocks.map((b) => b.y / b.n) };
}

interface Block {
  y: number;
  n: number;
  p: number;
}

const merge = (a: Block, b: Block): Block => ({ y: a.y + b.y, n: a.n + b.n, p: a.p + b.p });

/** A Platt fit with what the Newton iterations went through. */
export interface PlattFit {
  a: number;
  b: number;
  /**
   * The log-loss (against Platt's smoothed targets) at the start and after each accepted step:
   * never increasing, since a step is accepted only when it lowers the loss enough.
   */
  losses: number[];
  /** The gradient fell below the tolerance; false: the iteration or line-search budget ran out. */
  converged: boolean;
}

/**
 * Platt scaling: a logistic regression of correctness on the raw confidence's log-odds,
 * `1 / (1 + exp(-(a * logit(p) + b)))`, with p clamped to [1e-6, 1 - 1e-6] first (so 1.0 and
 * 0.999999 have the same log-odds, 13.8). With a = 1, b = 0 it is the identity; a < 1 tempers an
 * overconfident model.
 *
 * Fitted as Platt ("Probabilistic outputs for support vector machines", 1999) with his smoothed
 * targets, `(N+ + 1) / (N+ + 2)` for right answers and `1 / (N- + 2)` for wrong ones, so the
 * optimum is finite even on a separable sample; by the Newton method with backtracking line search
 * of Lin, Lin & Weng ("A note on Platt's probabilistic outputs for support vector machines",
 * Machine Learning 68, 2007): the log-loss and its derivatives computed without overflow or
 * cancellation, the Hessian shifted by 1e-12 so it is always invertible, and a step accepted only
 * when it lowers the loss by the Armijo condition (else halved). A plain Newton step diverges on
 * saturated confidences (many at 1.0), where the Hessian is nearly zero.
 *
 * @example
 * const { a, b, losses } = plattScaling([{ p: 0.99, correct: true }, { p: 0.99, correct: false }]);
 */
export function plattScaling(points: readonly CalibrationPoint[], maxIterations = 100): PlattFit {
  const xs = points.map((pt) => logit(pt.p));
  const pos = points.filter((p) => p.correct).length;
  const neg = points.length - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const ts = points.map((pt) => (pt.correct ? hi : lo));
  const loss = (a: number, b: number) => {
    let f = 0;
    for (let i = 0; i < xs.length; i++) {
      const z = a * (xs[i] as number) + b;
      const t = ts[i] as number;
      // -t log q - (1 - t) log (1 - q), q = sigmoid(z), in the form that cannot overflow.
      f += z >= 0 ? Math.log1p(Math.exp(-z)) + (1 - t) * z : Math.log1p(Math.exp(z)) - t * z;
    }
    return f;
  };
  // Lin, Lin & Weng's start: slope 0, intercept at the log-odds of the smoothed prior.
  let a = 0;
  let b = Math.log((pos + 1) / (neg + 1));
  let f = loss(a, b);
  const losses = [f];
  let converged = false;
  for (let iter = 0; iter < maxIterations; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const z = a * x + b;
      // q and 1 - q, each from the side where exp cannot overflow.
      const e = Math.exp(-Math.abs(z));
      const q = z >= 0 ? 1 / (1 + e) : e / (1 + e);
      const r = z >= 0 ? e / (1 + e) : 1 / (1 + e);
      const d = q - (ts[i] as number);
      const w = q * r;
      ga += d * x;
      gb += d;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-5 && Math.abs(gb) < 1e-5) {
      converged = true;
      break;
    }
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    const slope = ga * da + gb * db;
    let step = 1;
    while (step >= 1e-10) {
      const next = loss(a + step * da, b + step * db);
      if (next < f + 1e-4 * step * slope) {
        a += step * da;
        b += step * db;
        f = next;
        losses.push(f);
        break;
      }
      step /= 2;
    }
    // No step along the Newton direction lowers the loss enough: as close as floating point gets.
    if (step < 1e-10) break;
  }
  return { a, b, losses, converged };
}

/** The calibrator of `plattScaling`. */
export function fitPlatt(points: readonly CalibrationPoint[]): Calibrator {
  if (points.length === 0) return { kind: 'identity' };
  const { a, b } = plattScaling(points);
  return { kind: 'platt', a, b };
}

export function fitCalibrator(method: CalibrationMethod, points: readonly CalibrationPoint[]): Calibrator {
  return method === 'platt' ? fitPlatt(points) : fitIsotonic(points);
}

/** The calibrated confidence of a raw one. */
export function applyCalibrator(c: Calibrator, p: number): number {
  switch (c.kind) {
    case 'identity':
      return clamp01(p);
    case 'platt':
      return sigmoid(c.a * logit(p) + c.b);
    case 'isotonic': {
      const { xs, ys } = c;
      if (xs.length === 0) return clamp01(p);
      if (p <= (xs[0] as number)) return ys[0] as number;
      if (p >= (xs[xs.length - 1] as number)) return ys[ys.length - 1] as number;
      let lo = 0;
      let hi = xs.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if ((xs[mid] as number) <= p) lo = mid;
        else hi = mid;
      }
      const x0 = xs[lo] as number;
      const x1 = xs[hi] as number;
      const y0 = ys[lo] as number;
      const y1 = ys[hi] as number;
      return x1 === x0 ? y1 : y0 + ((y1 - y0) * (p - x0)) / (x1 - x0);
    }
  }
}

/**
 * Expected calibration error: over `bins` equal-width confidence bins, the gap between mean
 * confidence and accuracy, weighted by the bin's share of the points. 0 is perfect.
 */
export function expectedCalibrationError(points: readonly CalibrationPoint[], bins = 10): number {
  if (points.length === 0) return 0;
  const sums = Array.from({ length: bins }, () => ({ p: 0, y: 0, n: 0 }));
  for (const pt of points) {
    const bin = sums[Math.min(bins - 1, Math.floor(clamp01(pt.p) * bins))] as { p: number; y: number; n: number };
    bin.p += pt.p;
    bin.y += pt.correct ? 1 : 0;
    bin.n += 1;
  }
  return sums.reduce((acc, b) => (b.n === 0 ? acc : acc + (b.n / points.length) * Math.abs(b.p / b.n - b.y / b.n)), 0);
}

/** Mean squared error of the confidence as a probability of being right. Lower is better. */
export function brierScore(points: readonly CalibrationPoint[]): number {
  if (points.length === 0) return 0;
  return points.reduce((acc, pt) => acc + (pt.p - (pt.correct ? 1 : 0)) ** 2, 0) / points.length;
}

/** Reliability-diagram data: per bin, the mean confidence, the accuracy and the count. */
export function reliabilityBins(points: readonly CalibrationPoint[], bins = 10) {
  const out = Array.from({ length: bins }, (_, i) => ({
    from: i / bins,
    to: (i + 1) / bins,
    confidence: 0,
    accuracy: 0,
    count: 0,
  }));
  for (const pt of points) {
    const b = out[Math.min(bins - 1, Math.floor(clamp01(pt.p) * bins))] as (typeof out)[number];
    b.confidence += pt.p;
    b.accuracy += pt.correct ? 1 : 0;
    b.count += 1;
  }
  return out.map((b) => (b.count ? { ...b, confidence: b.confidence / b.count, accuracy: b.accuracy / b.count } : b));
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}
