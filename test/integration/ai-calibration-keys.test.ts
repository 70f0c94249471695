// Calibrators are fitted and looked up per (agent, model version, confidence method, prompt
// version): labels of one model version given by two confidence methods, or under two prompts, are
// miscalibrated differently and never pooled. Three keys of one model version here, each with its
// own, opposite miscalibration and its own number of labels, so a calibrator fitted on a mix, or a
// decision calibrated by another key's, shows in the numbers.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  applyCalibrator,
  type CalibrationKey,
  type Calibrator,
  createCalibrationSource,
  createLocalProvider,
  fitCalibration,
} from '@signoff/ai';
import { appRouter, createCallerFactory } from '@signoff/api';
import { executeStep } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { insertLabelHistory } from '../support/labels';
import { refundIntentWorkflow, seedRefundExamples } from '../support/refund-intent';

const intent = refundIntentWorkflow('keyed-intent', 'keyed');

let t: TestDatabase;
let e: TestEngine;
const provider = createLocalProvider();
const calibration = createCalibrationSource({ refreshMs: 0 });

beforeAll(async () => {
  t = await createTestDatabase();
  await seedRefundExamples(t.db, 'keyed');
  e = await startTestEngine(t, [intent], { workers: false });
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function decide(text: string) {
  const id = await e.submit('keyed-intent', { text });
  await executeStep(
    { db: t.db, boss: e.boss, registry: e.registry, provider, calibration },
    { itemId: id, state: 'classify', visit: 1 },
  );
  return t.db.selectFrom('decisions').selectAll().where('item_id', '=', id).executeTakeFirstOrThrow();
}

/** `n` labels with confidence in [from, from + 0.1), right with probability `accuracy`; seeded. */
function history(n: number, seed: number, from: number, accuracy: number) {
  let s = seed;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => ({
    p: from + 0.1 * random(),
    correct: random() < accuracy,
    id: `0000${seed.toString(16).padStart(4, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  }));
}

async function calibrator(id: string) {
  const row = await t.db.selectFrom('calibrators').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return { row, calibrator: row.params as Calibrator };
}

it('labels of two confidence methods or two prompt versions of one model version never mix', async () => {
  const first = await decide('please refund my money, I was charged twice');
  expect(first).toMatchObject({ route: 'auto', calibrator_id: null, confidence_method: 'posterior' });
  const base = { agent: 'keyed', modelVersion: first.model_version };
  const posterior: CalibrationKey = { ...base, confidenceMethod: 'posterior', promptVersion: first.prompt_version };
  const logprobs: CalibrationKey = { ...posterior, confidenceMethod: 'logprobs' };
  const oldPrompt: CalibrationKey = { ...posterior, promptVersion: 'old-prompt' };
  const labels: [string, string] = ['refund', 'other'];
  // Older prompt: says 0.9-1.0, right 20%. Log probabilities: say 0.5-0.6, right 95%. The decisions'
  // own key, labelled last (the newest key): says 0.9-1.0, right 55%.
  const insert = (key: CalibrationKey, points: ReturnType<typeof history>) =>
    insertLabelHistory(t.db, { ...key, labels, points });
  await insert(oldPrompt, history(700, 1, 0.9, 0.2));
  await insert(logprobs, history(800, 2, 0.5, 0.95));
  await insert(posterior, history(1000, 3, 0.9, 0.55));

  // No key given: the newest label's.
  const own = await fitCalibration(t.db, { agent: 'keyed', actor: { type: 'system' } });
  expect(own).toMatchObject({ ...posterior, activated: true });
  // The log probabilities' key from the CLI's flags.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...['--import', 'tsx', 'apps/cli/src/main.ts', 'calibrate', '--agent', 'keyed'],
      ...['--confidence-method', 'logprobs', '--prompt-version', first.prompt_version],
    ],
    { cwd: join(import.meta.dirname, '..', '..'), env: { ...process.env, DATABASE_URL: t.url } },
  );
  expect(stdout).toContain(`keyed ${first.model_version} (logprobs, prompt ${first.prompt_version}): isotonic`);
  // The older prompt's from the API's input.
  const scientist = await upsertUser(t.db, {
    email: 'ds@keys.test',
    name: 'DS',
    role: 'data_scientist',
    password: 'x',
  });
  const api = createCallerFactory(appRouter)({
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    user: scientist,
    token: null,
  });
  const old = await api.models.calibrate({ agent: 'keyed', promptVersion: 'old-prompt' });
  expect(old).toMatchObject({ ...oldPrompt, activated: true });

  const rows = await t.db
    .selectFrom('calibrators')
    .selectAll()
    .where('agent', '=', 'keyed')
    .orderBy('created_at')
    .execute();
  // One calibrator per key, each fitted on its own labels only, all three active at once.
  expect(rows.map((r) => [r.confidence_method, r.prompt_version, r.label_count, r.active])).toEqual([
    ['posterior', first.prompt_version, 1000, true],
    ['logprobs', first.prompt_version, 800, true],
    ['posterior', 'old-prompt', 700, true],
  ]);
  const [ownRow, logprobsRow, oldRow] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
  const at = (row: (typeof rows)[0], p: number) => applyCalibrator(row.params as Calibrator, p);
  expect(at(ownRow, 0.95)).toBeGreaterThan(0.45);
  expect(at(ownRow, 0.95)).toBeLessThan(0.65);
  expect(at(logprobsRow, 0.55)).toBeGreaterThan(0.85);
  expect(at(oldRow, 0.95)).toBeLessThan(0.3);

  // Each key is calibrated by its own calibrator, and a key without one is left as it is.
  for (const [key, row] of [
    [posterior, ownRow],
    [logprobs, logprobsRow],
    [oldPrompt, oldRow],
  ] as const)
    expect(await calibration.calibrate(t.db, key, 0.95)).toEqual({ value: at(row, 0.95), calibratorId: row.id });
  expect(await calibration.calibrate(t.db, { ...posterior, confidenceMethod: 'verbalized' }, 0.95)).toEqual({
    value: 0.95,
    calibratorId: null,
  });

  // A decision is calibrated by its own key's calibrator: 55% right, so it goes to review.
  const second = await decide('please refund my money, I was charged twice again');
  expect(second).toMatchObject({ calibrator_id: ownRow.id, route: 'review' });
  expect(second.calibrated_confidence).toBeCloseTo(at(ownRow, second.confidence), 12);

  // Refitting one key replaces that key's active calibrator only.
  const again = await fitCalibration(t.db, { ...logprobs, actor: { type: 'system' } });
  expect(again.activated).toBe(true);
  expect((await calibrator(logprobsRow.id)).row.active).toBe(false);
  expect((await calibrator(ownRow.id)).row.active).toBe(true);
  expect((await calibrator(oldRow.id)).row.active).toBe(true);
});
