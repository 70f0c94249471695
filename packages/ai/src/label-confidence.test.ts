import { describe, expect, it } from 'vitest';
import { labelConfidenceFromLogprobs, type TokenLogprob } from './label-confidence';

type Alt = [token: string, logprob: number];
const tok = (token: string, logprob = 0, alts: Alt[] = []): TokenLogprob => ({
  token,
  bytes: [...Buffer.from(token, 'utf8')],
  logprob,
  top_logprobs: [[token, logprob] as Alt, ...alts].map(([t, lp]) => ({
    token: t,
    bytes: [...Buffer.from(t)],
    logprob: lp,
  })),
});
const spell = (tokens: TokenLogprob[]) => tokens.map((t) => t.token).join('');
const LABELS = ['refund', 'replace', 'other'];

describe('labelConfidenceFromLogprobs', () => {
  it('multiplies the probabilities of the tokens that spell the label', () => {
    const tokens = [
      tok('{"'),
      tok('label'),
      tok('":"'),
      tok('ref', Math.log(0.8)),
      tok('und', Math.log(0.9)),
      tok('"}'),
    ];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    expect(c?.labelTokens).toEqual(['ref', 'und', '"}']); // the closing quote's token too
    expect(c?.jointProbability).toBeCloseTo(0.72, 12);
    expect(c?.confidence).toBeCloseTo(1, 12); // no competitor listed: all mass among labels is ours
    expect(c?.score).toBe(Number.POSITIVE_INFINITY);
  });

  it('renormalises against alternatives that start other allowed labels, ignoring the rest', () => {
    const first = tok('ref', Math.log(0.7), [
      ['rep', Math.log(0.2)], // starts "replace"
      ['oth', Math.log(0.05)], // starts "other"
      ['xyz', Math.log(0.04)], // starts no label: impossible under the schema
    ]);
    const tokens = [tok('{"label":"'), first, tok('und"', Math.log(0.5)), tok('}')];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    const joint = 0.7 * 0.5;
    expect(c?.jointProbability).toBeCloseTo(joint, 12);
    expect(c?.competitors.map((x) => x.labels)).toEqual([['replace'], ['other']]);
    expect(c?.confidence).toBeCloseTo(joint / (joint + 0.2 + 0.05), 12);
    expect(c?.score).toBeCloseTo(Math.log(joint / 0.25), 12);
  });

  it('handles a first token that also carries the opening quote, in any JSON layout', () => {
    const first = tok(' "ref', Math.log(0.6), [
      [' "oth', Math.log(0.2)],
      ['"oth', Math.log(0.1)], // no space after the colon: the same JSON, also "other"
      ['  ', Math.log(0.06)], // more space: the value starts later, any label may follow
      ['"x', Math.log(0.04)], // starts no label: impossible under the schema
    ]);
    const tokens = [tok('{"label":'), first, tok('und'), tok('"}')];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    expect(c?.competitors.map((x) => [x.token, x.labels, x.undetermined ?? false])).toEqual([
      [' "oth', ['other'], false],
      ['"oth', ['other'], false],
      ['  ', ['replace', 'other'], true],
    ]);
    expect(c?.confidence).toBeCloseTo(0.6 / (0.6 + 0.2 + 0.1 + 0.06), 12);
  });

  it('counts the whole probability of labels that share their first tokens (refund / refund_partial)', () => {
    // P(ref) = 0.9, P(und | ref) = 1, then the closing quote 0.5 against "_partial" 0.5; "oth" 0.1 at
    // the start. refund: 0.9 x 1 x 0.5 = 0.45; refund_partial: 0.9 x 1 x 0.5 = 0.45; other: 0.1.
    // Looking at the first token only, refund got 0.9 / (0.9 + 0.1) = 0.9.
    const labels = ['refund', 'refund_partial', 'other'];
    const tokens = [
      tok('{"label":"'),
      tok('ref', Math.log(0.9), [['oth', Math.log(0.1)]]),
      tok('und'),
      tok('"', Math.log(0.5), [['_partial', Math.log(0.5)]]),
      tok(',"rationale":"x"}'),
    ];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', labels);
    expect(c?.labelTokens).toEqual(['ref', 'und', '"']);
    expect(c?.jointProbability).toBeCloseTo(0.45, 12);
    expect(c?.competitors).toEqual([
      { token: 'oth', position: 0, probability: expect.closeTo(0.1, 12), labels: ['other'] },
      { token: '_partial', position: 2, probability: expect.closeTo(0.45, 12), labels: ['refund_partial'] },
    ]);
    expect(c?.confidence).toBeCloseTo(0.45, 12);
    expect(c?.score).toBeCloseTo(Math.log(0.45 / 0.55), 12);

    // The longer label, chosen: "refund" ending early (the quote after "und") competes with it.
    const partial = [
      tok('{"label":"'),
      tok('ref', Math.log(0.9), [['oth', Math.log(0.1)]]),
      tok('und'),
      tok('_partial', Math.log(0.5), [['"', Math.log(0.5)]]),
      tok('","rationale":"x"}'),
    ];
    const p = labelConfidenceFromLogprobs(spell(partial), partial, 'refund_partial', labels);
    expect(p?.labelTokens).toEqual(['ref', 'und', '_partial', '","rationale":"x"}']);
    expect(p?.competitors.map((x) => [x.token, x.labels, x.probability])).toEqual([
      ['oth', ['other'], expect.closeTo(0.1, 12)],
      ['"', ['refund'], expect.closeTo(0.45, 12)],
    ]);
    expect(p?.confidence).toBeCloseTo(0.45, 12);
  });

  it('counts a bare opening quote, after which any label may start, against the chosen label', () => {
    // The chosen token '"ref' carries the opening quote; the alternative '"' stops before the value.
    const tokens = [
      tok('{"label":'),
      tok('"ref', Math.log(0.7), [
        ['"', Math.log(0.2)],
        ['"oth', Math.log(0.1)],
      ]),
      tok('und"}'),
    ];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    expect(c?.competitors).toEqual([
      {
        token: '"',
        position: 0,
        probability: expect.closeTo(0.2, 12),
        labels: ['replace', 'other'],
        undetermined: true,
      },
      { token: '"oth', position: 0, probability: expect.closeTo(0.1, 12), labels: ['other'] },
    ]);
    expect(c?.confidence).toBeCloseTo(0.7 / 1.0, 12);
    expect(c?.score).toBeCloseTo(Math.log(0.7 / 0.3), 12);
  });

  it('ranks a label of probability 0 lowest, never NaN', () => {
    const tokens = [
      tok('{"label":"'),
      tok('refund', Number.NEGATIVE_INFINITY, [['other', Number.NEGATIVE_INFINITY]]),
      tok('"}'),
    ];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    expect(c).toMatchObject({ confidence: 0, score: Number.NEGATIVE_INFINITY });
  });

  it('scores without rounding where the confidence rounds to 1', () => {
    const tokens = [tok('{"label":"'), tok('refund', 0, [['other', -60]]), tok('"}')];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    expect(c?.confidence).toBe(1);
    expect(c?.score).toBeCloseTo(60, 12);
  });

  it('counts an alternative that could start the chosen label or another one against the chosen label', () => {
    const first = tok('refund', Math.log(0.5), [['re', Math.log(0.4)]]);
    const tokens = [tok('{"label":"'), first, tok('"}')];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    expect(c?.competitors[0]?.labels).toEqual(['replace']);
    expect(c?.confidence).toBeCloseTo(0.5 / 0.9, 12);
  });

  it('finds the label by bytes when a multi-byte character is split across tokens', () => {
    const labels = ['café', 'bar'];
    const e = [...Buffer.from('é')];
    const tokens: TokenLogprob[] = [
      tok('{"label":"'),
      tok('caf', Math.log(0.9), [['bar', Math.log(0.1)]]),
      { token: 'bytes:\\xc3', bytes: [e[0] as number], logprob: 0, top_logprobs: [] },
      { token: 'bytes:\\xa9', bytes: [e[1] as number], logprob: 0, top_logprobs: [] },
      tok('"}'),
    ];
    const c = labelConfidenceFromLogprobs('{"label":"café"}', tokens, 'café', labels);
    expect(c?.labelTokens).toHaveLength(4);
    expect(c?.confidence).toBeCloseTo(0.9, 12);
  });

  it('ignores a "label" key quoted inside another string', () => {
    const content = '{"rationale":"the \\"label\\":\\"other\\" is wrong","label":"refund"}';
    const tokens = [tok(content.slice(0, -8)), tok('refund', Math.log(0.25)), tok('"}')];
    expect(spell(tokens)).toBe(content);
    expect(labelConfidenceFromLogprobs(content, tokens, 'refund', LABELS)?.jointProbability).toBeCloseTo(0.25, 12);
  });

  it('gives up (undefined) when the tokens do not spell the content or the label is elsewhere', () => {
    const tokens = [tok('{"label":"'), tok('refund'), tok('"}')];
    expect(labelConfidenceFromLogprobs('{"label":"other"}', tokens, 'other', LABELS)).toBeUndefined();
    expect(labelConfidenceFromLogprobs(spell(tokens), tokens, 'other', LABELS)).toBeUndefined();
    expect(labelConfidenceFromLogprobs('{"x":1}', [tok('{"x":1}')], 'refund', LABELS)).toBeUndefined();
  });
});
