import {
  AppError,
  canonicalJson,
  type FieldConfidenceRecord,
  type FieldSpec,
  leafFields,
  parseStructuredLabel,
  valueAt,
  withValueAt,
} from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { finalHumanLabels } from './final-labels';
import {
  extractFields,
  type LearnedExtractor,
  learnExtractor,
  type StructuredExample,
} from './local-extractor-learning';
import { inputHash, promptVersion } from './prompt-version';
import type { ExtractRequest, ExtractResult } from './provider';

export * from './local-extractor-learning';
export * from './local-extractor-patterns';

/** The `model` recorded with the built-in extractor's decisions. */
export const LOCAL_EXTRACTOR_MODEL = 'signoff-local-extractor';
/**
 * Its `modelVersion`: the version of the rules. What it learns from labels (mined phrases, the
 * patterns' order and records) changes within a version, as labels arrive; the rationale says how
 * many labels the answer was learnt from.
 */
export const LOCAL_EXTRACTOR_VERSION = 'lx-1';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * An agent's structured examples: its seed examples whose label is a JSON object (the value for
 * that text), then its final structured labels (`changed_fields` set: the reviewer's value, one per
 * decision, an adjudication outranking single verdicts, the latest winning), later ones overriding
 * earlier ones of the same text.
 *
 * @example
 * const examples = await loadStructuredExamples(db, 'vendor-forms'); // [{ text, value }, ...]
 */
export async function loadStructuredExamples(db: Db, agent: string): Promise<StructuredExample[]> {
  const seeds = await db
    .selectFrom('seed_examples')
    .select(['text', 'label'])
    .where('agent', '=', agent)
    .where('label', 'like', '{%')
    .orderBy('id')
    .execute();
  const human = await finalHumanLabels(db, agent, { structured: true });
  const byText = new Map<string, Record<string, unknown>>();
  for (const s of seeds) {
    const value = parseStructuredLabel(s.label);
    if (value) byText.set(s.text, value);
  }
  for (const h of human) {
    const value = parseStructuredLabel(h.human_label);
    if (value && h.input_text !== null) byText.set(h.input_text, value);
  }
  return [...byText].map(([text, value]) => ({ text, value }));
}

/** Cheap to poll: changes whenever an example the extractor learns from is added. */
async function examplesMark(db: Db, agent: string): Promise<string> {
  const row = await sql<{ mark: string }>`
    SELECT concat_ws('/',
      (SELECT count(*) FROM labels WHERE agent = ${agent} AND changed_fields IS NOT NULL),
      (SELECT max(created_at)::text FROM labels WHERE agent = ${agent} AND changed_fields IS NOT NULL),
      (SELECT count(*) FROM seed_examples WHERE agent = ${agent} AND label LIKE '{%'),
      (SELECT max(id::text) FROM seed_examples WHERE agent = ${agent} AND label LIKE '{%')) AS mark`.execute(db);
  return row.rows[0]?.mark ?? '';
}

export interface LocalExtractorOptions {
  /** How long a process trusts what it learnt before asking whether new labels arrived. Default 5000 ms. */
  refreshMs?: number;
  /** Clock in milliseconds; tests pass their own to cross `refreshMs` without sleeping. */
  now?: () => number;
}

/** The built-in extractor, as the local provider serves it: `extract` of `DecisionProvider`. */
export interface LocalExtractor {
  extract(db: Kysely<DB>, req: ExtractRequest): Promise<ExtractResult>;
}

interface CacheEntry {
  mark: string;
  checkedAt: number;
  learned: LearnedExtractor;
}

/**
 * The built-in, offline extractor: rules and patterns, learnt from the agent's structured labels
 * (see `learnExtractor`), recomputed when new labels arrive (asked of the database at most every
 * `refreshMs`) and cached per agent and schema. Each leaf field's confidence is the Beta posterior
 * mean accuracy of the pattern that read it, on the past labels where that pattern gave the answer
 * (method `posterior`, `note` naming the pattern and its record); the overall confidence is the
 * product of the fields' (assuming the fields' errors independent), its score the log-odds of that.
 *
 * @example
 * const extractor = createLocalExtractor();
 * const r = await extractor.extract(db, { agent, schema, fields: outputFields(schema), jsonSchema, text: 'Tax ID: 12-3456789' });
 * r.value.taxId; // '12-3456789'
 * r.fields.taxId; // { confidence: 0.85, score: 1.73, method: 'posterior', note: 'after "tax id": no past labels, prior 0.85' }
 */
