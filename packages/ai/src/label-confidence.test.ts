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
    expect(c?.labelTokens).toEqual(['ref', 'und']);
    expect(c?.jointProbability).toBeCloseTo(0.72, 12);
    expect(c?.confidence).toBeCloseTo(1, 12); // no competitor listed: all mass among labels is ours
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
  });

  it('handles a first token that also carries the opening quote', () => {
    const first = tok(' "ref', Math.log(0.6), [
      [' "oth', Math.log(0.3)],
      ['"oth', Math.log(0.1)],
    ]);
    const tokens = [tok('{"label":'), first, tok('und'), tok('"}')];
    const c = labelConfidenceFromLogprobs(spell(tokens), tokens, 'refund', LABELS);
    // '"oth' does not share the ' "' prefix, so it is a different layout, not a competing label.
    expect(c?.competitors.map((x) => x.token)).toEqual([' "oth']);
    expect(c?.confidence).toBeCloseTo(0.6 / 0.9, 12);
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
    expect(c?.labelTokens).toHaveLength(3);
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
