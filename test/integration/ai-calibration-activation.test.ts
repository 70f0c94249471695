// When fitCalibration activates a calibrator, and what it fits it on. Its rule (docs/architecture.md,
// "Calibration"): fit on four fifths of the labels, judge on the held-out fifth, "split by label
// id" (a label is held out when the first byte of the SHA-256 of its id is 0 mod 5), and activate
// only if the held-out Brier score improves significantly (paired bootstrap, one-sided 95%) on at
// least 50 held-out labels. The labels here have chosen ids, so the test knows which side of the
// split each one is on and can write the outcome by hand.
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
    interval: { estimate: number; lower: number; level: number; resamples: number };
    activated: boolean;
  };
  return { row, metrics, calibrator: row.params as Calibrator };
}

it('a model that is already calibrated gets no active calibrator', async () => {
  // Says 0.75 and is right 3 times in 4, on both sides of the split: held-out ECE is 0 already, and
  // the calibrator fitted (0.75 -> 0.75) changes no held-out Brier term: an improvement of exactly 0.
  const ids = splitIds(1, 200, 52);
  const points = [
    ...ids.train.map((id, i) => ({ id, p: 0.75, correct: i % 4 !== 0 })),
    ...ids.held.map((id, i) => ({ id, p: 0.75, correct: i % 4 !== 0 })),
  ];
  await insertLabelHistory(t.db, { agent: 'calibrated', modelVersion: 'v1', labels: ['yes', 'no'], points });
  const r = await fitCalibration(t.db, { agent: 'calibrated', actor: { type: 'system' } });
  expect(r).toMatchObject({ activated: false, trainSize: 200, heldOutSize: 52, before: { ece: 0 } });
  expect(r.interval).toMatchObject({ estimate: 0, lower: 0, level: 0.95, resamples: 1000 });
  expect(r.reason).toBe(
    'held-out Brier 0.1875 -> 0.1875, one-sided 95% bootstrap lower bound of the improvement 0.0000 is not above 0 (1000 resamples of 52 held-out labels)',
  );
  const { row, metrics } = await fitted('calibrated');
  expect(row).toMatchObject({ id: r.calibratorId, active: false, label_count: 252 });
  expect(metrics).toMatchObject({ activated: false, interval: r.interval });
});

it('the calibrator is fitted on the four fifths only, and judged on the fifth it never saw', async () => {
  // Says 0.9; right on every label it is fitted on, wrong on every held-out one.
  const ids = splitIds(2, 200, 50);
  const points = [
    ...ids.train.map((id) => ({ id, p: 0.9, correct: true })),
    ...ids.held.map((id) => ({ id, p: 0.9, correct: false })),
  ];
  await insertLabelHistory(t.db, { agent: 'split', modelVersion: 'v1', labels: ['yes', 'no'], points });
  const r = await fitCalibration(t.db, { agent: 'split', actor: { type: 'system' } });
  const { row, metrics, calibrator } = await fitted('split');
  // Fitted on the 200 right answers only: 0.9 means "right" (1.0). With the 50 wrong ones too it
  // would mean 0.8, which would lower every held-out Brier term from 0.81 to 0.64 and be activated.
  expect(applyCalibrator(calibrator, 0.9)).toBe(1);
  // Judged on the 50 wrong answers: before, confidence 0.9 and accuracy 0 (ECE 0.9, Brier 0.81);
  // after, confidence 1 and accuracy 0 (ECE 1, Brier 1): worse by 0.19 on every label, so not
  // activated.
  expect(metrics.trainSize).toBe(200);
  expect(metrics.heldOutSize).toBe(50);
  expect(metrics.before.ece).toBeCloseTo(0.9, 12);
  expect(metrics.before.brier).toBeCloseTo(0.81, 12);
  expect(metrics.after).toEqual({ ece: 1, brier: 1 });
  expect(metrics.interval.estimate).toBeCloseTo(-0.19, 12);
  expect(metrics.interval.lower).toBeCloseTo(-0.19, 12);
  expect(r.activated).toBe(false);
  expect(row.active).toBe(false);
});
