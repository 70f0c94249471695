// Text to a sparse vector in a fixed hash space: what the softmax regression model reads.

/** How a text becomes features; stored with every model, so a model always reads texts its way. */
export interface HashedFeatureConfig {
  /** The hash space has 2^hashBits buckets. */
  hashBits: number;
  /** Character n-grams within words (padded with a space on each side), of these lengths. */
  charNgramMin: number;
  charNgramMax: number;
  /** Words longer than this give no character n-grams (base64 runs, hashes): only a word feature. */
  charNgramMaxWordLength: number;
}

export const DEFAULT_FEATURE_CONFIG: Readonly<HashedFeatureConfig> = Object.freeze({
  hashBits: 18,
  charNgramMin: 3,
  charNgramMax: 5,
  charNgramMaxWordLength: 30,
});

/** A sparse vector: ascending distinct bucket indices and their values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float64Array;
}

/**
 * The words of a text: NFKC-normalised, lower-cased runs of letters and digits, keeping apostrophes
 * inside words ("don't").
 *
 * @example
 * textWords("Don't PANIC, 42!"); // ["don't", 'panic', '42']
 */
export function textWords(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? []
  );
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
// Namespaces keep a word, a bigram and a character n-gram with the same spelling apart.
const WORD = 0x77; // 'w'
const BIGRAM = 0x62; // 'b'
const CHARS = 0x63; // 'c'

/**
 * 32-bit FNV-1a over a namespace code and the UTF-16 code units of `s[start, end)`, finished with
 * MurmurHash3's fmix32 so that the low bits (the bucket) depend on every input bit. Stable across
 * platforms and releases: stored models depend on it, so it must never change.
 *
 * @example
 * stableHash(0x77, 'refund'); // the same number on every machine, forever
 */
export function stableHash(namespace: number, s: string, start = 0, end = s.length): number {
  let h = Math.imul(FNV_OFFSET ^ namespace, FNV_PRIME);
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return fmix32(h);
}

function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The readable features of a text and their buckets: word unigrams and bigrams (for `evidence`),
 * and, per word, the buckets of its character n-grams.
 */
export interface NamedFeatures {
  words: { feature: string; bucket: number; charBuckets: number[] }[];
  bigrams: { feature: string; bucket: number }[];
}

/**
 * Hashed features of a text: word unigrams and adjacent-word bigrams in one block, character n-grams
 * within words (3 to 5 characters of the word padded with spaces: " refund " gives " re", "ref", ...)
 * in another. Counts become sublinear term frequencies (1 + ln count); each block is scaled to an L2
 * norm of 1/√2, so the vector has norm 1 and long texts weigh no more than short ones. Colliding
 * features add up. Pure and deterministic.
 *
 * @example
 * const v = hashedFeatures('Money back, please');
 * v.indices.length; // distinct buckets hit
 */
export function hashedFeatures(text: string, config: HashedFeatureConfig = DEFAULT_FEATURE_CONFIG): SparseVector {
  const mask = bucketMask(config);
  const scratch = scratchFor(config.hashBits);
  const words: Touched = { buckets: [], counts: scratch.wordCounts };
  const chars: Touched = { buckets: [], counts: scratch.charCounts };
  const { charNgramMin, charNgramMax, charNgramMaxWordLength } = config;
  let previous: string | undefined;
  for (const word of textWords(text)) {
    count(words, stableHash(WORD, word) & mask);
    if (previous !== undefined) count(words, stableHash(BIGRAM, `${previous} ${word}`) & mask);
    previous = word;
    if (word.length > charNgramMaxWordLength) continue;
    // The character n-grams of " word ", hashed as stableHash(CHARS, ...) would, without substrings.
    const padded = ` ${word} `;
    for (let start = 0; start + charNgramMin <= padded.length; start++) {
      let h = Math.imul(FNV_OFFSET ^ CHARS, FNV_PRIME);
      const last = Math.min(padded.length, start + charNgramMax);
      for (let i = start; i < last; i++) {
        h = Math.imul(h ^ padded.charCodeAt(i), FNV_PRIME);
        if (i - start + 1 >= charNgramMin) count(chars, fmix32(h) & mask);
      }
    }
  }
  // Each block: sublinear tf, scaled to norm 1/√2; colliding buckets of the two blocks add up.
  const values = scratch.values;
  const union: number[] = [];
  for (const block of [words, chars]) {
    const tf = block.buckets.map((b) => 1 + Math.log(block.counts[b] as number));
    let squares = 0;
    for (const x of tf) squares += x * x;
    const scale = squares > 0 ? Math.SQRT1_2 / Math.sqrt(squares) : 0;
    block.buckets.forEach((b, i) => {
      if (values[b] === 0) union.push(b);
      values[b] = (values[b] as number) + (tf[i] as number) * scale;
      block.counts[b] = 0;
    });
  }
  const indices = Int32Array.from(union).sort();
  const out = new Float64Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const b = indices[i] as number;
    out[i] = values[b] as number;
    values[b] = 0;
  }
  return { indices, values: out };
}

