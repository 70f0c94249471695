// Learning of the built-in extractor: for each leaf field, a decision list of patterns measured on
// past labels (the reviewer's value is the truth), and the reading of a document with it, each
// field's confidence the smoothed accuracy of the pattern that produced it. Pure, no I/O.
import { createHash } from 'node:crypto';
import { type FieldSpec, leafFields, sameFieldValue, valueAt } from '@signoff/core';
import {
  applyPattern,
  type Beta,
  type FieldReader,
  fitsSpec,
  minePatterns,
  type Pattern,
  patternId,
  priorOf,
  readerFor,
  rulePatterns,
} from './local-extractor-patterns';
import { type Doc, readDoc } from './local-extractor-text';

/** A document with the value a person gave (or confirmed) for it: the truth the extractor learns from. */
export interface StructuredExample {
  text: string;
  value: Record<string, unknown>;
}

/** A pattern of a field's decision list, with its record on past labels. */
export interface RankedPattern {
  id: string;
  pattern: Pattern;
  prior: Beta;
  /** Past labels on which it was the first pattern of the list to fire (so it gave the answer). */
  seen: number;
  /** Of those, the ones where its value was the person's. */
  right: number;
}

/** How one leaf field is extracted: its reader, its measured decision list, what corrections taught. */
export interface FieldExtractor {
  reader: FieldReader;
  list: RankedPattern[];
  /** Patterns mined from labels (`minePatterns`), tried wherever they fire. */
  mined: Pattern[];
  /** The value when no pattern fires (see `likeliestFallback`). */
  noneValue: unknown;
  /** What "nothing found" (answering `noneValue`) scored on the labels no pattern of the list read. */
  none: RankedPattern;
}

/** The extractor learnt for one schema from an agent's labels. */
export interface LearnedExtractor {
  fields: FieldExtractor[];
  exampleCount: number;
}

export interface LearnOptions {
  /** Labels a mined pattern must read right before it is tried. Default 2. */
  minSupport?: number;
  /** The most mined patterns kept per field (the best supported). Default 40. */
  maxMined?: number;
}

/** Beta posterior of a pattern's accuracy: its prior plus its record. */
export function posterior(p: Pick<RankedPattern, 'prior' | 'seen' | 'right'>): Beta {
  return { a: p.prior.a + p.right, b: p.prior.b + p.seen - p.right };
}

function mean(beta: Beta): number {
  return beta.a / (beta.a + beta.b);
}

/** Posterior mean minus one standard deviation: ranks a pattern right 3 of 3 below one right 95 of 100. */
function lowerBound(beta: Beta): number {
  const n = beta.a + beta.b;
  return mean(beta) - Math.sqrt((beta.a * beta.b) / (n * n * (n + 1)));
}

interface Outcome {
  value: unknown;
  right: boolean;
}

/**
 * Learns a decision list per leaf field from labelled documents:
 *
 * 1. Mining: each label's value proposes the `after "<phrase>"` patterns that read it from its
 *    document (`minePatterns`); those that read right on at least `minSupport` labels are kept.
 * 2. Every pattern that fires on a label (the rules' and the mined ones) is applied to it; right
 *    means its value equals the label's (`sameFieldValue`).
 * 3. Greedy decision list: take the pattern whose Beta posterior (prior `priorOf` plus its record
 *    on the labels not yet answered) has the highest lower bound (mean minus one standard
 *    deviation), record what it scored there, set aside the labels it fired on, repeat. Each
 *    pattern's record is therefore on exactly the documents where it gives the answer when the list
 *    is walked in order, which is what its confidence claims.
 * 4. The labels no pattern fired on give the answer when nothing is found (their commonest value,
 *    `likeliestFallback`) and measure it (`none`).
 *
 * @example
 * const learned = learnExtractor(fields, [{ text: 'Fed. reg. no. 12-3456789', value: { taxId: '12-3456789' } }, ...]);
 * extractFields(learned, 'Fed. reg. no. 98-7654321').taxId; // { value: '98-7654321', confidence: 0.93, ... }
 */
