import { describe, expect, it } from 'vitest';
import { countCorrect, decidePromotion, holdoutOutcomes, isHoldout, trainCandidate } from './local-training';
import { NaiveBayesClassifier } from './naive-bayes';

const LABELS = ['refund', 'shipping'];
const EXAMPLES = Array.from({ length: 40 }, (_, i) =>
  i % 2 === 0
    ? { text: `I want a refund for order ${i}`, label: 'refund' }
    : { text: `Where is my parcel number ${i}`, label: 'shipping' },
);

/** Paired outcomes on one holdout: both right, only the candidate (b), only the baseline (c), neither. */
function paired(counts: { both: number; b: number; c: number; neither: number }) {
  const rows = [
    ...Array<[boolean, boolean]>(counts.both).fill([true, true]),
    ...Array<[boolean, boolean]>(counts.b).fill([true, false]),
    ...Array<[boolean, boolean]>(counts.c).fill([false, true]),
    ...Array<[boolean, boolean]>(counts.neither).fill([false, false]),
  ];
  return { candidate: rows.map((r) => r[0]), baseline: rows.map((r) => r[1]) };
}

function decide(counts: { both: number; b: number; c: number; neither: number }, options = {}, holdoutFree = true) {
  const { candidate, baseline } = paired(counts);
  return decidePromotion(
    { outcomes: candidate, holdoutSize: candidate.length },
    { version: 3, outcomes: baseline, holdoutFree },
    options,
  );
}

/** A seeded generator (an LCG), so every simulated run is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

describe('decidePromotion', () => {
  it('promotes the first version of an agent', () => {
    expect(decidePromotion({ outcomes: [true, false], holdoutSize: 2 }, undefined)).toEqual({
      promoted: true,
      forced: false,
      reason: 'no active version to compare with',
      baselineAccuracy: null,
      mcnemar: null,
    });
  });

  it('promotes only on an exact McNemar p <= 0.05, not on more right answers', () => {
    // 5 more right answers of 67, but on 9 discordant pairs: p = 46/512 = 0.0898.
    expect(decide({ both: 50, b: 7, c: 2, neither: 8 })).toEqual({
      promoted: false,
      forced: false,
      baselineAccuracy: 52 / 67,
      mcnemar: { b: 7, c: 2, pValue: 46 / 512, alpha: 0.05 },
      reason:
        'does not beat v3 on the same 67 held-out examples at p <= 0.05: 57 right (0.851) vs 52 (0.776); ' +
        'exact McNemar: 7 right only by the candidate, 2 only by v3, one-sided p = 0.0898',
    });
    // 8 more of 67 on 12 discordant pairs: p = 79/4096 = 0.0193.
    expect(decide({ both: 48, b: 10, c: 2, neither: 7 })).toMatchObject({
      promoted: true,
      forced: false,
      mcnemar: { b: 10, c: 2, pValue: 79 / 4096, alpha: 0.05 },
      reason:
        'beats v3 on the same 67 held-out examples at p <= 0.05: 58 right (0.866) vs 50 (0.746); ' +
        'exact McNemar: 10 right only by the candidate, 2 only by v3, one-sided p = 0.0193',
    });
    expect(decide({ both: 60, b: 1, c: 0, neither: 6 }).promoted).toBe(false); // one more right: p = 0.5
    expect(decide({ both: 60, b: 0, c: 0, neither: 7 }).mcnemar?.pValue).toBe(1); // identical models
    expect(decide({ both: 40, b: 2, c: 9, neither: 16 }).promoted).toBe(false);
  });

  it('takes the level as an option', () => {
    expect(decide({ both: 50, b: 7, c: 2, neither: 8 }, { alpha: 0.1 })).toMatchObject({
      promoted: true,
      mcnemar: { pValue: 46 / 512, alpha: 0.1 },
    });
    expect(decide({ both: 48, b: 10, c: 2, neither: 7 }, { alpha: 0.01 }).promoted).toBe(false);
    expect(() => decide({ both: 1, b: 0, c: 0, neither: 0 }, { alpha: 0 })).toThrow(/alpha must be in \(0, 1\)/);
  });

  it('refuses a candidate without a holdout to show it is better, unless forced, and says so', () => {
    const baseline = { version: 1, outcomes: [], holdoutFree: true };
    expect(decidePromotion({ outcomes: null, holdoutSize: 0 }, baseline)).toMatchObject({
      promoted: false,
      reason: 'no held-out examples to compare with v1 on',
      mcnemar: null,
    });
    expect(decidePromotion({ outcomes: null, holdoutSize: 0 }, baseline, { force: true })).toMatchObject({
      promoted: true,
      forced: true,
      reason: 'forced (force): no held-out examples to compare with v1 on',
    });
  });

  it('flags a baseline evaluated with its full model', () => {
    const d = decide({ both: 5, b: 0, c: 1, neither: 4 }, {}, false);
    expect(d.reason).toMatch(/^does not beat v3 .*; v3 has no holdout-free model stored/);
  });
});

describe('promotion, simulated over many seeds', () => {
  /**
   * Two classifiers of the same accuracy on a 200-example holdout, their errors correlated as real
   * models' are (both get the easy examples right): 70% easy (each right with probability 0.97),
   * 30% hard (each right with probability 0.6). Both have accuracy 0.859.
   */
  function run(seed: number, candidateHard: number, candidateEasy = 0.97) {
    const rnd = random(seed);
    const candidate: boolean[] = [];
    const baseline: boolean[] = [];
    for (let i = 0; i < 200; i++) {
      const easy = rnd() < 0.7;
      candidate.push(rnd() < (easy ? candidateEasy : candidateHard));
      baseline.push(rnd() < (easy ? 0.97 : 0.6));
    }
    return { candidate, baseline };
  }
  const RUNS = 2000;
  // 5% of the runs, plus three binomial standard deviations for the count of runs.
  const MARGIN = RUNS * 0.05 + 3 * Math.sqrt(RUNS * 0.05 * 0.95);

  it('promotes an equally good candidate in at most 5% (+ margin) of runs, where "more right" promoted ~44%', () => {
    let promoted = 0;
    let moreRight = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      const { candidate, baseline } = run(seed, 0.6);
      const d = decidePromotion(
        { outcomes: candidate, holdoutSize: 200 },
        { version: 1, outcomes: baseline, holdoutFree: true },
      );
      if (d.promoted) promoted++;
      if (candidate.filter(Boolean).length > baseline.filter(Boolean).length) moreRight++;
    }
    console.info(
      `equal models: McNemar promoted ${promoted} of ${RUNS}, "more right" would have promoted ${moreRight}`,
    );
    expect(promoted).toBeLessThanOrEqual(MARGIN);
    // The simulation can tell a bad rule: the old one fails it by far.
    expect(moreRight).toBeGreaterThan(RUNS * 0.35);
  });

  it('promotes a clearly better candidate (0.96 against 0.86) in nearly every run', () => {
    const promotions = (hard: number) => {
      let promoted = 0;
      for (let seed = 1; seed <= 500; seed++) {
        const { candidate, baseline } = run(seed, hard);
        const d = decidePromotion(
          { outcomes: candidate, holdoutSize: 200 },
          { version: 1, outcomes: baseline, holdoutFree: true },
        );
        if (d.promoted) promoted++;
      }
      return promoted;
    };
    const clearly = promotions(0.95);
    // The price of the guarantee: a smaller gain (0.92 against 0.86) needs more held-out examples.
    console.info(`better models: promoted ${clearly} of 500 at +10 points, ${promotions(0.8)} of 500 at +6 points`);
    expect(clearly).toBeGreaterThanOrEqual(0.95 * 500);
  });
});

