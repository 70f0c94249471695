import { createHash } from 'node:crypto';
import { AppError } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Actor, appendAudit } from '@signoff/governance';
import type { Kysely, Transaction } from 'kysely';
import {
  applyCalibrator,
  brierScore,
  type CalibrationMethod,
  type CalibrationPoint,
  type Calibrator,
  expectedCalibrationError,
  fitCalibrator,
  reliabilityBins,
} from './calibration';

/** A label is held out of calibration fitting when the hash of its id falls in this fifth. */
export function isCalibrationHoldout(labelId: string): boolean {
  return (createHash('sha256').update(labelId).digest()[0] as number) % 5 === 0;
}

/** Human verdicts on an agent's decisions at one model version, as calibration points. */
export async function calibrationPoints(db: Kysely<DB>, agent: string, modelVersion: string) {
  const rows = await db
    .selectFrom('labels')
    .select(['id', 'ai_confidence', 'ai_label', 'human_label'])
    .where('agent', '=', agent)
    .where('model_version', '=', modelVersion)
    .where('ai_label', 'is not', null)
    .where('ai_confidence', 'is not', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, p: r.ai_confidence as number, correct: r.ai_label === r.human_label }));
}

export interface CalibrationQuality {
  ece: number;
  brier: number;
}

export interface FittedCalibration {
  calibratorId: string;
  agent: string;
  modelVersion: string;
  method: CalibrationMethod;
  activated: boolean;
  reason: string;
  trainSize: number;
  heldOutSize: number;
  before: CalibrationQuality;
  after: CalibrationQuality;
  reliability: { before: ReturnType<typeof reliabilityBins>; after: ReturnType<typeof reliabilityBins> };
}

function quality(points: readonly CalibrationPoint[]): CalibrationQuality {
  return { ece: expectedCalibrationError(points), brier: brierScore(points) };
}

/**
 * Fits a calibrator for an agent's model version from its human labels: fitted on 4/5 of them,
 * judged on the held-out fifth (split by label id, so it is reproducible). It becomes the active
 * calibrator only if it lowers the held-out expected calibration error; either way it is stored
 * with its before/after ECE and Brier score, and the fit is audited.
 *
 * Note the sample: labels exist where humans looked, i.e. mostly low-confidence or risky
 * decisions. The calibration is right for that region; sampling auto-accepted decisions for QA
 * review is what makes it right everywhere.
 */
export async function fitCalibration(
  db: Kysely<DB>,
  options: { agent: string; modelVersion?: string; method?: CalibrationMethod; minLabels?: number; actor: Actor },
): Promise<FittedCalibration> {
  const method = options.method ?? 'isotonic';
  const minLabels = options.minLabels ?? 50;
  const modelVersion = options.modelVersion ?? (await latestLabelledVersion(db, options.agent));
  const points = await calibrationPoints(db, options.agent, modelVersion);
  if (points.length < minLabels)
    throw new AppError(
      'BAD_INPUT',
      `Calibrating ${options.agent} ${modelVersion} needs at least ${minLabels} human labels on its decisions; it has ${points.length}`,
      { issues: [{ path: 'agent', message: `${points.length} labels, ${minLabels} needed` }] },
    );
  const train = points.filter((p) => !isCalibrationHoldout(p.id));
  const heldOut = points.filter((p) => isCalibrationHoldout(p.id));
  if (heldOut.length < 10 || train.length < 10)
    throw new AppError(
      'BAD_INPUT',
      `Too few labels to both fit and judge a calibrator (${train.length} to fit, ${heldOut.length} held out)`,
    );
  const calibrator = fitCalibrator(method, train);
  const calibrated = heldOut.map((p) => ({ p: applyCalibrator(calibrator, p.p), correct: p.correct }));
  const before = quality(heldOut);
  const after = quality(calibrated);
  const activated = after.ece < before.ece;
  const reason = activated
    ? `held-out ECE ${before.ece.toFixed(3)} -> ${after.ece.toFixed(3)}`
    : `not activated: held-out ECE would not improve (${before.ece.toFixed(3)} -> ${after.ece.toFixed(3)})`;
  const reliability = { before: reliabilityBins(heldOut), after: reliabilityBins(calibrated) };
  const metrics = { before, after, trainSize: train.length, heldOutSize: heldOut.length, reason, reliability };
  const id = await db.transaction().execute(async (trx) => {
    if (activated) await deactivate(trx, options.agent, modelVersion);
    const row = await trx
      .insertInto('calibrators')
      .values({
        agent: options.agent,
        model_version: modelVersion,
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
        agent: options.agent,
        modelVersion,
        method,
        activated,
        reason,
        before,
        after,
        labels: points.length,
      },
    });
    return row.id;
  });
  return {
    calibratorId: id,
    agent: options.agent,
    modelVersion,
    method,
    activated,
    reason,
    trainSize: train.length,
    heldOutSize: heldOut.length,
    before,
    after,
    reliability,
  };
}