interface Touched {
  buckets: number[];
  counts: Int32Array;
}

function count(block: Touched, bucket: number): void {
  if (block.counts[bucket] === 0) block.buckets.push(bucket);
  block.counts[bucket] = (block.counts[bucket] as number) + 1;
}

/**
 * Dense counters per hash size, shared by every call and left zeroed by each: counting into Maps
 * was most of the cost of featurising a text. Safe because a call runs to completion without
 * yielding.
 */
const scratches = new Map<number, { wordCounts: Int32Array; charCounts: Int32Array; values: Float64Array }>();

function scratchFor(hashBits: number) {
  let s = scratches.get(hashBits);
  if (!s) {
    const size = 2 ** hashBits;
    s = { wordCounts: new Int32Array(size), charCounts: new Int32Array(size), values: new Float64Array(size) };
    scratches.set(hashBits, s);
  }
  return s;
}

/**
 * The features of `hashedFeatures` with their text, for explaining a prediction.
 *
 * @example
 * namedFeatures('money back').bigrams; // [{ feature: 'money back', bucket: ... }]
 */
export function namedFeatures(text: string, config: HashedFeatureConfig = DEFAULT_FEATURE_CONFIG): NamedFeatures {
  const mask = bucketMask(config);
  const words = textWords(text);
  const named: NamedFeatures = { words: [], bigrams: [] };
  words.forEach((word, i) => {
    const charBuckets: number[] = [];
    forEachCharNgram(word, config, (bucket) => charBuckets.push(bucket & mask));
    named.words.push({ feature: word, bucket: stableHash(WORD, word) & mask, charBuckets });
    if (i > 0) {
      const bigram = `${words[i - 1]} ${word}`;
      named.bigrams.push({ feature: bigram, bucket: stableHash(BIGRAM, bigram) & mask });
    }
  });
  return named;
}

function bucketMask(config: HashedFeatureConfig): number {
  // Featurising keeps dense counters of 2^hashBits entries (16 bytes each): 2^22 is 64 MB.
  if (!Number.isInteger(config.hashBits) || config.hashBits < 1 || config.hashBits > 22) {
    throw new RangeError(`hashBits must be an integer from 1 to 22, got ${config.hashBits}`);
  }
  return (1 << config.hashBits) - 1;
}

/** Calls `emit` with the unmasked hash of each character n-gram of ` word `. */
function forEachCharNgram(word: string, config: HashedFeatureConfig, emit: (hash: number) => void): void {
  if (word.length > config.charNgramMaxWordLength) return;
  const padded = ` ${word} `;
  for (let start = 0; start + config.charNgramMin <= padded.length; start++) {
    let h = Math.imul(FNV_OFFSET ^ CHARS, FNV_PRIME);
    const last = Math.min(padded.length, start + config.charNgramMax);
    for (let i = start; i < last; i++) {
      h = Math.imul(h ^ padded.charCodeAt(i), FNV_PRIME);
      if (i - start + 1 >= config.charNgramMin) emit(fmix32(h));
    }
  }
}
