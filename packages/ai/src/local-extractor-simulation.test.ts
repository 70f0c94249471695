// The built-in extractor's statistical claims, on synthetic vendor forms with known truth
// (local-extractor-docs.test-support.ts), over many seeds:
// 1. its per-field confidence, once learnt from labels, is calibrated: in every confidence bin the
//    share of right fields is within 3.29 standard deviations (two-sided 99.9%) of the bin's mean
//    confidence, the spread being the binomial's and the records' own uncertainty, and the expected
//    calibration error is below 0.02;
// 2. learning from corrections fixes a layout the rules read wrong (a vendor's own label after a
//    decoy of the same type), and the confidence says which is which.
import { sameFieldValue, valueAt } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { type Layout, vendorDocs, vendorFormFields } from './local-extractor-docs.test-support';
import { extractFields, learnExtractor } from './local-extractor-learning';

const SEEDS = Array.from({ length: 16 }, (_, i) => 1000 + i);

describe('the built-in extractor, simulated', () => {
  it('has calibrated field confidences after learning from labels (16 seeds, 250 labels each, 250 new forms)', () => {
    const bins = Array.from({ length: 10 }, () => ({ n: 0, confidence: 0, right: 0, recordVariance: 0 }));
    for (const seed of SEEDS) {
      const docs = vendorDocs(seed);
      const labels = Array.from({ length: 250 }, () => docs.next());
      const learned = learnExtractor(
        vendorFormFields,
        labels.map((d) => ({ text: d.text, value: d.truth })),
      );
      for (let i = 0; i < 250; i++) {
        const d = docs.next();
        for (const [path, r] of Object.entries(extractFields(learned, d.text))) {
          const bin = bins[Math.min(9, Math.floor(r.confidence * 10))] as (typeof bins)[number];
          const { a, b } = r.beta;
          bin.n++;
          bin.confidence += r.confidence;
          bin.recordVariance += (a * b) / ((a + b) ** 2 * (a + b + 1));
          if (sameFieldValue(r.value, valueAt(d.truth, path))) bin.right++;
        }
      }
    }
    const total = bins.reduce((s, b) => s + b.n, 0);
    let ece = 0;
    const checked: string[] = [];
    for (const [i, b] of bins.entries()) {
      if (b.n === 0) continue;
      const confidence = b.confidence / b.n;
      const accuracy = b.right / b.n;
      ece += (b.n / total) * Math.abs(accuracy - confidence);
      if (b.n < 30) continue; // too few to say anything
      // The share right varies around the confidence by the binomial's spread and by the
      // uncertainty of the records the confidence is measured on (their posterior variance, shared
      // by every reading of a pattern, so it does not shrink with the bin's size).
      const sd = Math.sqrt((confidence * (1 - confidence)) / b.n + b.recordVariance / b.n);
      const z = (accuracy - confidence) / sd;
      checked.push(
        `${i / 10}-${(i + 1) / 10}: ${b.right}/${b.n} right (${accuracy.toFixed(3)}), confidence ${confidence.toFixed(3)}, z ${z.toFixed(2)}`,
      );
      expect(Math.abs(z), checked.join('\n')).toBeLessThan(3.29); // two-sided 99.9%
    }
    // The forms mix easy fields, smudged values and misses: confidences must spread over several bins.
    expect(checked.length, checked.join('\n')).toBeGreaterThanOrEqual(5);
    expect(ece, checked.join('\n')).toBeLessThan(0.02);
  });

  it('learns from corrections to read a tax id the rules miss, and its confidence tells the two apart', () => {
    const rules = learnExtractor(vendorFormFields, []);
    for (const seed of SEEDS.slice(0, 8)) {
      const docs = vendorDocs(seed, 0);
      // What reviewers corrected: 150 forms of every layout (about 30 of the vendor-specific one).
      const corrected = Array.from({ length: 150 }, () => docs.next());
      const learned = learnExtractor(
        vendorFormFields,
        corrected.map((d) => ({ text: d.text, value: d.truth })),
      );
      const fresh = (layout: Layout) => Array.from({ length: 100 }, () => docs.next(layout));
      const tally = (extractor: typeof rules, forms: ReturnType<typeof fresh>) => {
        let right = 0;
        let confidence = 0;
        for (const d of forms) {
          const r = extractFields(extractor, d.text).taxId;
          if (r?.value === d.truth.taxId) right++;
          confidence += r?.confidence ?? 0;
        }
        return { accuracy: right / forms.length, confidence: confidence / forms.length };
      };
      const vendorSpecific = fresh('vendor-specific');
      const before = tally(rules, vendorSpecific);
      const after = tally(learned, vendorSpecific);
      // The rules take the first of two tax ids, the decoy: always wrong, and they say they are unsure.
      expect(before.accuracy).toBe(0);
      expect(before.confidence).toBeLessThan(0.5);
      // Learnt ("after 'reg no'", or "the last of several" where that measured well): right every
      // time (no smudges in these forms), and it says it is sure.
      expect(after.accuracy).toBe(1);
      expect(after.confidence).toBeGreaterThan(0.75);
      // Learning did not break the layout the rules already read.
      expect(tally(learned, fresh('standard')).accuracy).toBe(1);
    }
  });
});
