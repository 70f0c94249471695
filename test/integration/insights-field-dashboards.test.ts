// Per-field dashboards of structured decisions (issue 13) on a small history written row by row;
// every expected figure is worked out by hand from the rows below (the comments say how). A field
// is right when the decision's decisive label (adjudicated first, else the latest, answers only)
// did not change it. Window: [2026-01-05, 2026-01-19), two ISO weeks from Monday 5 January.
import { confusionMatrix, fieldAccuracy, fieldCalibration, fieldOptions, reviewerAgreement } from '@signoff/insights';
import { clopperPearsonUpper } from '@signoff/trust';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardHistory } from '../support/dashboard-history';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
const window = { from: '2026-01-05T00:00:00Z', to: '2026-01-19T00:00:00Z' } as const;
const s = { workflow: 'wf-s', state: 'extract', modelVersion: 'v1', ...window };

beforeAll(async () => {
  t = await createTestDatabase();
  const h = new DashboardHistory(t.db);
  const ann = await h.reviewer('Ann');
  const cat = await h.reviewer('Cat');
  const d = (at: string, route: 'auto' | 'review' | 'sampled', pi: number, taxId: number, amount: number) =>
    h.decision({ at, workflow: 'wf-s', state: 'extract', route, pi, label: '{"x":1}', fields: { taxId, amount } });
  const label = (
    decision: Awaited<ReturnType<typeof d>>,
    at: string,
    changedFields: string[],
    o: { adjudicated?: boolean; final?: boolean; by?: string } = {},
  ) => h.label({ decision, reviewerId: o.by ?? ann, human: '{"x":2}', at, changedFields, ...o });

  // Week of 5 January. Routed (pi = 1): S1 (taxId changed), S2 (nothing changed), S3 (adjudicated:
  // amount changed; Ann's later label changing both loses to it).
  const s1 = await d('2026-01-05T10:00:00Z', 'review', 1, 0.35, 0.95);
  const s2 = await d('2026-01-05T11:00:00Z', 'review', 1, 0.45, 0.85);
  const s3 = await d('2026-01-06T10:00:00Z', 'review', 1, 0.55, 0.75);
  // Automated, pi = 0.25: S4 drawn (amount changed), S5 drawn (nothing changed), S6 and S7 not drawn.
  const s4 = await d('2026-01-06T11:00:00Z', 'sampled', 0.25, 0.95, 0.91);
  const s5 = await d('2026-01-06T12:00:00Z', 'sampled', 0.25, 0.92, 0.93);
  await d('2026-01-07T10:00:00Z', 'auto', 0.25, 0.9, 0.9);
  await d('2026-01-07T11:00:00Z', 'auto', 0.25, 0.9, 0.9);
  // Automated, pi = 0.5: S8 drawn (taxId changed; a second reviewer's verdict that is not the
  // point's answer, changing nothing, is not counted), S9 not drawn.
  const s8 = await d('2026-01-08T10:00:00Z', 'sampled', 0.5, 0.99, 0.99);
  await d('2026-01-08T11:00:00Z', 'auto', 0.5, 0.9, 0.9);
  // Not counted: a failed call (no answer), and a classification of another state.
  await h.decision({
    at: '2026-01-08T12:00:00Z',
    workflow: 'wf-s',
    state: 'extract',
    route: 'review',
    pi: 1,
    label: null,
    fields: { taxId: 0.1, amount: 0.1 },
  });
  const c = await h.decision({ at: '2026-01-08T13:00:00Z', workflow: 'wf-s', route: 'review', pi: 1, label: 'yes' });
  // Week of 12 January: S11 routed, both fields changed; S12 automated, not drawn.
  const s11 = await d('2026-01-12T10:00:00Z', 'review', 1, 0.65, 0.65);
  await d('2026-01-13T10:00:00Z', 'auto', 0.25, 0.9, 0.9);

  await label(s1, '2026-01-05T12:00:00Z', ['taxId']);
  await label(s2, '2026-01-05T12:00:00Z', []);
  await label(s3, '2026-01-06T12:00:00Z', ['amount'], { adjudicated: true, by: cat });
  await label(s3, '2026-01-07T12:00:00Z', ['taxId', 'amount']);
  await label(s4, '2026-01-06T13:00:00Z', ['amount']);
  await label(s5, '2026-01-06T13:00:00Z', []);
  await label(s8, '2026-01-08T12:00:00Z', ['taxId']);
  await label(s8, '2026-01-09T12:00:00Z', [], { final: false, by: cat });
  await label(s11, '2026-01-12T12:00:00Z', ['taxId', 'amount']);
  await h.label({ decision: c, reviewerId: ann, human: 'no', at: '2026-01-08T14:00:00Z' });

  // Definitions for the field picker: a structured state in two versions (the second adds a
  // field), a classification state, and another workflow.
  const states = (extra: object[]) => ({
    states: {
      extract: {
        kind: 'decide',
        output: {
          jsonSchema: {},
          fields: [
            { path: 'taxId', name: 'taxId', type: 'string', optional: false },
            {
              path: 'vendor',
              name: 'vendor',
              type: 'object',
              optional: false,
              fields: [{ path: 'vendor.name', name: 'name', type: 'string', optional: false }],
            },
            ...extra,
          ],
        },
      },
      classify: { kind: 'decide', labels: ['yes', 'no'] },
    },
  });
  await t.db
    .insertInto('workflow_versions')
    .values([
      { name: 'wf-opts', version: 1, hash: 'o1', definition: JSON.stringify(states([])) },
      {
        name: 'wf-opts',
        version: 2,
        hash: 'o2',
        definition: JSON.stringify(states([{ path: 'amount', name: 'amount', type: 'number', optional: true }])),
      },
      { name: 'wf-plain', version: 1, hash: 'p1', definition: JSON.stringify({ states: { a: { kind: 'decide' } } }) },
    ])
    .execute();
});
afterAll(() => t.drop());