export function learnExtractor(
  fields: readonly FieldSpec[],
  examples: readonly StructuredExample[],
  options: LearnOptions = {},
): LearnedExtractor {
  const docs = examples.map((e) => readDoc(e.text));
  return {
    fields: leafFields(fields).map((spec) => learnField(readerFor(spec), docs, examples, options)),
    exampleCount: examples.length,
  };
}

function learnField(
  reader: FieldReader,
  docs: readonly Doc[],
  examples: readonly StructuredExample[],
  options: LearnOptions,
): FieldExtractor {
  const truths = examples.map((e) => valueAt(e.value, reader.spec.path) ?? null);
  const choosing = examples.map((e) => !isMeasuring(e.text));
  const chooseDocs = docs.filter((_, i) => choosing[i]);
  const mined = minedPatterns(
    reader,
    chooseDocs,
    truths.filter((_, i) => choosing[i]),
    options,
  );
  const patterns = new Map<string, Pattern>();
  const outcomes = docs.map((doc, i) => {
    const byId = new Map<string, Outcome>();
    for (const p of [...rulePatterns(reader, doc), ...mined]) {
      const id = patternId(p, reader);
      if (byId.has(id)) continue;
      const value = applyPattern(reader, doc, p);
      if (value === undefined) continue;
      if (choosing[i]) patterns.set(id, p);
      byId.set(id, { value, right: sameFieldValue(value, truths[i]) });
    }
    return byId;
  });
  // Choose the order on one half of the labels...
  const order: { id: string; pattern: Pattern }[] = [];
  const remaining = new Set(docs.map((_, i) => i).filter((i) => choosing[i]));
  const unlisted = new Map(patterns);
  for (;;) {
    let best: { rank: number; seen: number; id: string; pattern: Pattern } | undefined;
    for (const [id, pattern] of unlisted) {
      let seen = 0;
      let right = 0;
      for (const i of remaining) {
        const o = outcomes[i]?.get(id);
        if (!o) continue;
        seen++;
        if (o.right) right++;
      }
      if (seen === 0) continue;
      const rank = lowerBound(posterior({ prior: priorOf(reader, pattern), seen, right }));
      if (!best || rank > best.rank || (rank === best.rank && seen > best.seen)) best = { rank, seen, id, pattern };
    }
    if (!best) break;
    order.push(best);
    unlisted.delete(best.id);
    for (const i of [...remaining]) if (outcomes[i]?.has(best.id)) remaining.delete(i);
  }
  const noneValue = likeliestFallback(
    reader,
    [...remaining].map((i) => truths[i]),
  );
  // ...and measure it on the other: a record chosen for being good overstates it (of two patterns
  // that are each right half the time, the better-looking one looks better than half).
  const list: RankedPattern[] = order.map(({ id, pattern }) => ({
    id,
    pattern,
    prior: priorOf(reader, pattern),
    seen: 0,
    right: 0,
  }));
  const nonePattern: Pattern = { kind: 'none' };
  const none: RankedPattern = {
    id: patternId(nonePattern, reader),
    pattern: nonePattern,
    prior: priorOf(reader, nonePattern),
    seen: 0,
    right: 0,
  };
  docs.forEach((_, i) => {
    if (choosing[i]) return;
    const fired = list.find((e) => outcomes[i]?.has(e.id));
    const entry = fired ?? none;
    entry.seen++;
    if (fired ? outcomes[i]?.get(fired.id)?.right : sameFieldValue(noneValue, truths[i])) entry.right++;
  });
  return { reader, list, mined, noneValue, none };
}

/**
 * Whether a label measures the patterns' records rather than choosing their order: SHA-256 of its
 * text is odd (about half). Keyed on the text, so a document stays on its side as labels arrive.
 */
export function isMeasuring(text: string): boolean {
  return (createHash('sha256').update(text, 'utf8').digest()[0] as number) % 2 === 1;
}

/**
 * What to answer when no pattern reads a field: the value people gave most often on the labels no
 * pattern read (a required enum whose option is written in a way no rule knows, an optional field
 * most forms leave out), if it fits the field; else the field's fallback (null, or the type's empty value).
 */
