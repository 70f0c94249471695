import { createHash } from 'node:crypto';
import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Kysely, Transaction } from 'kysely';
import { applyCalibrator, type CalibrationMethod, type Calibrator } from './calibration';
import {
  type BrierImprovementInterval,
  type CalibrationJudgement,
  type CalibrationQuality,
  type JudgeOptions,
  judgeCalibration,
} from './calibration-judgement';

/** A label is held out of calibration fitting when the hash of its id falls in this fifth. */
export function isCalibrationHoldout(labelId: string): boolean {
  return (createHash('sha256').update(labelId).digest()[0] as number) % 5 === 0;
}

/**
 * What a calibrator is fitted for, and looked up by: confidences of one agent's model version,
 * obtained by one method (`logprobs`, `self-consistency`, `verbalized`, `posterior`) for one prompt
 * version. Different methods and prompts are miscalibrated differently, so their labels never mix.
 */
export interface CalibrationKey {
  agent: string;
  modelVersion: string;
  confidenceMethod: string;
  promptVersion: string;
}

/**
 * Human verdicts on the decisions of one calibration key, as calibration points, oldest first: one
 * per decision, its answer (`labels.final`; of several, an adjudicated one, else the latest), so a
 * decision reviewed by two people is one point, and one they disagree on counts once a lead settled
 * it. A label's confidence method is its decision's (`labels.decision_id`); labels without a
 * decision have none and are left out.
 */
export async function calibrationPoints(db: Kysely<DB>, key: CalibrationKey) {
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('labels as l')
        .innerJoin('decisions as d', 'd.id', 'l.decision_id')
        .distinctOn('l.decision_id')
        .select(['l.id', 'l.ai_confidence', 'l.ai_label', 'l.human_label', 'l.created_at'])
        .where('l.agent', '=', key.agent)
        .where('l.model_version', '=', key.modelVersion)
        .where('l.prompt_version', '=', key.promptVersion)
        .where('d.confidence_method', '=', key.confidenceMethod)
        .where('l.ai_label', 'is not', null)
        .where('l.ai_confidence', 'is not', null)
        .where('l.final', '=', true)
        .orderBy('l.decision_id')
        .orderBy('l.adjudicated', 'desc')
        .orderBy('l.created_at', 'desc')
        .orderBy('l.id', 'desc')
        .as('x'),
    )
    .selectAll()
    .orderBy('x.created_at')
    .orderBy('x.id')
    .execute();
  return rows.map((r) => ({ id: r.id, p: r.ai_confidence as number, correct: r.ai_label === r.human_label }));
}

export interface FittedCalibration extends CalibrationKey {
  calibratorId: string;
  method: CalibrationMethod;
  activated: boolean;
  reason: string;
  trainSize: number;
  heldOutSize: number;
  before: CalibrationQuality;
  after: CalibrationQuality;
  /** The paired bootstrap interval of the held-out Brier improvement the decision rests on. */
  interval: BrierImprovementInterval;
  minHeldOut: number;
  reliability: CalibrationJudgement['reliability'];
}

/**
 * Fits a calibrator for one calibration key from its human labels: fitted on 4/5 of them, judged
 * on the held-out fifth (split by label id, so it is reproducible) by `judgeCalibration`. It
 * becomes the key's active calibrator only if the held-out Brier score improves significantly on
 * at least `minHeldOut` held-out labels; either way it is stored with its metrics (ECE and Brier
 * before and after, the bootstrap interval, the decision), and the fit is audited.
 *
 * The key's parts not given default to those of the agent's most recent label (among the labels
 * matching the parts that are given).
 *
 * Note the sample: labels exist where humans looked, i.e. mostly low-confidence or risky
 * decisions. The calibration is right for that region; sampling auto-accepted decisions for QA
 * review is what makes it right everywhere.
 *
 * @example
 * const r = await fitCalibration(db, { agent: 'intent', method: 'platt', actor: { type: 'system' } });
 * console.log(r.activated, r.reason, r.interval.lower);
 */
export async function fitCalibration(
  db: Kysely<DB>,
  options: Partial<CalibrationKey> &
    Pick<CalibrationKey, 'agent'> &
    Omit<JudgeOptions, 'seed'> & { method?: CalibrationMethod; minLabels?: number; actor: Actor },
): Promise<FittedCalibration> {
  const key = await completeKey(db, options);
  const points = await calibrationPoints(db, key);
  return fitCalibrationOnPoints(db, key, points, options);
}

