import type { FieldSpec } from '@signoff/core';
import type { JsonValueSpan } from './json-value-spans';
import { enumValueConfidence, type TokenSpan } from './label-confidence';

/** Field scores are stored as JSON: certainty is ±1e6 rather than ±Infinity (see `FieldConfidenceRecord`). */
export const FIELD_SCORE_BOUND = 1e6;

/** A score within ±FIELD_SCORE_BOUND; NaN (no evidence either way) ranks lowest. */
export function boundedScore(score: number): number {
  if (Number.isNaN(score)) return -FIELD_SCORE_BOUND;
  return Math.max(-FIELD_SCORE_BOUND, Math.min(FIELD_SCORE_BOUND, score));
}

/**
 * The confidence of one field's value from the token log probabilities of a structured answer
 * (`tokens`: where each token sits in `content`, see `tokenSpans`; `value`: where the field's value
 * sits, see `jsonValueSpans`):
 *
 * - an enum's string value: as a label among the enum's options (`enumValueConfidence`): the
 *   alternatives that lead to another option count against it, the others (impossible under the
 *   strict schema) are ignored;
 * - any other value (strings, free text, numbers, booleans, null, a list as a whole): the joint
 *   probability of the tokens that spell it (a number's closing token too, since a digit there
 *   would have made another number). Any other token at any of them leads to another value, so
 *   the probability of this exact value is that product and `score` its log-odds,
 *   ln p - ln(1 - p). A required string's opening quote (an array's opening bracket) is forced by
 *   the schema and not counted; a token that also carries the JSON after the value (`",`) counts
 *   wholly: conservative.
 *
 * Scores are bounded to ±1e6. `undefined` when no token spells the value.
 *
 * @example
 * const c = fieldConfidenceFromLogprobs(content, tokenSpans(content, tokens)!, spans.get('taxId')!, field);
 * c?.confidence; // e.g. 0.97
 */
export function fieldConfidenceFromLogprobs(
  content: string,
  tokens: readonly TokenSpan[],
  value: JsonValueSpan,
  field: FieldSpec,
): { confidence: number; score: number } | undefined {
  if (field.type === 'enum' && value.kind === 'string' && field.options) {
    const raw = JSON.parse(content.slice(value.start, value.end)) as string;
    const found = { keyStart: value.keyStart, keyEnd: value.keyEnd, start: value.start + 1, end: value.end - 1 };
    const c = enumValueConfidence(content, tokens, found, raw, field.options);
    return c ? { confidence: c.confidence, score: boundedScore(c.score) } : undefined;
  }
  // A required string's opening quote (an array's bracket) is forced by the strict schema: the token
  // that carries it with the key (`":"`) says nothing about the value. Where null was possible, the
  // choice is made there, so it counts.
  const forced = !field.optional && (value.kind === 'string' || value.kind === 'array') ? 1 : 0;
  const start = Buffer.byteLength(content.slice(0, value.start + forced), 'utf8');
  const end = Buffer.byteLength(content.slice(0, value.end), 'utf8') + (value.kind === 'number' ? 1 : 0);
  const spelling = tokens.filter((t) => t.start < end && t.end > start);
  if (spelling.length === 0) return undefined;
  const logJoint = Math.min(
    0,
    spelling.reduce((sum, t) => sum + t.token.logprob, 0),
  );
  return { confidence: Math.exp(logJoint), score: boundedScore(logJoint - Math.log(-Math.expm1(logJoint))) };
}