// Two strata on the automated path, two-sided 95%: each stratum's side gets 0.05 / 2 / 2.
const each = 0.0125;

describe('per-field accuracy', () => {
  it('per week and field: the automated path by Horvitz-Thompson over strata of pi, the routed decisions apart', async () => {
    const points = await fieldAccuracy(t.db, { ...s, bucket: 'week' });
    expect(points.map((p) => `${p.bucket} ${p.state} ${p.field} ${p.decisions}`)).toEqual([
      '2026-01-05 extract amount 9',
      '2026-01-05 extract taxId 9',
      '2026-01-12 extract amount 2',
      '2026-01-12 extract taxId 2',
    ]);
    const [amount5, taxId5, amount12] = points;
    // taxId, automated: pi 0.25 (4 decisions, S4 and S5 labelled, both right), pi 0.5 (2 decisions,
    // S8 labelled, wrong). Error 4/6 x 0 + 2/6 x 1 = 1/3. Upper error: 4/6 x (1 - 0.0125^(1/2)) +
    // 2/6 x 1; lower error: 2/6 x 0.0125 (1 wrong of 1: its lower bound is 0.0125).
    expect(taxId5?.automated).toEqual({
      population: 6,
      accuracy: expect.closeTo(2 / 3, 12),
      lower: expect.closeTo(1 - ((4 / 6) * (1 - Math.sqrt(each)) + 2 / 6), 9),
      upper: expect.closeTo(1 - (2 / 6) * each, 9),
      labelled: 3,
      wrong: 1,
    });
    // taxId, routed: S1 wrong, S2 right, S3 right (its adjudicated label changed amount only).
    expect(taxId5?.routed).toMatchObject({ decisions: 3, accuracy: 2 / 3, labelled: 3, wrong: 1 });
    // amount, automated: pi 0.25, S4 wrong and S5 right (1 of 2: bounds 1 - sqrt(1 - 0.0125) and
    // sqrt(1 - 0.0125)); pi 0.5, S8 right (0 of 1: upper 1 - 0.0125). Error 4/6 x 1/2 = 1/3.
    expect(amount5?.automated).toEqual({
      population: 6,
      accuracy: expect.closeTo(2 / 3, 12),
      lower: expect.closeTo(1 - ((4 / 6) * Math.sqrt(1 - each) + (2 / 6) * (1 - each)), 9),
      upper: expect.closeTo(1 - (4 / 6) * (1 - Math.sqrt(1 - each)), 9),
      labelled: 3,
      wrong: 1,
    });
    // amount, routed: S1 right, S2 right, S3 wrong.
    expect(amount5?.routed).toMatchObject({ decisions: 3, accuracy: 2 / 3, labelled: 3, wrong: 1 });
    // Week of 12 January: S12 not drawn, nothing known; S11 wrong: 0 of 1, upper 1 - 0.025.
    expect(amount12?.automated).toEqual({ population: 1, accuracy: null, lower: 0, upper: 1, labelled: 0, wrong: 0 });
    expect(amount12?.routed).toEqual({
      decisions: 1,
      accuracy: 0,
      lower: 0,
      upper: expect.closeTo(0.975, 9),
      labelled: 1,
      wrong: 1,
    });
  });

  it('one field when asked; nothing for classifications', async () => {
    const points = await fieldAccuracy(t.db, { ...window, workflow: 'wf-s', field: 'taxId' });
    expect(points.map((p) => `${p.bucket} ${p.field}`)).toEqual(['2026-01-05 taxId', '2026-01-12 taxId']);
    expect(await fieldAccuracy(t.db, { ...window, state: 'classify' })).toEqual([]);
    // Daily buckets: 12 January has S11 alone; its routed interval at 90% has upper 1 - 0.05.
    const day = await fieldAccuracy(t.db, { ...s, bucket: 'day', field: 'taxId', confidence: 0.9 });
    expect(day.find((p) => p.bucket === '2026-01-12')?.routed.upper).toBeCloseTo(clopperPearsonUpper(0, 1, 0.05), 12);
    expect(day.find((p) => p.bucket === '2026-01-12')?.routed.upper).toBeCloseTo(0.95, 12);
  });

  it('refuses a field that is not a dotted path of names, naming it', async () => {
    await expect(fieldAccuracy(t.db, { field: 'tax id!' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      issues: [{ path: 'field', message: 'A field is a dotted path of names, such as vendor.taxId' }],
    });
    await expect(fieldCalibration(t.db, { field: 'a..b' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(fieldCalibration(t.db, { bins: 1 })).rejects.toThrow('At least 2 bins');
  });
});

describe('per-field calibration', () => {
  it("one field's confidence against its correctness: reliability bins and ECE", async () => {
    // taxId points (confidence, right): S1 0.35 no, S2 0.45 yes, S3 0.55 yes, S4 0.95 yes, S5 0.92
    // yes, S8 0.99 no, S11 0.65 no. Gaps: 0.35, 0.55, 0.45, 0.65; bin 9 holds three points at
    // mean 0.95333, 2 of 3 right: 3 x |0.95333 - 0.66667| = 0.86. ECE = (2.0 + 0.86) / 7.
    const r = await fieldCalibration(t.db, { ...window, workflow: 'wf-s', field: 'taxId' });
    expect(r.field).toBe('taxId');
    expect(r.labelled).toBe(7);
    expect(r.ece).toBeCloseTo(2.86 / 7, 12);
    expect(r.bins[9]).toEqual({
      from: 0.9,
      to: 1,
      confidence: expect.closeTo(2.86 / 3, 12),
      accuracy: 2 / 3,
      count: 3,
    });
    expect(r.bins[3]).toMatchObject({ confidence: 0.35, accuracy: 0, count: 1 });
    expect(r.bins[4]).toMatchObject({ confidence: 0.45, accuracy: 1, count: 1 });
    expect(r.bins[7]).toMatchObject({ count: 0 });
    // amount: S1 0.95 yes, S2 0.85 yes, S3 0.75 no (adjudicated), S4 0.91 no, S5 0.93 yes, S8 0.99
    // yes, S11 0.65 no. Gaps 0.65, 0.75, 0.15; bin 9: 4 points, sum 3.78, 3 right: 0.78. ECE 2.33 / 7.
    const a = await fieldCalibration(t.db, { ...window, field: 'amount' });
    expect(a.ece).toBeCloseTo(2.33 / 7, 12);
    expect(a.bins[9]).toMatchObject({ confidence: expect.closeTo(0.945, 12), accuracy: 0.75, count: 4 });
  });

  it('every field pooled without one; nothing outside the filters', async () => {
    // 14 points: bins 3, 4, 5 (0.35, 0.55, 0.45), bin 6 (two at 0.65, wrong: 1.3), 7 (0.75), 8
    // (0.15), bin 9 (seven points, sum 6.64, 5 right: 1.64). ECE = 5.19 / 14.
    const r = await fieldCalibration(t.db, s);
    expect(r).toMatchObject({ field: null, labelled: 14 });
    expect(r.ece).toBeCloseTo(5.19 / 14, 12);
    expect(await fieldCalibration(t.db, { ...window, workflow: 'nobody' })).toMatchObject({ labelled: 0, ece: null });
    // Labels given in the second week only: S11's two fields.
    expect(await fieldCalibration(t.db, { from: '2026-01-12T00:00:00Z', to: '2026-01-19T00:00:00Z' })).toMatchObject({
      labelled: 2,
    });
  });
});

it('field options: the structured states with their leaf fields, over every version', async () => {
  expect(await fieldOptions(t.db, { workflow: 'wf-opts' })).toEqual([
    {
      workflow: 'wf-opts',
      state: 'extract',
      fields: [
        { path: 'taxId', type: 'string' },
        { path: 'vendor.name', type: 'string' },
        { path: 'amount', type: 'number' },
      ],
    },
  ]);
  expect(await fieldOptions(t.db, { workflow: 'wf-plain' })).toEqual([]);
  expect((await fieldOptions(t.db)).map((o) => `${o.workflow}/${o.state}`)).toEqual(['wf-opts/extract']);
  expect(await fieldOptions(t.db, { state: 'classify' })).toEqual([]);
});

it('the confusion matrix and agreement count classifications only: records are not categories, nor shown', async () => {
  // wf-s: the classification decision C (AI "yes", person "no") only; the records' labels left out.
  expect(await confusionMatrix(t.db, { ...window, workflow: 'wf-s' })).toEqual({
    labels: ['no', 'yes'],
    cells: [{ ai: 'yes', human: 'no', count: 1 }],
    total: 1,
    agreement: 0,
  });
  // S8 has two reviewers' labels (Ann's answer, Cat's other verdict): a pair of records, not counted.
  expect(await reviewerAgreement(t.db, { ...window, workflow: 'wf-s' })).toMatchObject({ pairs: 0 });
});