/**
 * `fitCalibration` on points given rather than read: each a label's id, the model's raw
 * confidence and whether it was right. For a model version that has made no decisions yet (a
 * newly promoted one, scored on held-out labels of its predecessors' decisions). The same split
 * (by label id), the same significance rule, stored and audited the same way.
 *
 * @example
 * await fitCalibrationOnPoints(db, key, points, { actor });
 */
export async function fitCalibrationOnPoints(
  db: Kysely<DB>,
  key: CalibrationKey,
  points: readonly { id: string; p: number; correct: boolean }[],
  options: Omit<JudgeOptions, 'seed'> & { method?: CalibrationMethod; minLabels?: number; actor: Actor },
): Promise<FittedCalibration> {
  const method = options.method ?? 'isotonic';
  const minLabels = options.minLabels ?? 50;
  const name = `${key.agent} ${key.modelVersion} (${key.confidenceMethod}, prompt ${key.promptVersion})`;
  if (points.length < minLabels)
    throw new AppError(
      'BAD_INPUT',
      `Calibrating ${name} needs at least ${minLabels} human labels on its decisions; it has ${points.length}`,
      { issues: [{ path: 'agent', message: `${points.length} labels, ${minLabels} needed` }] },
    );
  const train = points.filter((p) => !isCalibrationHoldout(p.id));
  const heldOut = points.filter((p) => isCalibrationHoldout(p.id));
  if (heldOut.length < 10 || train.length < 10)
    throw new AppError(
      'BAD_INPUT',
      `Too few labels to both fit and judge a calibrator (${train.length} to fit, ${heldOut.length} held out)`,
    );
  const judged = judgeCalibration(method, train, heldOut, {
    ...(options.minHeldOut !== undefined ? { minHeldOut: options.minHeldOut } : {}),
    ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
    ...(options.level !== undefined ? { level: options.level } : {}),
  });
  const { calibrator, activated, reason, before, after, interval, minHeldOut, reliability } = judged;
  const metrics = {
    before,
    after,
    trainSize: judged.trainSize,
    heldOutSize: judged.heldOutSize,
    minHeldOut,
    interval,
    activated,
    reason,
    reliability,
  };
  const id = await db.transaction().execute(async (trx) => {
    if (activated) await deactivate(trx, key);
    const row = await trx
      .insertInto('calibrators')
      .values({
        agent: key.agent,
        model_version: key.modelVersion,
        confidence_method: key.confidenceMethod,
        prompt_version: key.promptVersion,
        method,
        params: JSON.stringify(calibrator),
        label_count: points.length,
        metrics: JSON.stringify(metrics),
        active: activated,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      actor: options.actor,
      action: 'calibration.fitted',
      data: {
        calibratorId: row.id,
        ...key,
        method,
        activated,
        reason,
        before,
        after,
        interval,
        minHeldOut,
        trainSize: judged.trainSize,
        heldOutSize: judged.heldOutSize,
        labels: points.length,
      },
    });
    return row.id;
  });
  return {
    calibratorId: id,
    ...key,
    method,
    activated,
    reason,
    trainSize: judged.trainSize,
    heldOutSize: judged.heldOutSize,
    before,
    after,
    interval,
    minHeldOut,
    reliability,
  };
}

async function deactivate(trx: Transaction<DB>, key: CalibrationKey): Promise<void> {
  await trx
    .updateTable('calibrators')
    .set({ active: false })
    .where('agent', '=', key.agent)
    .where('model_version', '=', key.modelVersion)
    .where('confidence_method', '=', key.confidenceMethod)
    .where('prompt_version', '=', key.promptVersion)
    .where('active', '=', true)
    .execute();
}

