// Certified fields on data with known truth: each leaf field of a structured decision has its own
// score and its own error curve, a field is wrong when the reviewer changed it, and the certified
// threshold of each field must keep that field's true risk within the target.
import { describe, expect, it } from 'vitest';
import { certifyThreshold } from './certification';
import { type FieldLabelRow, fieldDecisions, fieldWrong } from './field-labels';
import { allowedFailures, seeded } from './random.fixtures';

/**
 * Field f's score is uniform on (0, 1) and it is wrong with probability c_f (1 - s)^4, so its risk
 * among decisions scoring at least t is R_f(t) = c_f (1 - t)^4 / 5, known exactly.
 */
const ERROR_SCALE = { amount: 0.3, taxId: 0.1, name: 0.6 } as const;
type Field = keyof typeof ERROR_SCALE;
const FIELDS = Object.keys(ERROR_SCALE) as Field[];
const trueRisk = (field: Field, t: number) => (ERROR_SCALE[field] * (1 - Math.max(0, Math.min(1, t))) ** 4) / 5;
/** The lowest threshold with R_f(t) <= maxError, and the automation it gives: the best any threshold could do. */
const bestAutomation = (field: Field, maxError: number) => Math.min(1, ((5 * maxError) / ERROR_SCALE[field]) ** 0.25);

const MAX_ERROR = 0.01;
const DELTA = 0.05;
const DECISIONS = 15_000;
const SEEDS = 200;
/** Before any certificate: a decision with a field scoring below this went to a person; the rest were audited at AUDIT_RATE. */
const REVIEW_BELOW = 0.3;
const AUDIT_RATE = 0.2;

interface SimulatedDecision {
  id: string;
  scores: Record<Field, number>;
  wrong: Record<Field, boolean>;
  probability: number;
  labelled: boolean;
}

/**
 * One history of a structured state before any field is certified: a decision with any field
 * scoring below REVIEW_BELOW went to a person (drawn with probability 1, the fixed thresholds of
 * `policy.fields`); the rest were auto-accepted and audited at AUDIT_RATE. A reviewer changes exactly the fields the AI got wrong.
 */
function simulate(seed: number): SimulatedDecision[] {
  const rnd = seeded(seed);
  return Array.from({ length: DECISIONS }, (_, i) => {
    const scores = {} as Record<Field, number>;
    const wrong = {} as Record<Field, boolean>;
    for (const f of FIELDS) {
      const s = rnd();
      scores[f] = s;
      wrong[f] = rnd() < ERROR_SCALE[f] * (1 - s) ** 4;
    }
    const routed = FIELDS.some((f) => scores[f] < REVIEW_BELOW);
    const probability = routed ? 1 : AUDIT_RATE;
    return { id: `d${i}`, scores, wrong, probability, labelled: rnd() < probability };
  });
}

/** What the database gives for one field: the field's score and the final label's `changed_fields`. */
function rowsFor(decisions: readonly SimulatedDecision[], field: Field): FieldLabelRow[] {
  return decisions.map((d) => ({
    id: d.id,
    score: d.scores[field],
    probability: d.probability,
    changedFields: d.labelled ? FIELDS.filter((f) => d.wrong[f]) : null,
  }));
}

describe('fieldWrong', () => {
  it('is wrong only when the reviewer changed that field, and unknown without a field-level label', () => {
    expect(fieldWrong(['amount', 'vendor.taxId'], 'vendor.taxId')).toBe(true);
    expect(fieldWrong(['vendor.taxId'], 'vendor')).toBe(false);
    expect(fieldWrong([], 'amount')).toBe(false);
    expect(fieldWrong(null, 'amount')).toBeUndefined();
    expect(fieldWrong(undefined, 'amount')).toBeUndefined();
  });

  it('keeps unlabelled decisions in the population, not as right answers', () => {
    const rows: FieldLabelRow[] = [
      { id: 'a', score: 3, probability: 0.1, changedFields: null },
      { id: 'b', score: 2, probability: 1, changedFields: ['amount'] },
      { id: 'c', score: 1, probability: 1, changedFields: ['name'] },
    ];
    expect(fieldDecisions(rows, 'amount')).toEqual([
      { id: 'a', score: 3, probability: 0.1 },
      { id: 'b', score: 2, probability: 1, wrong: true },
      { id: 'c', score: 1, probability: 1, wrong: false },
    ]);
  });
});

describe('per-field certification over many seeds', () => {
  it('keeps each field within its target, and certifies most of what is safe to automate', () => {
    const failures: Record<Field, number[]> = { amount: [], taxId: [], name: [] };
    const automation: Record<Field, number[]> = { amount: [], taxId: [], name: [] };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const decisions = simulate(seed);
      for (const field of FIELDS) {
        const c = certifyThreshold(fieldDecisions(rowsFor(decisions, field), field), {
          maxError: MAX_ERROR,
          delta: DELTA,
        });
        if (c.threshold !== null && trueRisk(field, c.threshold) > MAX_ERROR) failures[field].push(seed);
        automation[field].push(c.certified?.automation ?? 0);
      }
    }
    for (const field of FIELDS) {
      // At most delta of the runs certify a threshold whose true risk is above the target (up to a binomial margin).
      expect({ field, failures: failures[field].length }).toEqual({
        field,
        failures: Math.min(failures[field].length, allowedFailures(DELTA, SEEDS)),
      });
      // And the guarantee is not bought by certifying little: the median run automates at least
      // 75% of what the best threshold (known only from the truth) would.
      const sorted = [...automation[field]].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] as number;
      expect({ field, median: median >= 0.75 * bestAutomation(field, MAX_ERROR) }).toEqual({ field, median: true });
    }
    // The fields differ: the safest one is automated most, the riskiest least.
    const medianOf = (f: Field) => [...automation[f]].sort((a, b) => a - b)[Math.floor(SEEDS / 2)] as number;
    expect(medianOf('taxId')).toBeGreaterThan(medianOf('amount'));
    expect(medianOf('amount')).toBeGreaterThan(medianOf('name'));
  });

  it('the closed forms the test relies on', () => {
    // R_f(t) = c (1 - t)^4 / 5: at t = 0 the average error of field f is c / 5.
    expect(trueRisk('name', 0)).toBeCloseTo(0.12, 12);
    // The best threshold of taxId: 0.1 (1 - t)^4 / 5 = 0.01 at (1 - t) = 0.5^(1/4).
    expect(bestAutomation('taxId', 0.01)).toBeCloseTo(0.8409, 4);
    // Empirically, on one large history, the error among decisions with amount >= 0.5 is R(0.5).
    const decisions = simulate(99);
    const above = decisions.filter((d) => d.scores.amount >= 0.5);
    const rate = above.filter((d) => d.wrong.amount).length / above.length;
    expect(Math.abs(rate - trueRisk('amount', 0.5))).toBeLessThan(0.006);
  });
});