describe('trainCandidate', () => {
  it('measures on the holdout with a model that never saw it, then serves with one trained on everything', () => {
    const c = trainCandidate(EXAMPLES, LABELS);
    const holdout = EXAMPLES.filter((e) => isHoldout(e.text));
    expect(holdout.length).toBeGreaterThan(0);
    expect(c.holdout).toEqual(holdout);
    expect(c.outcomes).toHaveLength(holdout.length);
    expect(c.correct).toBe(c.outcomes?.filter(Boolean).length);
    expect(c.metrics).toEqual({
      holdoutAccuracy: (c.correct ?? Number.NaN) / holdout.length,
      holdoutSize: holdout.length,
      trainSize: EXAMPLES.length - holdout.length,
    });
    expect(c.evaluation?.exampleCount).toBe(EXAMPLES.length - holdout.length);
    expect(c.final.exampleCount).toBe(EXAMPLES.length);
    expect(c.final.kind).toBe('softmax-regression');
  });
});

describe('countCorrect and holdoutOutcomes', () => {
  it('choose among the labels the classifier knows and count the rest as wrong', () => {
    const nb = NaiveBayesClassifier.train(EXAMPLES, LABELS);
    const examples = [
      { text: 'refund please', label: 'refund' },
      { text: 'parcel lost', label: 'shipping' },
      { text: 'newsletter?', label: 'other' },
    ];
    expect(holdoutOutcomes(nb, examples, [...LABELS, 'other'])).toEqual([true, true, false]);
    expect(countCorrect(nb, examples, [...LABELS, 'other'])).toBe(2);
    expect(holdoutOutcomes(nb, examples, ['other'])).toEqual([false, false, false]);
  });
});
