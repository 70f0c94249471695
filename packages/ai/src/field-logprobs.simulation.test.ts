// Simulation: per-field log-probability confidence is honest when the model is. Each item is a
// structured answer generated token by token from a known model (a free string of three tokens, an
// enum among three options with some mass on tokens the strict schema rules out, a number whose
// closing token competes with one more digit, and uncertain layout tokens that change no value);
// the answer is the greedy one and the truth is drawn from the same model. Then a field's
// confidence must match how often the answer is right, and so must the product over fields for
// the whole record. Over many seeds: expected calibration error small, and each confidence bin's
// accuracy within a binomial interval of its mean confidence.
import type { FieldSpec } from '@signoff/core';
import { describe, expect, it } from 'vitest';
import { fieldConfidenceFromLogprobs } from './field-logprobs';
import { jsonValueSpans } from './json-value-spans';
import { type TokenLogprob, tokenSpans } from './label-confidence';
import { mulberry32 } from './seeded-random';

type Dist = [token: string, p: number][];

const token = (chosen: string, dist: Dist): TokenLogprob => ({
  token: chosen,
  bytes: null,
  logprob: Math.log(dist.find(([t]) => t === chosen)?.[1] ?? 0),
  top_logprobs: dist.map(([t, p]) => ({ token: t, bytes: null, logprob: Math.log(p) })),
});

/** A distribution with `top` on the first token and the rest spread at random over the others. */
function spread(random: () => number, tokens: string[], top: number): Dist {
  const weights = tokens.slice(1).map(() => random() + 0.05);
  const sum = weights.reduce((a, b) => a + b, 0);
  return [
    [tokens[0] as string, top],
    ...weights.map((w, i) => [tokens[i + 1], ((1 - top) * w) / sum] as [string, number]),
  ];
}

function draw(random: () => number, dist: Dist): string {
  let u = random() * dist.reduce((s, [, p]) => s + p, 0);
  for (const [t, p] of dist) {
    u -= p;
    if (u <= 0) return t;
  }
  return dist[dist.length - 1]?.[0] as string;
}

const OPTIONS = ['llc', 'corp', 'sole'];
const FIELDS: Record<string, FieldSpec> = {
  s: { path: 's', name: 's', type: 'string', optional: false },
  kind: { path: 'kind', name: 'kind', type: 'enum', optional: false, options: OPTIONS },
  n: { path: 'n', name: 'n', type: 'number', optional: false },
};

/** One generated answer: the confidence the provider would give each field, and whether it is right. */
function item(random: () => number) {
  const tokens: TokenLogprob[] = [];
  const right: Record<string, boolean> = {};
  // Layout: uncertain, but every alternative spells the same values.
  const layout = (t: string) =>
    tokens.push(
      token(t, [
        [t, 0.7],
        [` ${t}`, 0.3],
      ]),
    );
  layout('{"s":"');
  right.s = true;
  for (const piece of ['a', 'b', 'c']) {
    const dist = spread(random, [`${piece}1`, `${piece}2`, `${piece}3`], 0.45 + 0.55 * random());
    tokens.push(token(dist[0]?.[0] as string, dist));
    if (draw(random, dist) !== dist[0]?.[0]) right.s = false;
  }
  tokens.push(token('"', [['"', 1]]));
  layout(',"kind":"');
  // The enum: the greedy option, the others, and junk the strict schema rules out (never the truth).
  const options = [...OPTIONS].sort(() => random() - 0.5);
  const optionDist = spread(random, options, 0.35 + 0.6 * random());
  const junk = 0.2 * random();
  const shown: Dist = [...optionDist.map(([t, p]) => [t, p * (1 - junk)] as [string, number]), ['zz', junk]];
  tokens.push(token(options[0] as string, shown));
  right.kind = draw(random, optionDist) === options[0];
  tokens.push(token('"', [['"', 1]]));
  layout(',"n":');
  const digits = spread(random, ['12', '47', '90'], 0.5 + 0.5 * random());
  tokens.push(token('12', digits));
  const close = 0.5 + 0.5 * random();
  tokens.push(
    token('}', [
      ['}', close],
      ['3', 1 - close],
    ]),
  );
  right.n =
    draw(random, digits) === '12' &&
    draw(random, [
      ['}', close],
      ['3', 1 - close],
    ]) === '}';

  const content = tokens.map((t) => t.token).join('');
  const spans = tokenSpans(content, tokens);
  const values = jsonValueSpans(content);
  if (!spans || !values) throw new Error(`not JSON: ${content}`);
  const confidence: Record<string, number> = {};
  for (const [path, field] of Object.entries(FIELDS)) {
    const c = fieldConfidenceFromLogprobs(
      content,
      spans,
      values.get(path) as NonNullable<ReturnType<typeof values.get>>,
      field,
    );
    confidence[path] = c?.confidence ?? Number.NaN;
  }
  return { confidence, right };
}

/**
 * Calibration of (confidence, right) pairs: ECE over 10 bins, and the bins (of 30 items or more)
 * whose accuracy is off by more than 4.5 standard errors: some 800 bins are checked, so a bound of 3
 * would flag one by chance now and then (4.5: about one run in 200).
 */
function calibration(pairs: { c: number; ok: boolean }[]) {
  const bins = Array.from({ length: 10 }, () => ({ n: 0, c: 0, ok: 0 }));
  for (const { c, ok } of pairs) {
    const b = bins[Math.min(9, Math.floor(c * 10))] as { n: number; c: number; ok: number };
    b.n++;
    b.c += c;
    b.ok += ok ? 1 : 0;
  }
  let ece = 0;
  const off: string[] = [];
  for (const [i, b] of bins.entries()) {
    if (b.n === 0) continue;
    const mean = b.c / b.n;
    const accuracy = b.ok / b.n;
    ece += (b.n / pairs.length) * Math.abs(accuracy - mean);
    const se = Math.sqrt(Math.max(mean * (1 - mean), 0.01) / b.n);
    if (b.n >= 30 && Math.abs(accuracy - mean) > 4.5 * se) off.push(`bin ${i}: ${accuracy} vs ${mean} (n ${b.n})`);
  }
  return { ece, off };
}

describe('per-field log-probability confidence (simulation)', () => {
  it('matches how often each field, and the whole record, is right, over 20 seeds', () => {
    const pooled: Record<string, { c: number; ok: boolean }[]> = {};
    for (let seed = 1; seed <= 20; seed++) {
      const random = mulberry32(seed);
      const items = Array.from({ length: 2000 }, () => item(random));
      for (const path of [...Object.keys(FIELDS), 'record']) {
        const pairs = items.map(({ confidence, right }) =>
          path === 'record'
            ? { c: Object.values(confidence).reduce((a, b) => a * b, 1), ok: Object.values(right).every(Boolean) }
            : { c: confidence[path] as number, ok: right[path] as boolean },
        );
        const { ece, off } = calibration(pairs);
        expect(ece, `seed ${seed}, ${path}`).toBeLessThan(0.06);
        expect(off, `seed ${seed}, ${path}`).toEqual([]);
        pooled[path] = [...(pooled[path] ?? []), ...pairs];
      }
    }
    // 40,000 items per field: pooled ECE from chance alone is about 0.006; a bias of a couple of points would show.
    for (const [path, pairs] of Object.entries(pooled)) expect(calibration(pairs).ece, path).toBeLessThan(0.015);
  });
});
