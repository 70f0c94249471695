import { sameFieldValue, structuredLabel, valueAt, withValueAt } from '@signoff/core';
import { agreementScore } from './log-odds';

/** The outcome of a self-consistency vote. */
export interface SelfConsistencyVote {
  label: string;
  /** Samples that answered `label` / samples drawn (invalid answers count as disagreeing). */
  confidence: number;
  /**
   * The ranking score: logit of the agreement share smoothed by half a vote,
   * ln((votes + 0.5) / (samples - votes + 0.5)) (`agreementScore`): finite at unanimity.
   */
  score: number;
  /** Valid samples per label, in order of first appearance. */
  votes: Record<string, number>;
  samples: number;
}

/**
 * Self-consistency: the label most samples agree on, and the share of samples that gave it. A
 * sample whose answer was unusable (`undefined`) has no vote but still counts in the denominator,
 * so a model that often answers off-schema is not credited with agreement. Ties go to the first
 * answer's label (the temperature-0 answer) when it is among them, else to the tied label sampled
 * first.
 *
 * @example
 * majorityVote('refund', ['refund', 'other', 'refund', undefined, 'refund']);
 * // { label: 'refund', confidence: 0.6, score: Math.log(3.5 / 2.5), votes: { refund: 3, other: 1 }, samples: 5 }
 */
export function majorityVote(firstLabel: string, samples: ReadonlyArray<string | undefined>): SelfConsistencyVote {
  const votes: Record<string, number> = {};
  for (const label of samples) {
    if (label !== undefined) votes[label] = (votes[label] ?? 0) + 1;
  }
  const most = Math.max(0, ...Object.values(votes));
  const tied = Object.keys(votes).filter((l) => votes[l] === most);
  const label = most === 0 || tied.includes(firstLabel) ? firstLabel : (tied[0] as string);
  return {
    label,
    confidence: samples.length === 0 ? 0 : (votes[label] ?? 0) / samples.length,
    score: agreementScore(votes[label] ?? 0, samples.length),
    votes,
    samples: samples.length,
  };
}

/** What an endpoint has shown about the `n` parameter. */
export type SamplingSupport = 'n' | 'ignores-n' | 'rejects-n';

/**
 * Draws `count` answers: one request with `n: count` where the endpoint honours `n` (OpenAI,
 * vLLM), else (`n` ignored, as by Ollama, or refused, as by llama.cpp's server) `count` separate
 * requests, sent together (the provider's limiter paces them). `request(n)` returns the answers of
 * one completion, one per choice; `rejectsN(e)` recognises a refusal of `n`. Returns the answers
 * and what was learnt about `n`, for the caller to remember.
 *
 * @example
 * const { answers, support } = await drawSamples(5, known, (n) => sampleOnce(n), isNRefusal);
 */
export async function drawSamples<A>(
  count: number,
  support: SamplingSupport,
  request: (n: number | undefined) => Promise<A[]>,
  rejectsN: (e: unknown) => boolean,
): Promise<{ answers: A[]; support: SamplingSupport }> {
  const singles = async (k: number) =>
    (await Promise.all(Array.from({ length: k }, () => request(undefined)))).flat().slice(0, k);
  if (count <= 1 || support !== 'n') {
    return { answers: await singles(count), support };
  }
  let first: A[];
  try {
    first = await request(count);
  } catch (e) {
    if (!rejectsN(e)) throw e;
    return { answers: await singles(count), support: 'rejects-n' };
  }
  if (first.length >= count) return { answers: first.slice(0, count), support: 'n' };
  // Fewer choices than asked: `n` was ignored. Top up with separate requests.
  const rest = await singles(count - first.length);
  return { answers: [...first, ...rest], support: first.length <= 1 ? 'ignores-n' : 'n' };
}

/** How far sampled structured answers agree with one value, field by field and as a whole. */
export interface FieldAgreement {
  /** Per leaf path: share of samples with the same value there, and its `agreementScore`. */
  fields: Record<string, { confidence: number; score: number }>;
  /** Share of samples that agree on every field (unusable samples agree on none). */
  confidence: number;
  score: number;
  samples: number;
}

/**
 * The agreement of `samples` with `value` at each of `paths` (values compared as canonical JSON,
 * absent as null) and on all of them at once; an unusable sample (`undefined`) counts as
 * disagreeing everywhere.
 *
 * @example
 * fieldAgreement(['a', 'b'], { a: 1, b: 2 }, [{ a: 1, b: 2 }, { a: 1, b: 3 }]).fields.b.confidence; // 0.5
 */
export function fieldAgreement(
  paths: readonly string[],
  value: Record<string, unknown>,
  samples: ReadonlyArray<Record<string, unknown> | undefined>,
): FieldAgreement {
  const n = samples.length;
  const share = (k: number) => ({ confidence: n === 0 ? 0 : k / n, score: agreementScore(k, n) });
  const agrees = (s: Record<string, unknown> | undefined, path: string) =>
    s !== undefined && sameFieldValue(valueAt(s, path), valueAt(value, path));
  const fields: FieldAgreement['fields'] = {};
  for (const path of paths) fields[path] = share(samples.filter((s) => agrees(s, path)).length);
  return { fields, ...share(samples.filter((s) => paths.every((p) => agrees(s, p))).length), samples: n };
}

/**
 * Self-consistency for a structured answer: at each path of `voting` the value most samples agree
 * on (`majorityVote` of the values' canonical JSON: ties go to the first answer's), the first
 * answer's value at the other paths, and the agreement of the samples with the result
 * (`fieldAgreement` over all `paths`). The result may combine fields of different samples, so
 * the caller validates it again.
 *
 * @example
 * fieldwiseVote(['a', 'b'], { a: 1, b: 2 }, [{ a: 1, b: 3 }, { a: 1, b: 3 }, { a: 2, b: 2 }]).value; // { a: 1, b: 3 }
 */
export function fieldwiseVote(
  paths: readonly string[],
  first: Record<string, unknown>,
  samples: ReadonlyArray<Record<string, unknown> | undefined>,
  voting: readonly string[] = paths,
): FieldAgreement & { value: Record<string, unknown> } {
  let value = first;
  const labelAt = (v: Record<string, unknown>, path: string) => structuredLabel(valueAt(v, path) ?? null);
  for (const path of voting) {
    const vote = majorityVote(
      labelAt(first, path),
      samples.map((s) => (s === undefined ? undefined : labelAt(s, path))),
    );
    const source = [first, ...samples].find((s) => s !== undefined && labelAt(s, path) === vote.label) ?? first;
    value = withValueAt(value, path, valueAt(source, path));
  }
  return { value, ...fieldAgreement(paths, value, samples) };
}
