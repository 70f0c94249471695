// Certifying an auto-accept threshold: Learn then Test (Angelopoulos, Bates, Candès, Jordan, Lei,
// 2021) with fixed-sequence testing from the highest threshold down, each test an exact binomial
// (Clopper-Pearson) bound per stratum of audit probability. No I/O.
import { type ErrorBound, errorBound, labelsNeeded, type Stratum } from './bounds';

/** A decision of the population: its score, its audit probability and, if a person labelled it, whether the AI was wrong. */
export interface ScoredDecision {
  score: number;
  probability: number;
  wrong?: boolean | undefined;
}

export interface CandidateThreshold {
  /** Auto-accept when score >= threshold. */
  threshold: number;
  /** Share of the population at or above the threshold. */
  automation: number;
  bound: ErrorBound;
  /**
   * Whether its test was run: the walk starts at the first threshold that could pass at all (its
   * bound with no error at all is within the target: that depends on how many decisions were
   * labelled, never on which were wrong), and stops at the first failure.
   */
  tested: boolean;
  /** Reached, and its upper bound is at most the target. */
  passed: boolean;
}

export interface Certification {
  maxError: number;
  delta: number;
  /** The certified threshold, or null when none passed. */
  threshold: number | null;
  certified?: CandidateThreshold;
  candidates: CandidateThreshold[];
  /** Fair labels a state needs above its threshold, even with none wrong. */
  labelsNeeded: number;
  reason: string;
}

/**
 * Candidate thresholds, highest first: the population's distinct scores, thinned to at most
 * `max` by rank when there are more. They depend on the scores alone, never on the labels, so the
 * order of the tests is fixed before any error is counted.
 */
export function candidateThresholds(scores: readonly number[], max = 200): number[] {
  const distinct = [...new Set(scores.filter(Number.isFinite))].sort((a, b) => b - a);
  if (distinct.length <= max) return distinct;
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(distinct[Math.round((i * (distinct.length - 1)) / (max - 1))] as number);
  return [...new Set(out)];
}

/**
 * The lowest threshold whose upper confidence bound on the error among decisions at or above it
 * stays at or below `maxError`, found by testing thresholds from the highest down and stopping at
 * the first that fails: the family-wise error of the walk is at most `delta` with no correction,
 * because the order was fixed before seeing the labels. The walk starts at the highest threshold
 * that enough labels lie above to pass at all (with none wrong); thresholds above it are not
 * tested, which costs nothing, since they could not pass. Each test bounds the error of the
 * population above the threshold with exact per-stratum bounds (see `errorBound`).
 *
 * What it assumes: labelled decisions are drawn from their stratum with the recorded probability,
 * and the decisions to come are exchangeable with these (no drift; the drift guard watches that).
 *
 * @example
 * const c = certifyThreshold(decisions, { maxError: 0.01, delta: 0.05 });
 * c.threshold; // e.g. 2.31, or null
 */
export function certifyThreshold(
  decisions: readonly ScoredDecision[],
  options: { maxError: number; delta: number; maxCandidates?: number },
): Certification {
  const { maxError, delta } = options;
  const needed = labelsNeeded(maxError, delta);
  const sorted = [...decisions].filter((d) => Number.isFinite(d.score)).sort((a, b) => b.score - a.score);
  const thresholds = candidateThresholds(
    sorted.map((d) => d.score),
    options.maxCandidates,
  );
  const strata = new Map<number, Stratum>();
  const candidates: CandidateThreshold[] = [];
  let next = 0;
  let started = false;
  let reaching = true;
  let certified: CandidateThreshold | undefined;
  for (const threshold of thresholds) {
    while (next < sorted.length && (sorted[next] as ScoredDecision).score >= threshold) {
      const d = sorted[next++] as ScoredDecision;
      const s = strata.get(d.probability) ?? { probability: d.probability, population: 0, labelled: 0, wrong: 0 };
      s.population++;
      if (d.wrong !== undefined) {
        s.labelled++;
        if (d.wrong) s.wrong++;
      }
      strata.set(d.probability, s);
    }
    const current = [...strata.values()].map((s) => ({ ...s }));
    const bound = errorBound(current, delta, 1);
    if (!started)
      started =
        errorBound(
          current.map((s) => ({ ...s, wrong: 0 })),
          delta,
          1,
        ).upper <= maxError;
    const tested = started && reaching;
    const passed = tested && bound.upper <= maxError;
    candidates.push({ threshold, automation: next / Math.max(1, sorted.length), bound, tested, passed });
    if (passed) certified = candidates.at(-1);
    else if (tested) reaching = false;
  }
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
  let reason: string;
  if (certified) {
    const b = certified.bound;
    reason = `certified: auto-accept scores >= ${certified.threshold.toPrecision(4)} (${pct(certified.automation)} of decisions); error at most ${pct(maxError)} with ${pct(1 - delta)} confidence (upper bound ${pct(b.upper)} from ${b.labelled} fair labels, ${b.wrong} wrong)`;
  } else if (candidates.length === 0) {
    reason = 'not certified: no scored decisions to certify on';
  } else {
    const top = candidates[0] as CandidateThreshold;
    reason = `not certified: even at the highest score the upper bound on the error is ${pct(top.bound.upper)} > ${pct(maxError)} (${top.bound.labelled} fair labels, ${top.bound.wrong} wrong; at least ${needed} needed with none wrong)`;
  }
  return {
    maxError,
    delta,
    threshold: certified?.threshold ?? null,
    ...(certified ? { certified } : {}),
    candidates,
    labelsNeeded: needed,
    reason,
  };
}
