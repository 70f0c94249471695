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
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function closest (least
 * squares) to the observed correctness, sorted by raw confidence. Applied with linear
 * interpolation between the blocks' centres, so it is continuous and monotone.
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
  const sorted = [...points].sort((a, b) => a.p - b.p);
  // Blocks of [sum of y, count, sum of p]; merge while a block's mean falls below its predecessor's.
  const blocks: { y: number; n: number; p: number }[] = [];
  for (const pt of sorted) {
    blocks.push({ y: pt.correct ? 1 : 0, n: 1, p: pt.p });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1] as { y: number; n: number; p: number };
      const prev = blocks[blocks.length - 2] as { y: number; n: number; p: number };
      if (prev.y / prev.n <= last.y / last.n) break;
      blocks.splice(blocks.length - 2, 2, { y: prev.y + last.y, n: prev.n + last.n, p: prev.p + last.p });
    }
  }
  // Pool-adjacent-violators overfits at the edges: a run of a few right (or wrong) answers at the
  // highest confidences becomes a block of 1.0 (or 0.0). Merge blocks smaller than `minBlock` into
  // a neighbour; a merged mean lies between the two, so the fit stays monotone.
  for (let i = 0; i < blocks.length && blocks.length > 1; ) {
    const b = blocks[i] as { y: number; n: number; p: number };
    if (b.n >= minBlock) {
      i++;
      continue;
    }
    const j = i === blocks.length - 1 ? i - 1 : i + 1;
    const other = blocks[j] as { y: number; n: number; p: number };
    blocks.splice(Math.min(i, j), 2, { y: b.y + other.y, n: b.n + other.n, p: b.p + other.p });
    i = Math.max(0, Math.min(i, j) - 1);
  }
  return { kind: 'isotonic', xs: blocks.map((b) => b.p / b.n), ys: blocks.map((b) => b.y / b.n) };
}

/**
 * Platt scaling: a logistic regression of correctness on the raw confidence's log-odds,
 * `1 / (1 + exp(-(a * logit(p) + b)))`, fitted by Newton's method. With a = 1, b = 0 it is the
 * identity; a < 1 tempers an overconfident model.
 */
export function fitPlatt(points: readonly CalibrationPoint[]): Calibrator {
  if (points.length === 0) return { kind: 'identity' };
  const xs = points.map((pt) => logit(pt.p));
  // Platt's targets, smoothed so a perfectly separable sample does not drive a and b to infinity.
  const pos = points.filter((p) => p.correct).length;
  const neg = points.length - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const ts = points.map((pt) => (pt.correct ? hi : lo));
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const q = sigmoid(a * x + b);
      const d = q - (ts[i] as number);
      const w = q * (1 - q);
      ga += d * x;
      gb += d;
      haa += w * x * x;
      hab += w * x;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
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
