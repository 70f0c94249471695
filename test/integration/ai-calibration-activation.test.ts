// When fitCalibration activates a calibrator, and what it fits it on. Its rule (docs/architecture.md,
// "Calibration"): fit on four fifths of the labels, judge on the held-out fifth, "split by label
// id" (a label is held out when the first byte of the SHA-256 of its id is 0 mod 5), and activate
// only if the held-out expected calibration error goes down. The labels here have chosen ids, so
// the test knows which side of the split each one is on and can write the outcome by hand.
import { createHash } from 'node:crypto';
import { applyCalibrator, type Calibrator, fitCalibration } from '@signoff/ai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertLabelHistory } from '../support/labels';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const heldOut = (id: string) => (createHash('sha256').update(id).digest()[0] as number) % 5 === 0;

/** `train` label ids that are fitted on and `held` ones that are held out, distinct per `tag`. */
function splitIds(tag: number, train: number, held: number): { train: string[]; held: string[] } {
  const out = { train: [] as string[], held: [] as string[] };
  for (let i = 0; out.train.length < train || out.held.length < held; i++) {
    const id = `0000${tag.toString(16).padStart(4, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const side = heldOut(id) ? out.held : out.train;
    if (side.length < (side === out.held ? held : train)) side.push(id);
  }
  return out;
}

async function fitted(agent: string) {
  const row = await t.db.selectFrom('calibrators').selectAll().where('agent', '=', agent).executeTakeFirstOrThrow();
  const metrics = row.metrics as {
    before: { ece: number; brier: number };
    after: { ece: number; brier: number };
    trainSize: number;
    heldOutSize: number;
  };
  return { row, metrics, calibrator: row.params as Calibrator };
}

it('a model that is already calibrated gets no active calibrator', async () => {
  // Says 0.75 and is right 3 times in 4, on both sides of the split: held-out ECE is 0 already.
  const ids = splitIds(1, 80, 20);
  const points = [
    ...ids.train.map((id, i) => ({ id, p: 0.75, correct: i % 4 !== 0 })),
    ...ids.held.map((id, i) => ({ id, p: 0.75, correct: i % 4 !== 0 })),
  ];
  await insertLabelHistory(t.db, { agent: 'calibrated', modelVersion: 'v1', labels: ['yes', 'no'], points });
  const r = await fitCalibration(t.db, { agent: 'calibrated', actor: { type: 'system' } });
  expect(r).toMatchObject({ activated: false, trainSize: 80, heldOutSize: 20, before: { ece: 0 } });
  expect(r.reason).toMatch(/^not activated: held-out ECE would not improve \(0\.000 -> /);
  const { row } = await fitted('calibrated');
  expect(row).toMatchObject({ id: r.calibratorId, active: false, label_count: 100 });
});

it('the calibrator is fitted on the four fifths only, and judged on the fifth it never saw', async () => {
  // Says 0.9; right on every label it is fitted on, wrong on every held-out one.
  const ids = splitIds(2, 80, 20);
  const points = [
    ...ids.train.map((id) => ({ id, p: 0.9, correct: true })),
    ...ids.held.map((id) => ({ id, p: 0.9, correct: false })),
  ];
  await insertLabelHistory(t.db, { agent: 'split', modelVersion: 'v1', labels: ['yes', 'no'], points });
  const r = await fitCalibration(t.db, { agent: 'split', actor: { type: 'system' } });
  const { row, metrics, calibrator } = await fitted('split');
  // Fitted on the 80 right answers only: 0.9 means "right" (1.0). With the 20 wrong ones too it
  // would mean at most 0.8.
  expect(applyCalibrator(calibrator, 0.9)).toBe(1);
  // Judged on the 20 wrong answers: before, confidence 0.9 and accuracy 0 (ECE 0.9, Brier 0.81);
  // after, confidence 1 and accuracy 0 (ECE 1, Brier 1): worse, so not activated.
  expect(metrics.trainSize).toBe(80);
  expect(metrics.heldOutSize).toBe(20);
  expect(metrics.before.ece).toBeCloseTo(0.9, 12);
  expect(metrics.before.brier).toBeCloseTo(0.81, 12);
  expect(metrics.after).toEqual({ ece: 1, brier: 1 });
  expect(r.activated).toBe(false);
  expect(row.active).toBe(false);
});
