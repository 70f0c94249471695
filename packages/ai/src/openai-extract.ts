import { type FieldConfidenceRecord, type FieldSpec, leafFields } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { extractJsonObject } from './decision-output';
import { extractionRequest, parseExtraction } from './extraction-output';
import { FIELD_SCORE_BOUND, fieldConfidenceFromLogprobs } from './field-logprobs';
import { jsonValueSpans } from './json-value-spans';
import { tokenSpans } from './label-confidence';
import type { AnswerKind, AnswerMachinery, FirstAnswer } from './openai-answer';
import { promptVersion } from './prompt-version';
import type { ConfidenceMethod, ExtractRequest, ExtractResult } from './provider';
import { type FieldAgreement, fieldAgreement, fieldwiseVote } from './self-consistency';

type Value = Record<string, unknown>;

const NO_RATING = 'a structured answer carries no rating of its own, so the verbalized fallback cannot apply';

/**
 * A structured answer from an OpenAI-compatible endpoint, through the provider's steps
 * (`machinery`: output modes learnt per model, refusals dropped, the agent's tools, limiters,
 * one repair, sampling checks, usage and cost):
 *
 * 1. The first answer, at temperature 0 with log probabilities, asks for the state's object: its
 *    strict JSON Schema (`strictJsonSchema`) as `json_schema` output, else as a forced tool call,
 *    else in JSON mode's prompt; the one JSON object of the content is validated by the state's zod
 *    schema (`parseExtraction`), and asked again once quoting the error, then `AI_INVALID_OUTPUT`.
 * 2. Each leaf field's confidence from the log probabilities of its value's tokens
 *    (`fieldConfidenceFromLogprobs`), method `logprobs`.
 * 3. Fields they cannot weigh (none came back, none spell the answer or that field's value): with
 *    `confidenceFallback: 'self-consistency'` (the default), `samples` answers more, where samples
 *    can vary (the same checks as decisions'); each such field takes the value most samples give
 *    (`fieldwiseVote`) and its share of agreement, method `self-consistency`. Otherwise, or when
 *    samples cannot vary, those fields and the whole answer are `unavailable` (confidence 0: the
 *    engine sends it to review); a structured answer has no verbalised rating to fall back on.
 * 4. Overall: with log probabilities for every field, the product of the fields' confidences
 *    (the chance every field is right, taking their errors as independent); once samples were
 *    drawn, the share of samples that agree with the answer on every field (`self-consistency`);
 *    `unavailable` when any field is. `confidenceNote` says which fields were measured how when
 *    the methods are mixed.
 *
 * @example
 * const r = await extractWithMachinery(machinery, db, { agent, schema, fields: outputFields(schema), jsonSchema: outputJsonSchema(schema), text });
 * r.fields['vendor.taxId']; // { confidence: 0.97, score: 3.48, method: 'logprobs' }
 */