function likeliestFallback(reader: FieldReader, truths: readonly unknown[]): unknown {
  const counts = new Map<string, { value: unknown; n: number }>();
  for (const t of truths) {
    if (!(t === null ? reader.spec.optional : fitsSpec(reader.spec, t))) continue;
    const key = JSON.stringify(t);
    const c = counts.get(key) ?? { value: t, n: 0 };
    c.n++;
    counts.set(key, c);
  }
  let best: { value: unknown; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best ? best.value : reader.fallback;
}

function minedPatterns(
  reader: FieldReader,
  docs: readonly Doc[],
  truths: readonly unknown[],
  options: LearnOptions,
): Pattern[] {
  const support = new Map<string, { pattern: Pattern; count: number }>();
  docs.forEach((doc, i) => {
    const truth = truths[i];
    if (truth === null || truth === undefined || (Array.isArray(truth) && truth.length === 0)) return;
    for (const p of minePatterns(reader, doc, truth)) {
      const id = patternId(p, reader);
      const s = support.get(id) ?? { pattern: p, count: 0 };
      s.count++;
      support.set(id, s);
    }
  });
  return [...support.values()]
    .filter((s) => s.count >= (options.minSupport ?? 2))
    .sort((a, b) => b.count - a.count)
    .slice(0, options.maxMined ?? 40)
    .map((s) => s.pattern);
}

/** One field as read from a document: its value, how sure, and which pattern said so. */
export interface FieldReading {
  value: unknown;
  /** The posterior mean accuracy of the pattern that produced the value. */
  confidence: number;
  /** ln(a) - ln(b) of that posterior: logit(confidence), in log space. */
  score: number;
  pattern: string;
  /** The pattern and its record, in words. */
  note: string;
  /** The posterior the confidence is the mean of: how uncertain that accuracy itself is. */
  beta: Beta;
}

function reading(entry: RankedPattern, value: unknown): FieldReading {
  const beta = posterior(entry);
  const record =
    entry.seen === 0
      ? `no past labels, prior ${mean(entry.prior).toFixed(2)}`
      : `right on ${entry.right} of ${entry.seen} past labels`;
  return {
    value,
    confidence: mean(beta),
    score: Math.log(beta.a) - Math.log(beta.b),
    pattern: entry.id,
    note: `${entry.id}: ${record}`,
    beta,
  };
}

/**
 * Reads one field: walks its decision list and answers with the first pattern that fires. A
 * pattern that never gave an answer on past labels (a label phrase not seen before, a mined pattern
 * the list never reached) is tried at the place its prior's lower bound earns it. With nothing
 * firing, the fallback, with what "nothing found" scored.
 */
export function readField(field: FieldExtractor, doc: Doc): FieldReading {
  const listed = new Set(field.list.map((e) => e.id));
  const fresh: { entry: RankedPattern; value: unknown; rank: number }[] = [];
  for (const p of [...rulePatterns(field.reader, doc), ...field.mined]) {
    const id = patternId(p, field.reader);
    if (listed.has(id) || fresh.some((f) => f.entry.id === id)) continue;
    const value = applyPattern(field.reader, doc, p);
    if (value === undefined) continue;
    const entry = { id, pattern: p, prior: priorOf(field.reader, p), seen: 0, right: 0 };
    fresh.push({ entry, value, rank: lowerBound(entry.prior) });
  }
  fresh.sort((a, b) => b.rank - a.rank);
  const best = fresh[0];
  for (const entry of field.list) {
    if (best && best.rank > lowerBound(posterior(entry))) return reading(best.entry, best.value);
    const value = applyPattern(field.reader, doc, entry.pattern);
    if (value !== undefined) return reading(entry, value);
  }
  if (best) return reading(best.entry, best.value);
  return reading(field.none, field.noneValue);
}

/**
 * Reads every leaf field of a document with a learnt extractor, by dotted path.
 *
 * @example
 * extractFields(learnExtractor(fields, []), 'Tax ID: 12-3456789').taxId;
 * // { value: '12-3456789', confidence: 0.85, pattern: 'after "tax id"', note: 'after "tax id": no past labels, prior 0.85', ... }
 */
export function extractFields(learned: LearnedExtractor, text: string): Record<string, FieldReading> {
  const doc = readDoc(text);
  const out: Record<string, FieldReading> = {};
  for (const field of learned.fields) out[field.reader.spec.path] = readField(field, doc);
  return out;
}
