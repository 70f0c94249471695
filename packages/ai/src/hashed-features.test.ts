import { describe, expect, it } from 'vitest';
import { DEFAULT_FEATURE_CONFIG, hashedFeatures, namedFeatures, stableHash, textWords } from './hashed-features';

const MASK = (1 << DEFAULT_FEATURE_CONFIG.hashBits) - 1;

describe('stableHash', () => {
  it('is FNV-1a over the namespace and the code units, finished with fmix32 (known answers)', () => {
    // Computed independently (a Python FNV-1a + MurmurHash3 fmix32), not with this code.
    expect(stableHash(0x77, 'refund')).toBe(2110657200);
    expect(stableHash(0x62, 'refund refund')).toBe(209979026);
    expect(stableHash(0x63, ' re')).toBe(2504377563);
    expect(stableHash(0x77, '')).toBe(1701362178);
    expect(stableHash(0x77, 'xrefundx', 1, 7)).toBe(2110657200);
  });
});

describe('textWords', () => {
  it('lower-cases, normalises and keeps apostrophes inside words', () => {
    expect(textWords("Don't PANIC, 42!")).toEqual(["don't", 'panic', '42']);
    expect(textWords('ＡＢＣ')).toEqual(['abc']); // NFKC folds full-width letters
  });
});

describe('hashedFeatures', () => {
  it('weighs words and bigrams in one block and character n-grams in another, each of norm 1/√2', () => {
    const v = hashedFeatures('Refund refund');
    const at = (bucket: number) => v.values[v.indices.indexOf(bucket)];
    // Word block: "refund" twice (1 + ln 2), "refund refund" once (1).
    const wordNorm = Math.sqrt((1 + Math.LN2) ** 2 + 1);
    expect(at(135856)).toBeCloseTo(((1 + Math.LN2) / wordNorm) * Math.SQRT1_2, 12);
    expect(at(1682)).toBeCloseTo((1 / wordNorm) * Math.SQRT1_2, 12);
    // Character block: " refund " has 6 + 5 + 4 distinct 3-, 4- and 5-grams, each seen twice.
    expect(at(115931)).toBeCloseTo(Math.SQRT1_2 / Math.sqrt(15), 12);
    expect(v.indices.length).toBe(2 + 15);
    expect(v.values.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 12);
    expect([...v.indices]).toEqual([...v.indices].sort((a, b) => a - b));
  });

  it('gives no character n-grams for words longer than the limit, and nothing for an empty text', () => {
    const long = 'x'.repeat(DEFAULT_FEATURE_CONFIG.charNgramMaxWordLength + 1);
    expect(hashedFeatures(long).indices).toEqual(Int32Array.from([stableHash(0x77, long) & MASK]));
    expect(hashedFeatures('').indices.length).toBe(0);
  });

  it('leaves its shared counters clean: the same text gives the same vector after any other', () => {
    const before = hashedFeatures('where is my parcel');
    hashedFeatures('a completely different text, with many words and words again');
    expect(hashedFeatures('where is my parcel')).toEqual(before);
  });

  it('names its word and bigram features with their buckets', () => {
    const named = namedFeatures('money back');
    expect(named.words.map((w) => [w.feature, w.bucket])).toEqual([
      ['money', stableHash(0x77, 'money') & MASK],
      ['back', stableHash(0x77, 'back') & MASK],
    ]);
    expect(named.words[0]?.charBuckets).toContain(stableHash(0x63, ' mo') & MASK);
    expect(named.bigrams).toEqual([{ feature: 'money back', bucket: stableHash(0x62, 'money back') & MASK }]);
  });
});
