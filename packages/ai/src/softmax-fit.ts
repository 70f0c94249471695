// Fitting the softmax regression's parameters: the objective and its gradient over sparse rows.
import type { SparseVector } from './hashed-features';
import { minimizeLbfgs } from './lbfgs';

export interface SoftmaxFit {
  training: { iterations: number; converged: boolean; loss: number };
  /** Per label; 0 for labels without examples (they are never scored). */
  bias: Float64Array;
  /** The buckets any training example used, ascending: the weight matrix's rows. */
  buckets: Uint32Array;
  /** `buckets.length` x labels, row-major, rounded to float32. */
  weights: Float32Array;
}

/**
 * Fits multinomial logistic regression by L-BFGS: minimises
 * `mean(log loss) + ||W||^2 / (2 C N)` (the minimiser of scikit-learn's `C * sum(log loss) + ||W||^2 / 2`),
 * the intercepts unpenalised, over the labels that have examples (`classCounts[k] > 0`). Examples are
 * visited in the order given. Pure.
 *
 * @example
 * const fit = fitSoftmax([hashedFeatures('refund'), hashedFeatures('parcel')], [0, 1], [1, 1], { c: 10, maxIterations: 100, hashBits: 18 });
 */
export function fitSoftmax(
  vectors: readonly SparseVector[],
  y: readonly number[],
  classCounts: readonly number[],
  options: { c: number; maxIterations: number; hashBits: number },
): SoftmaxFit {
  const k = classCounts.length;
  const trained = classCounts.flatMap((n, label) => (n > 0 ? [label] : []));
  const kt = trained.length;
  const position = new Int32Array(k).fill(-1);
  trained.forEach((label, t) => {
    position[label] = t;
  });

  // Compact columns: only the buckets the examples use, the most frequent first, so that the
  // parameters most rows touch share a few cache lines (random access dominates the fit's time).
  const colOf = new Int32Array(2 ** options.hashBits);
  for (const v of vectors) for (const b of v.indices) colOf[b] = (colOf[b] as number) + 1;
  const bucketList: number[] = [];
  for (let b = 0; b < colOf.length; b++) if ((colOf[b] as number) > 0) bucketList.push(b);
  const buckets = Uint32Array.from(bucketList);
  const byFrequency = bucketList.map((_, i) => i);
  byFrequency.sort(
    (i, j) => (colOf[bucketList[j] as number] as number) - (colOf[bucketList[i] as number] as number) || i - j,
  );
  /** Column of the i-th bucket in ascending order. */
  const columnOf = new Int32Array(bucketList.length);
  byFrequency.forEach((row, column) => {
    columnOf[row] = column;
  });
  bucketList.forEach((b, row) => {
    colOf[b] = columnOf[row] as number;
  });
  const d = buckets.length;
  const n = vectors.length;
  const rowStart = new Int32Array(n + 1);
  vectors.forEach((v, i) => {
    rowStart[i + 1] = (rowStart[i] as number) + v.indices.length;
  });
  const cols = new Int32Array(rowStart[n] as number);
  const vals = new Float64Array(rowStart[n] as number);
  vectors.forEach((v, i) => {
    const start = rowStart[i] as number;
    v.indices.forEach((b, j) => {
      cols[start + j] = colOf[b] as number;
    });
    vals.set(v.values, start);
  });

  const bias = new Float64Array(k);
  const weights = new Float32Array(d * k);
  if (kt < 2) return { training: { iterations: 0, converged: true, loss: 0 }, bias, buckets, weights };

  const targets = Int32Array.from(y, (label) => position[label] as number);
  const lambda = 1 / (options.c * n);
  const biasAt = d * kt;
  const rows: Rows = { n, kt, rowStart, cols, vals, targets, lambda, z: new Float64Array(kt) };
  const objective = (theta: Float64Array, g: Float64Array) => softmaxObjective(rows, theta, g);
  const result = minimizeLbfgs(objective, new Float64Array(biasAt + kt), { maxIterations: options.maxIterations });
  for (let row = 0; row < d; row++) {
    const column = columnOf[row] as number;
    for (let t = 0; t < kt; t++) weights[row * k + (trained[t] as number)] = result.x[column * kt + t] as number;
  }
  trained.forEach((label, t) => {
    bias[label] = result.x[biasAt + t] as number;
  });
  return {
    training: { iterations: result.iterations, converged: result.converged, loss: result.value },
    bias,
    buckets,
    weights,
  };
}

interface Rows {
  n: number;
  kt: number;
  rowStart: Int32Array;
  cols: Int32Array;
  vals: Float64Array;
  targets: Int32Array;
  lambda: number;
  /** Scratch: one row's logits, then its residuals. */
  z: Float64Array;
}

/** The objective's value at `theta`, its gradient written into `g`. */
function softmaxObjective(rows: Rows, theta: Float64Array, g: Float64Array): number {
  const { n, kt, rowStart, cols, vals, targets, lambda, z } = rows;
  const biasAt = theta.length - kt;
  g.fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const from = rowStart[i] as number;
    const to = rowStart[i + 1] as number;
    // One pass over the row per label: inner loops without an inner loop of their own run faster.
    for (let t = 0; t < kt; t++) {
      let sum = theta[biasAt + t] as number;
      for (let p = from; p < to; p++) sum += (vals[p] as number) * (theta[(cols[p] as number) * kt + t] as number);
      z[t] = sum;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < kt; t++) max = Math.max(max, z[t] as number);
    let sum = 0;
    for (let t = 0; t < kt; t++) sum += Math.exp((z[t] as number) - max);
    const lse = max + Math.log(sum);
    const target = targets[i] as number;
    loss += lse - (z[target] as number);
    // z becomes the residual p - onehot(target), over n, for the gradient.
    for (let t = 0; t < kt; t++) z[t] = (Math.exp((z[t] as number) - lse) - (t === target ? 1 : 0)) / n;
    for (let t = 0; t < kt; t++) {
      const r = z[t] as number;
      for (let p = from; p < to; p++) {
        const j = (cols[p] as number) * kt + t;
        g[j] = (g[j] as number) + (vals[p] as number) * r;
      }
    }
    for (let t = 0; t < kt; t++) g[biasAt + t] = (g[biasAt + t] as number) + (z[t] as number);
  }
  let squares = 0;
  for (let j = 0; j < biasAt; j++) {
    const w = theta[j] as number;
    squares += w * w;
    g[j] = (g[j] as number) + lambda * w;
  }
  return loss / n + (lambda / 2) * squares;
}