async function deactivate(trx: Transaction<DB>, agent: string, modelVersion: string): Promise<void> {
  await trx
    .updateTable('calibrators')
    .set({ active: false })
    .where('agent', '=', agent)
    .where('model_version', '=', modelVersion)
    .where('active', '=', true)
    .execute();
}

async function latestLabelledVersion(db: Kysely<DB>, agent: string): Promise<string> {
  const row = await db
    .selectFrom('labels')
    .select('model_version')
    .where('agent', '=', agent)
    .where('model_version', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row?.model_version) throw new AppError('NOT_FOUND', `No human labels on decisions of agent "${agent}" yet`);
  return row.model_version;
}

/** Every calibrator with its metrics, newest first: what the calibration report shows. */
export async function listCalibrations(db: Kysely<DB>, agent?: string) {
  return db
    .selectFrom('calibrators')
    .select(['id', 'agent', 'model_version', 'method', 'label_count', 'metrics', 'active', 'created_at'])
    .$if(agent !== undefined, (q) => q.where('agent', '=', agent as string))
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

export interface CalibrationSource {
  /** The calibrated confidence of a raw one, with the calibrator that made it (null: none active). */
  calibrate(
    db: Kysely<DB>,
    agent: string,
    modelVersion: string,
    raw: number,
  ): Promise<{ value: number; calibratorId: string | null }>;
}

/**
 * The active calibrators, cached per (agent, model version) and re-read at most every
 * `refreshMs`, for the engine to calibrate every decision before routing it.
 */
export function createCalibrationSource(options: { refreshMs?: number } = {}): CalibrationSource {
  const refreshMs = options.refreshMs ?? 30_000;
  type Entry = { id: string | null; calibrator: Calibrator | null };
  // Promises, not values: decisions that miss the cache together share one read.
  const cache = new Map<string, { since: number; entry: Promise<Entry> }>();
  const read = async (db: Parameters<CalibrationSource['calibrate']>[0], agent: string, modelVersion: string) => {
    const row = await db
      .selectFrom('calibrators')
      .select(['id', 'params'])
      .where('agent', '=', agent)
      .where('model_version', '=', modelVersion)
      .where('active', '=', true)
      .executeTakeFirst();
    return { id: row?.id ?? null, calibrator: (row?.params as Calibrator | undefined) ?? null };
  };
  return {
    async calibrate(db, agent, modelVersion, raw) {
      const key = `${agent}\u0000${modelVersion}`;
      let cached = cache.get(key);
      if (!cached || Date.now() - cached.since > refreshMs) {
        const entry = read(db, agent, modelVersion);
        cached = { since: Date.now(), entry };
        cache.set(key, cached);
        // A failed read is not kept: the next decision tries again.
        entry.catch(() => {
          if (cache.get(key)?.entry === entry) cache.delete(key);
        });
      }
      const entry = await cached.entry;
      if (!entry.calibrator) return { value: raw, calibratorId: null };
      return { value: applyCalibrator(entry.calibrator, raw), calibratorId: entry.id };
    },
  };
}
