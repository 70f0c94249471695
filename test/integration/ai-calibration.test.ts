// Calibration end to end: a confident model is auto-accepted; human labels show that this model
// version is right far less often than it says; `signoff calibrate` fits a calibrator that lowers
// the held-out Brier score significantly and activates it; the same kind of decision is now routed
// on the calibrated confidence, and goes to review. The decision keeps both numbers.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCalibrationSource, createLocalProvider, fitCalibration, listCalibrations } from '@signoff/ai';
import { executeStep } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { insertLabelHistory } from '../support/labels';
import { refundIntentWorkflow, seedRefundExamples } from '../support/refund-intent';

const intent = refundIntentWorkflow('refund-intent', 'intent');

let t: TestDatabase;
let e: TestEngine;
const provider = createLocalProvider();
const calibration = createCalibrationSource({ refreshMs: 0 });
const deps = () => ({ db: t.db, boss: e.boss, registry: e.registry, provider, calibration });

beforeAll(async () => {
  t = await createTestDatabase();
  await seedRefundExamples(t.db, 'intent');
  e = await startTestEngine(t, [intent], { workers: false });
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function decide(text: string) {
  const id = await e.submit('refund-intent', { text });
  await executeStep(deps(), { itemId: id, state: 'classify', visit: 1 });
  const decision = await t.db.selectFrom('decisions').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
  const item = await t.db
    .selectFrom('items')
    .select(['status', 'current_state'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { id, decision, item };
}

it('routes on calibrated confidence once a calibrator is fitted from human labels', async () => {
  const first = await decide('please refund my money, I was charged twice');
  expect(first.decision).toMatchObject({ label: 'refund', route: 'auto', calibrator_id: null });
  expect(first.decision.confidence).toBeGreaterThan(0.75);
  expect(first.decision.calibrated_confidence).toBe(first.decision.confidence);
  const modelVersion = first.decision.model_version;
  const promptVersion = first.decision.prompt_version;
  expect(first.decision.confidence_method).toBe('posterior');

  // 1,000 reviewed decisions of this model version: it says 0.9-1.0 but is right 55% of the time.
  // Chosen label ids, so the held-out fifth (split by id) is the same on every run; with about 200
  // held-out labels the improvement is several standard errors above 0 whichever fifth it is.
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const points = Array.from({ length: 1000 }, (_, i) => {
    const p = 0.9 + 0.1 * random();
    return { p, correct: random() < 0.55, id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}` };
  });
  await insertLabelHistory(t.db, {
    agent: 'intent',
    modelVersion,
    promptVersion,
    confidenceMethod: 'posterior',
    labels: ['refund', 'other'],
    points,
  });

  // A version without labels, or too few labels for a key, is a clear refusal.
  await expect(
    fitCalibration(t.db, { agent: 'intent', modelVersion: 'nb-v99', actor: { type: 'system' } }),
  ).rejects.toThrow('No human labels on decisions of agent "intent" with model version nb-v99 yet');
  const other = { agent: 'intent', modelVersion, confidenceMethod: 'logprobs', promptVersion };
  await expect(fitCalibration(t.db, { ...other, actor: { type: 'system' } })).rejects.toThrow(
    /needs at least 50 human labels on its decisions; it has 0/,
  );

  // The CLI fits it for the newest label's key, prints before/after on the held-out labels and the
  // bootstrap bound, and activates it.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'apps/cli/src/main.ts', 'calibrate', '--agent', 'intent'],
    {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: t.url },
    },
  );
  expect(stdout).toMatch(/before\s+ECE 0\.\d{4}\s+Brier/);
  const [fitted] = await listCalibrations(t.db, 'intent');
  expect(fitted).toMatchObject({
    agent: 'intent',
    model_version: modelVersion,
    confidence_method: 'posterior',
    prompt_version: promptVersion,
    method: 'isotonic',
    active: true,
    label_count: 1000,
  });
  const metrics = fitted?.metrics as {
    before: { ece: number; brier: number };
    after: { ece: number; brier: number };
    heldOutSize: number;
    interval: { lower: number; resamples: number; seed: number };
  };
  expect(metrics.after.ece).toBeLessThan(metrics.before.ece);
  expect(metrics.after.brier).toBeLessThan(metrics.before.brier);
  expect(metrics.interval.lower).toBeGreaterThan(0);
  const brier = `held-out Brier ${metrics.before.brier.toFixed(4)} -> ${metrics.after.brier.toFixed(4)}`;
  const bound = `one-sided 95% bootstrap lower bound of the improvement ${metrics.interval.lower.toFixed(4)}`;
  // The whole lines, so that "stored, not activated: ..." cannot pass for it.
  expect(stdout.split('\n')).toContain(
    `activated: ${brier}, ${bound} > 0 (1000 resamples of ${metrics.heldOutSize} held-out labels) (calibrator ${fitted?.id})`,
  );
  expect(stdout).toContain(`intent ${modelVersion} (posterior, prompt ${promptVersion}): isotonic`);
  expect(stdout).toMatch(/\(1000 resamples, seed 1; 50 held-out labels needed\)/);

  const second = await decide('please refund my money, I was charged twice again');
  expect(second.decision.confidence).toBeGreaterThan(0.9);
  expect(second.decision.calibrated_confidence).toBeLessThan(0.75);
  expect(second.decision.calibrated_confidence).toBeGreaterThan(0.3);
  expect(second.decision).toMatchObject({ route: 'review', calibrator_id: fitted?.id });
  expect(second.decision.reasons).toEqual([expect.objectContaining({ code: 'low_confidence' })]);
  expect(second.item.status).toBe('waiting');

  const audit = await t.db
    .selectFrom('audit_events')
    .select('data')
    .where('stream', '=', 'config')
    .where('action', '=', 'calibration.fitted')
    .execute();
  expect(audit.map((a) => a.data)).toEqual([
    expect.objectContaining({
      activated: true,
      confidenceMethod: 'posterior',
      promptVersion,
      interval: expect.objectContaining({ lower: metrics.interval.lower, resamples: 1000 }),
    }),
  ]);
});