export function createLocalExtractor(options: LocalExtractorOptions = {}): LocalExtractor {
  const refreshMs = options.refreshMs ?? 5000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  const pending = new Map<string, Promise<LearnedExtractor>>();

  async function relearn(db: Db, agent: string, fields: readonly FieldSpec[], key: string) {
    const previous = cache.get(key);
    const mark = await examplesMark(db, agent);
    if (previous && previous.mark === mark) {
      previous.checkedAt = now();
      return previous.learned;
    }
    const learned = learnExtractor(fields, await loadStructuredExamples(db, agent));
    cache.set(key, { mark, checkedAt: now(), learned });
    return learned;
  }

  function learnedFor(db: Db, agent: string, fields: readonly FieldSpec[]): Promise<LearnedExtractor> {
    const key = `${agent}\u0000${canonicalJson(fields)}`;
    const entry = cache.get(key);
    if (entry && now() - entry.checkedAt < refreshMs) return Promise.resolve(entry.learned);
    let p = pending.get(key);
    if (!p) {
      p = relearn(db, agent, fields, key).finally(() => pending.delete(key));
      pending.set(key, p);
    }
    return p;
  }

  return {
    async extract(db, req) {
      const started = performance.now();
      if (req.signal?.aborted) {
        throw new AppError('AI_UNAVAILABLE', `local extraction for agent "${req.agent.name}" aborted by the caller`, {
          cause: req.signal.reason,
        });
      }
      const learned = await learnedFor(db, req.agent.name, req.fields);
      const readings = extractFields(learned, req.text);
      let value: Record<string, unknown> = {};
      for (const [path, r] of Object.entries(readings)) value = withValueAt(value, path, r.value);
      const parsed = parseExtracted(req, value);
      const fields: Record<string, FieldConfidenceRecord> = {};
      let logJoint = 0;
      for (const f of leafFields(req.fields)) {
        const r = readings[f.path];
        if (!r) continue;
        fields[f.path] = { confidence: r.confidence, score: r.score, method: 'posterior', note: r.note };
        logJoint += Math.log(r.confidence);
      }
      const confidence = Math.exp(logJoint);
      const weakest = Object.entries(readings).sort((a, b) => a[1].confidence - b[1].confidence)[0];
      return {
        value: parsed,
        fields,
        confidence,
        // logit of the product, in log space: ln p - ln(1 - p).
        score: logJoint - Math.log1p(-confidence),
        confidenceMethod: 'posterior',
        rationale:
          `Built-in extractor ${LOCAL_EXTRACTOR_VERSION}, learnt from ${learned.exampleCount} labelled documents; ` +
          `overall ${confidence.toFixed(3)} = product of ${Object.keys(fields).length} fields'` +
          (weakest ? `; least sure: ${weakest[0]} (${weakest[1].note})` : ''),
        costUsd: 0,
        provider: 'local',
        model: LOCAL_EXTRACTOR_MODEL,
        modelVersion: LOCAL_EXTRACTOR_VERSION,
        promptVersion: promptVersion(req.agent.instructions, [canonicalJson(req.jsonSchema)]),
        inputHash: inputHash(req.text),
        latencyMs: Math.round(performance.now() - started),
      };
    },
  };
}

/**
 * The extracted object as the schema parses it. A field found nowhere is null; where the schema
 * wants it absent rather than null (`.optional()`), it is dropped. Anything else the schema
 * refuses is `AI_INVALID_OUTPUT`, naming the fields.
 */
function parseExtracted(req: ExtractRequest, value: Record<string, unknown>): Record<string, unknown> {
  let candidate = value;
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = req.schema.safeParse(candidate);
    if (result.success) return result.data as Record<string, unknown>;
    const nullPaths = result.error.issues
      .map((i) => i.path.join('.'))
      .filter((p) => p !== '' && valueAt(candidate, p) === null);
    if (attempt === 0 && nullPaths.length > 0) {
      for (const p of nullPaths) candidate = withValueAt(candidate, p, undefined);
      continue;
    }
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new AppError(
      'AI_INVALID_OUTPUT',
      `the built-in extractor read no value the output schema of agent "${req.agent.name}" accepts (${problems})`,
    );
  }
  throw new AppError('AI_INVALID_OUTPUT', `the built-in extractor could not satisfy the output schema`);
}
