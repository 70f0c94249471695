// Evaluating a model on a labelled file, without creating items: accuracy, calibration, and what
// each threshold would automate at what error.
import {
  type CalibrationSource,
  type DecisionProvider,
  expectedCalibrationError,
  type LabelledExample,
} from '@signoff/ai';
import { rankingScore } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';
import { clopperPearsonUpper } from './bounds';
import { candidateThresholds, certifyThreshold } from './certification';

export interface EvaluationPoint {
  threshold: number;
  /** Share of the examples scoring at or above the threshold. */
  automation: number;
  /** Wrong answers among those, and the exact 95% upper bound on that rate. */
  error: number;
  upper95: number;
  accepted: number;
}

export interface Evaluation {
  agent: string;
  examples: number;
  model: string;
  modelVersion: string;
  confidenceMethod: string;
  accuracy: number;
  /** Expected calibration error of the raw confidence, and of the calibrated one when a calibrator is active. */
  ece: { raw: number; calibrated: number | null };
  /** The automation/error curve, highest threshold first. */
  curve: EvaluationPoint[];
  /**
   * At the target error: the most a threshold chosen with hindsight (on these very labels) could
   * automate, and what a certificate on them would (Learn then Test, all labels fair).
   */
  atTarget: { maxError: number; confidence: number; hindsightAutomation: number; certifiedAutomation: number | null };
  /** Examples the model could not answer (and why), left out of the figures. */
  failed: { index: number; message: string }[];
}

/**
 * Runs a provider over labelled examples and reports how good its answers and scores are. Nothing
 * is written: no item, no decision, no label.
 *
 * @example
 * const e = await evaluateModel(db, createLocalProvider(), { agent: 'refunds', labels, examples });
 * e.accuracy; e.ece; e.atTarget;
 */
export async function evaluateModel(
  db: Kysely<DB>,
  provider: DecisionProvider,
  input: {
    agent: string;
    labels: readonly string[];
    examples: readonly LabelledExample[];
    instructions?: string;
    calibration?: CalibrationSource;
    maxError?: number;
    confidence?: number;
    concurrency?: number;
  },
): Promise<Evaluation> {
  const results: ({ score: number; confidence: number; calibrated: number | null; right: boolean } | null)[] = [];
  const failed: Evaluation['failed'] = [];
  let meta = { model: 'unknown', modelVersion: 'unknown', confidenceMethod: 'unknown' };
  const agent = {
    name: input.agent,
    instructions: input.instructions ?? `Classify the text as one of: ${input.labels.join(', ')}`,
  };
  let next = 0;
  const worker = async () => {
    while (next < input.examples.length) {
      const index = next++;
      const example = input.examples[index] as LabelledExample;
      try {
        const r = await provider.decide(db, { agent, labels: input.labels, text: example.text });
        meta = { model: r.model, modelVersion: r.modelVersion, confidenceMethod: r.confidenceMethod };
        const score = rankingScore((r as { score?: number }).score, r.confidence);
        const calibrated = input.calibration
          ? await input.calibration.calibrate(
              db,
              {
                agent: input.agent,
                modelVersion: r.modelVersion,
                confidenceMethod: r.confidenceMethod,
                promptVersion: r.promptVersion,
              },
              r.confidence,
            )
          : null;
        results[index] = {
          score,
          confidence: r.confidence,
          calibrated: calibrated?.calibratorId ? calibrated.value : null,
          right: r.label === example.label,
        };
      } catch (e) {
        results[index] = null;
        failed.push({ index, message: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, input.concurrency ?? 4) }, worker));
  const answered = results.filter((r): r is NonNullable<typeof r> => r !== null && r !== undefined);
  const right = answered.filter((r) => r.right).length;
  const calibratedPoints = answered.filter((r) => r.calibrated !== null);
  const sorted = [...answered].sort((a, b) => b.score - a.score);
  const curve: EvaluationPoint[] = [];
  let i = 0;
  let wrong = 0;
  for (const threshold of candidateThresholds(
    sorted.map((r) => r.score),
    50,
  )) {
    while (i < sorted.length && (sorted[i] as { score: number }).score >= threshold) {
      if (!(sorted[i] as { right: boolean }).right) wrong++;
      i++;
    }
    curve.push({
      threshold,
      automation: i / Math.max(1, sorted.length),
      error: i > 0 ? wrong / i : 0,
      upper95: clopperPearsonUpper(wrong, i, 0.05),
      accepted: i,
    });
  }
  const maxError = input.maxError ?? 0.01;
  const confidence = input.confidence ?? 0.95;
  const hindsight = hindsightAutomation(sorted, maxError);
  const cert = certifyThreshold(
    answered.map((r) => ({ score: r.score, probability: 1, wrong: !r.right })),
    { maxError, delta: 1 - confidence },
  );
  return {
    agent: input.agent,
    examples: input.examples.length,
    ...meta,
    accuracy: answered.length > 0 ? right / answered.length : 0,
    ece: {
      raw: expectedCalibrationError(answered.map((r) => ({ p: r.confidence, correct: r.right }))),
      calibrated:
        calibratedPoints.length > 0
          ? expectedCalibrationError(calibratedPoints.map((r) => ({ p: r.calibrated as number, correct: r.right })))
          : null,
    },
    curve,
    atTarget: {
      maxError,
      confidence,
      hindsightAutomation: hindsight,
      certifiedAutomation: cert.certified?.automation ?? null,
    },
    failed,
  };
}

/**
 * The largest share of `sorted` (highest score first) a single threshold accepts with an error of
 * at most `maxError` among what it accepts: the best any threshold could do, known only in hindsight.
 */
export function hindsightAutomation(sorted: readonly { score: number; right: boolean }[], maxError: number): number {
  let best = 0;
  let wrong = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (!(sorted[i] as { right: boolean }).right) wrong++;
    // Only where the next score differs: a threshold cannot split a tie.
    const tieContinues =
      i + 1 < sorted.length && (sorted[i + 1] as { score: number }).score === (sorted[i] as { score: number }).score;
    if (!tieContinues && wrong / (i + 1) <= maxError) best = (i + 1) / sorted.length;
  }
  return best;
}
