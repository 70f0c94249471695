// Calibration end to end: a confident model is auto-accepted; human labels show that this model
// version is right far less often than it says; `signoff calibrate` fits a calibrator that lowers
// the held-out ECE and activates it; the same kind of decision is now routed on the calibrated
// confidence, and goes to review. The decision keeps both numbers.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCalibrationSource, createLocalProvider, fitCalibration, listCalibrations } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { executeStep } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { insertLabelHistory } from '../support/labels';

const intent = defineWorkflow({
  name: 'refund-intent',
  input: z.object({ text: z.string() }),
  start: 'classify',
  states: {
    classify: {
      kind: 'decide',
      agent: { name: 'intent', instructions: 'Is this a refund request?' },
      labels: ['refund', 'other'],
      text: (ctx) => ctx.input.text,
      policy: { autoAcceptAt: 0.75, queue: 'refunds' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded' },
  },
});

let t: TestDatabase;
let e: TestEngine;
const provider = createLocalProvider();
const calibration = createCalibrationSource({ refreshMs: 0 });
const deps = () => ({ db: t.db, boss: e.boss, registry: e.registry, provider, calibration });

beforeAll(async () => {
  t = await createTestDatabase();
  await t.db
    .insertInto('seed_examples')
    .values([
      ...[
        'I want my money back',
        'please refund the duplicate charge',
        'refund my order now',
        'charged twice, refund please',
      ].map((text) => ({ agent: 'intent', text, label: 'refund' })),
      ...[
        'how do I export a report',
        'the app crashes on login',
        'change my email address',
        'great product, thanks',
      ].map((text) => ({ agent: 'intent', text, label: 'other' })),
    ])
    .execute();
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

  // 400 reviewed decisions of this model version: it says 0.9-1.0 but is right 55% of the time.
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const points = Array.from({ length: 400 }, () => {
    const p = 0.9 + 0.1 * random();
    return { p, correct: random() < 0.55 };
  });
  await insertLabelHistory(t.db, { agent: 'intent', modelVersion, labels: ['refund', 'other'], points });

  // Too few labels for another version is a clear refusal.
  await expect(
    fitCalibration(t.db, { agent: 'intent', modelVersion: 'nb-v99', actor: { type: 'system' } }),
  ).rejects.toThrow(/needs at least 50 human labels/);

  // The CLI fits it, prints before/after on the held-out labels, and activates it.
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
    method: 'isotonic',
    active: true,
    label_count: 400,
  });
  const metrics = fitted?.metrics as { before: { ece: number; brier: number }; after: { ece: number; brier: number } };
  expect(metrics.after.ece).toBeLessThan(metrics.before.ece);
  expect(metrics.after.brier).toBeLessThan(metrics.before.brier);
  // The whole line, so that "stored, not activated: ..." cannot pass for it.
  expect(stdout.split('\n')).toContain(
    `activated: held-out ECE ${metrics.before.ece.toFixed(3)} -> ${metrics.after.ece.toFixed(3)} (calibrator ${fitted?.id})`,
  );

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
  expect(audit.map((a) => a.data.activated)).toEqual([true]);
});