/** The key's parts not given, from the agent's most recent label that matches those given. */
async function completeKey(
  db: Kysely<DB>,
  given: Partial<CalibrationKey> & { agent: string },
): Promise<CalibrationKey> {
  const { agent, modelVersion, confidenceMethod, promptVersion } = given;
  if (modelVersion !== undefined && confidenceMethod !== undefined && promptVersion !== undefined)
    return { agent, modelVersion, confidenceMethod, promptVersion };
  const row = await db
    .selectFrom('labels as l')
    .innerJoin('decisions as d', 'd.id', 'l.decision_id')
    .select(['l.model_version', 'l.prompt_version', 'd.confidence_method'])
    .where('l.agent', '=', agent)
    .where('l.model_version', 'is not', null)
    .where('l.prompt_version', 'is not', null)
    .where('l.ai_label', 'is not', null)
    .where('l.ai_confidence', 'is not', null)
    .$if(modelVersion !== undefined, (q) => q.where('l.model_version', '=', modelVersion as string))
    .$if(promptVersion !== undefined, (q) => q.where('l.prompt_version', '=', promptVersion as string))
    .$if(confidenceMethod !== undefined, (q) => q.where('d.confidence_method', '=', confidenceMethod as string))
    .orderBy('l.created_at', 'desc')
    .orderBy('l.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row?.model_version || !row.prompt_version) {
    const which = [
      modelVersion !== undefined ? `model version ${modelVersion}` : '',
      confidenceMethod !== undefined ? `confidence method ${confidenceMethod}` : '',
      promptVersion !== undefined ? `prompt version ${promptVersion}` : '',
    ].filter(Boolean);
    throw new AppError(
      'NOT_FOUND',
      `No human labels on decisions of agent "${agent}"${which.length ? ` with ${which.join(', ')}` : ''} yet`,
    );
  }
  return {
    agent,
    modelVersion: row.model_version,
    confidenceMethod: row.confidence_method,
    promptVersion: row.prompt_version,
  };
}

/** Every calibrator with its metrics, newest first: what the calibration report shows. */
export async function listCalibrations(db: Kysely<DB>, agent?: string) {
  return db
    .selectFrom('calibrators')
    .select([
      'id',
      'agent',
      'model_version',
      'confidence_method',
      'prompt_version',
      'method',
      'label_count',
      'metrics',
      'active',
      'created_at',
    ])
    .$if(agent !== undefined, (q) => q.where('agent', '=', agent as string))
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

export interface CalibrationSource {
  /** The calibrated confidence of a raw one, with the calibrator that made it (null: none active). */
  calibrate(db: Kysely<DB>, key: CalibrationKey, raw: number): Promise<{ value: number; calibratorId: string | null }>;
}

/**
 * The active calibrators, cached per calibration key (agent, model version, confidence method,
 * prompt version) and re-read at most every `refreshMs`, for the engine to calibrate every
 * decision before routing it.
 *
 * @example
 * const source = createCalibrationSource();
 * const { value } = await source.calibrate(db, { agent, modelVersion, confidenceMethod, promptVersion }, 0.97);
 */
export function createCalibrationSource(options: { refreshMs?: number } = {}): CalibrationSource {
  const refreshMs = options.refreshMs ?? 30_000;
  type Entry = { id: string | null; calibrator: Calibrator | null };
  // Promises, not values: decisions that miss the cache together share one read.
  const cache = new Map<string, { since: number; entry: Promise<Entry> }>();
  const read = async (db: Kysely<DB>, key: CalibrationKey) => {
    const row = await db
      .selectFrom('calibrators')
      .select(['id', 'params'])
      .where('agent', '=', key.agent)
      .where('model_version', '=', key.modelVersion)
      .where('confidence_method', '=', key.confidenceMethod)
      .where('prompt_version', '=', key.promptVersion)
      .where('active', '=', true)
      .executeTakeFirst();
    return { id: row?.id ?? null, calibrator: (row?.params as Calibrator | undefined) ?? null };
  };
  return {
    async calibrate(db, key, raw) {
      const cacheKey = [key.agent, key.modelVersion, key.confidenceMethod, key.promptVersion].join('\u0000');
      let cached = cache.get(cacheKey);
      if (!cached || Date.now() - cached.since > refreshMs) {
        const entry = read(db, key);
        cached = { since: Date.now(), entry };
        cache.set(cacheKey, cached);
        // A failed read is not kept: the next decision tries again.
        entry.catch(() => {
          if (cache.get(cacheKey)?.entry === entry) cache.delete(cacheKey);
        });
      }
      const entry = await cached.entry;
      if (!entry.calibrator) return { value: raw, calibratorId: null };
      return { value: applyCalibrator(entry.calibrator, raw), calibratorId: entry.id };
    },
  };
}