export async function extractWithMachinery(
  m: AnswerMachinery,
  db: Kysely<DB> | undefined,
  req: ExtractRequest,
): Promise<ExtractResult> {
  const kind: AnswerKind<Value> = {
    request: (mode) => extractionRequest(mode, req.agent.instructions, req.text, req.jsonSchema),
    parse: (text) => parseExtraction(text, req.schema, req.jsonSchema),
    repairHint: '',
  };
  const a = await m.firstAnswer(db, req, kind);
  const leaves = leafFields(req.fields);
  const paths = leaves.map((f) => f.path);
  const measured = fromLogprobs(m, a, leaves);
  const fields: Record<string, FieldConfidenceRecord> = { ...measured.fields };
  const rest = leaves.filter((f) => !fields[f.path]);
  let value = a.first.value;
  let overall: { confidence: number; score: number; method: ConfidenceMethod; note?: string };
  if (rest.length === 0) {
    overall = { ...product(paths.map((p) => (fields[p] as FieldConfidenceRecord).score)), method: 'logprobs' };
  } else {
    const why =
      measured.why ??
      `the log probabilities do not weigh ${rest.length === 1 ? 'field' : 'fields'} ${rest.map((f) => f.path).join(', ')}`;
    let reason: string | undefined;
    let answers: (Value | undefined)[] = [];
    if (a.fallback !== 'self-consistency') {
      reason = `${why}; no other confidence is configured (confidenceFallback: ${a.fallback})${a.fallback === 'verbalized' ? `, and ${NO_RATING}` : ''}`;
    } else {
      const drawn = await m.sampleAnswers(db, a, req.signal, req.agent, why);
      if (drawn.ok) answers = drawn.answers.map((s) => s?.value);
      else reason = `${drawn.reason}${a.whenUnavailable === 'verbalized' ? `; ${NO_RATING}` : ''}`;
    }
    if (reason !== undefined) {
      for (const f of rest)
        fields[f.path] = { confidence: 0, score: -FIELD_SCORE_BOUND, method: 'unavailable', note: reason };
      overall = { confidence: 0, score: Number.NEGATIVE_INFINITY, method: 'unavailable', note: reason };
    } else {
      const voting = rest.map((f) => f.path);
      const vote = fieldwiseVote(paths, a.first.value, answers, voting);
      // Fields of different samples together may break a rule of the schema: then the first answer stands.
      const valid = req.schema.safeParse(vote.value);
      const agreement: FieldAgreement = valid.success ? vote : fieldAgreement(paths, a.first.value, answers);
      if (valid.success) value = valid.data as Value;
      const sampled = `${why}; agreement of ${agreement.samples} samples${valid.success ? '' : ' with the first answer (the field-wise majority does not pass the schema)'}`;
      for (const path of voting)
        fields[path] = {
          ...(agreement.fields[path] as { confidence: number; score: number }),
          method: 'self-consistency',
          note: sampled,
        };
      const byLogprobs = paths.filter((p) => fields[p]?.method === 'logprobs');
      overall = {
        confidence: agreement.confidence,
        score: agreement.score,
        method: 'self-consistency',
        note:
          byLogprobs.length > 0
            ? `mixed: logprobs for ${byLogprobs.join(', ')}; self-consistency for ${voting.join(', ')} (${sampled}); overall agreement on every field`
            : `${sampled} on every field`,
      };
    }
  }
  const note = a.repairedAfter
    ? `${overall.note ? `${overall.note}; ` : ''}answer repaired after: ${a.repairedAfter}`
    : overall.note;
  return {
    value,
    fields,
    confidence: overall.confidence,
    score: overall.score,
    confidenceMethod: overall.method,
    ...(note ? { confidenceNote: note } : {}),
    // The schema is what the model is asked for, as the labels are for a classification.
    ...m.answerRecord(
      db,
      a,
      req.agent,
      req.text,
      promptVersion(req.agent.instructions, [JSON.stringify(req.jsonSchema)]),
    ),
  };
}

/** The fields the first answer's log probabilities weigh, and why not, for all of them, when none. */
function fromLogprobs(
  m: AnswerMachinery,
  a: FirstAnswer<Value>,
  leaves: readonly FieldSpec[],
): { fields: Record<string, FieldConfidenceRecord>; why?: string } {
  const logprobs = m.answerLogprobs(a);
  if ('why' in logprobs) return { fields: {}, why: logprobs.why };
  const content = a.first.text;
  const spans = tokenSpans(content, logprobs.tokens);
  const json = extractJsonObject(content);
  const values = spans && 'json' in json ? jsonValueSpans(content, content.indexOf(json.json)) : undefined;
  if (!spans || !values)
    return { fields: {}, why: 'the log probabilities do not spell the answer, so its fields cannot be found in them' };
  const fields: Record<string, FieldConfidenceRecord> = {};
  for (const f of leaves) {
    const at = values.get(f.path);
    const c = at ? fieldConfidenceFromLogprobs(content, spans, at, f) : undefined;
    if (c) fields[f.path] = { ...c, method: 'logprobs' };
  }
  if (Object.keys(fields).length > 0) m.logprobsHonoured(a);
  return { fields };
}

/** The probability that every field is right, from their log-odds, as confidence and log-odds. */
function product(scores: readonly number[]): { confidence: number; score: number } {
  // ln sigmoid(s), stable at both ends.
  const logP = scores.reduce((sum, s) => sum + (s >= 0 ? -Math.log1p(Math.exp(-s)) : s - Math.log1p(Math.exp(s))), 0);
  return { confidence: Math.exp(logP), score: logP - Math.log(-Math.expm1(logP)) };
}
