// The dashboard queries on a small history written row by row, each expected figure worked out by
// hand from the rows below (the comments say how). Window: [2026-01-05, 2026-01-19), two ISO weeks
// from Monday 5 January.
import { usageByWorkflowAndDay } from '@signoff/ai';
import {
  accuracyOverTime,
  aiUsage,
  automationRate,
  calibrationReport,
  confusionMatrix,
  dashboardOptions,
  overridesPerReviewer,
  queueHealth,
  reviewerAgreement,
  reviewVolume,
  stateTimes,
  throughput,
} from '@signoff/insights';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardHistory } from '../support/dashboard-history';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
const window = { from: '2026-01-05T00:00:00Z', to: '2026-01-19T00:00:00Z' } as const;
const a = { workflow: 'wf-a', state: 'classify', modelVersion: 'v1', ...window };

beforeAll(async () => {
  t = await createTestDatabase();
  const h = new DashboardHistory(t.db);
  const ann = await h.reviewer('Ann');
  const bob = await h.reviewer('Bob');
  const cat = await h.reviewer('Cat');

  // wf-a / classify / v1. Week of 5 Jan: four routed decisions, all right in the end (D4's
  // adjudicated "yes" outranks Ann's later "no"); four auto-accepted at pi = 0.5, two of them drawn
  // and confirmed. Week of 12 Jan: one routed, wrong; one auto-accepted, not drawn.
  const d1 = await h.decision({ at: '2026-01-05T10:00:00Z', route: 'review', pi: 1, label: 'yes', calibrated: 0.15 });
  const d2 = await h.decision({ at: '2026-01-06T10:00:00Z', route: 'review', pi: 1, label: 'no', calibrated: 0.25 });
  const d3 = await h.decision({ at: '2026-01-06T11:00:00Z', route: 'review', pi: 1, label: 'yes', calibrated: 0.35 });
  const d4 = await h.decision({ at: '2026-01-07T10:00:00Z', route: 'review', pi: 1, label: 'yes', calibrated: 0.45 });
  const d5 = await h.decision({
    at: '2026-01-07T11:00:00Z',
    route: 'sampled',
    pi: 0.5,
    label: 'yes',
    calibrated: 0.95,
  });
  const d6 = await h.decision({
    at: '2026-01-07T12:00:00Z',
    route: 'sampled',
    pi: 0.5,
    label: 'yes',
    calibrated: 0.91,
  });
  await h.decision({ at: '2026-01-08T10:00:00Z', route: 'auto', pi: 0.5, label: 'yes', calibrated: 0.92 });
  await h.decision({ at: '2026-01-08T11:00:00Z', route: 'auto', pi: 0.5, label: 'yes', calibrated: 0.88 });
  // Counted by automation only: no audit probability (before 0013), and a failed call.
  await h.decision({ at: '2026-01-09T10:00:00Z', route: 'auto', pi: null, label: 'yes' });
  await h.decision({ at: '2026-01-09T11:00:00Z', route: 'review', pi: 1, label: null });
  const d9 = await h.decision({
    at: '2026-01-12T10:00:00Z',
    route: 'review',
    pi: 1,
    label: 'yes',
    calibrated: 0.55,
    confidence: 0.65,
  });
  await h.decision({ at: '2026-01-13T10:00:00Z', route: 'auto', pi: 0.5, label: 'yes' });
  // Outside the filters: another workflow, another model version, after the window.
  const d11 = await h.decision({ at: '2026-01-13T11:00:00Z', workflow: 'wf-b', route: 'review', pi: 1, label: 'yes' });
  const d12 = await h.decision({
    at: '2026-01-13T12:00:00Z',
    modelVersion: 'v2',
    route: 'review',
    pi: 1,
    label: 'yes',
  });
  const d13 = await h.decision({ at: '2026-01-20T10:00:00Z', route: 'review', pi: 1, label: 'yes' });

  await h.label({ decision: d1, reviewerId: ann, human: 'yes', at: '2026-01-05T11:00:00Z' });
  await h.label({ decision: d2, reviewerId: ann, human: 'no', at: '2026-01-06T12:00:00Z' });
  await h.label({ decision: d3, reviewerId: bob, human: 'yes', at: '2026-01-06T12:00:00Z' });
  await h.label({ decision: d4, reviewerId: cat, human: 'yes', at: '2026-01-07T12:00:00Z', adjudicated: true });
  await h.label({ decision: d4, reviewerId: ann, human: 'no', at: '2026-01-08T12:00:00Z' });
  await h.label({ decision: d5, reviewerId: bob, human: 'yes', at: '2026-01-07T13:00:00Z' });
  await h.label({ decision: d6, reviewerId: bob, human: 'yes', at: '2026-01-07T13:00:00Z' });
  await h.label({ decision: d9, reviewerId: bob, human: 'no', at: '2026-01-12T12:00:00Z' });
  await h.label({ decision: d11, reviewerId: ann, human: 'no', at: '2026-01-13T12:00:00Z' });
  await h.label({ decision: d12, reviewerId: ann, human: 'yes', at: '2026-01-13T13:00:00Z' });
  await h.label({ decision: d13, reviewerId: ann, human: 'no', at: '2026-01-20T11:00:00Z' });

  // wf-k / check: items reviewed twice (labels of a review state, no decision). Pairs (first, second):
  // yes/yes x4, no/no x3, yes/no x2, no/yes x1.
  const k = async (labels: [string, string][]) => {
    const item = { itemId: await h.item('wf-k'), workflow: 'wf-k', state: 'check' };
    let minute = 10;
    for (const [reviewerId, human] of labels)
      await h.label({ item, reviewerId, human, at: `2026-01-10T10:${minute++}:00Z` });
  };
  for (let i = 0; i < 3; i++)
    await k([
      [ann, 'yes'],
      [bob, 'yes'],
    ]);
  // Ann's second label is not a second person: the pair is her first "yes" and Bob's "yes".
  await k([
    [ann, 'yes'],
    [ann, 'no'],
    [bob, 'yes'],
  ]);
  for (let i = 0; i < 2; i++)
    await k([
      [bob, 'no'],
      [cat, 'no'],
    ]);
  // Three people: the pair is the first two (no, no); Cat's "yes" makes no pair.
  await k([
    [ann, 'no'],
    [bob, 'no'],
    [cat, 'yes'],
  ]);
  for (let i = 0; i < 2; i++)
    await k([
      [ann, 'yes'],
      [cat, 'no'],
    ]);
  await k([
    [cat, 'no'],
    [ann, 'yes'],
  ]);
  // No pair: one label only; and one whose second label is an adjudication.
  await k([[ann, 'yes']]);
  const adjudicated = { itemId: await h.item('wf-k'), workflow: 'wf-k', state: 'check' };
  await h.label({ item: adjudicated, reviewerId: ann, human: 'yes', at: '2026-01-10T11:00:00Z' });
  await h.label({ item: adjudicated, reviewerId: cat, human: 'no', at: '2026-01-10T11:01:00Z', adjudicated: true });

  // wf-t: state runs and finished items.
  const run = async (
    state: string,
    seconds: number,
    o: { workflow?: string; status?: 'done' | 'waiting'; day?: string } = {},
  ) => {
    const item = await h.item(o.workflow ?? 'wf-t');
    const start = new Date(`${o.day ?? '2026-01-06'}T08:00:00Z`);
    await h.stateRun(item, state, {
      startedAt: start.toISOString(),
      finishedAt: new Date(start.getTime() + seconds * 1000).toISOString(),
      status: o.status ?? 'done',
    });
  };
  for (let s = 1; s <= 20; s++) await run('classify', s);
  await run('review', 100);
  await run('review', 300);
  await run('enrich', 350);
  await run('review', 5000, { status: 'waiting' });
  await run('review', 5000, { day: '2026-01-20' });
  await run('review', 5000, { workflow: 'wf-b' });
  await h.item('wf-t', { status: 'succeeded', finishedAt: '2026-01-05T00:30:00Z' });
  await h.item('wf-t', { status: 'succeeded', finishedAt: '2026-01-05T12:00:00Z' });
  await h.item('wf-t', { status: 'rejected', finishedAt: '2026-01-05T02:59:59Z' });
  await h.item('wf-t', { status: 'failed', finishedAt: '2026-01-06T09:00:00Z' });
  await h.item('wf-t', { status: 'succeeded', finishedAt: '2026-01-19T00:00:00Z' });
  await h.item('wf-b', { status: 'succeeded', finishedAt: '2026-01-05T01:00:00Z' });

  // wf-q: review tasks in queues q1, q2 (and q3 of wf-b).
  const q = await h.item('wf-q');
  await h.task({ itemId: q, queue: 'q1', createdAt: '2026-01-05T10:00:00Z', completedAt: '2026-01-06T09:00:00Z' });
  await h.task({ itemId: q, queue: 'q1', kind: 'qa', createdAt: '2026-01-05T23:59:59Z' });
  await h.task({ itemId: q, queue: 'q1', createdAt: '2026-01-06T00:00:00Z', completedAt: '2026-01-06T01:00:00Z' });
  await h.task({ itemId: q, queue: 'q1', createdAt: '2026-01-04T23:00:00Z', completedAt: '2026-01-05T08:00:00Z' });
  await h.task({
    itemId: q,
    queue: 'q1',
    createdAt: '2026-01-07T00:00:00Z',
    status: 'claimed',
    dueAt: '2026-01-07T12:00:00Z',
  });
  await h.task({ itemId: q, queue: 'q2', createdAt: '2026-01-05T12:00:00Z' });
  await h.task({ itemId: q, queue: 'q1', createdAt: '2026-01-08T00:00:00Z', dueAt: '2026-01-09T00:00:00Z' });
  await h.task({ itemId: await h.item('wf-b'), queue: 'q3', createdAt: '2026-01-05T12:00:00Z' });
});
afterAll(() => t.drop());

describe('accuracy against human labels over time', () => {
  it('per week: routed accuracy with a two-sided Clopper-Pearson interval, the automated path by Horvitz-Thompson', async () => {
    const points = await accuracyOverTime(t.db, { ...a, bucket: 'week' });
    expect(points).toEqual([
      {
        workflow: 'wf-a',
        state: 'classify',
        modelVersion: 'v1',
        bucket: '2026-01-05',
        decisions: 8,
        // Stratum pi = 0.5: 4 decisions, 2 labelled, 0 wrong. Two-sided 95%, one stratum: delta/2 =
        // 0.025 a side; upper error 1 - 0.025^(1/2) = 0.841886, so accuracy >= 0.158114.
        automated: {
          population: 4,
          accuracy: 1,
          lower: expect.closeTo(0.025 ** 0.5, 9),
          upper: 1,
          labelled: 2,
          wrong: 0,
        },
        // 4 of 4 right: lower bound 0.025^(1/4) = 0.397635 (Beta(4, 1) quantile).
        routed: { decisions: 4, accuracy: 1, lower: expect.closeTo(0.025 ** 0.25, 9), upper: 1, labelled: 4, wrong: 0 },
      },
      {
        workflow: 'wf-a',
        state: 'classify',
        modelVersion: 'v1',
        bucket: '2026-01-12',
        decisions: 2,
        // One auto-accepted, unlabelled: nothing is known.
        automated: { population: 1, accuracy: null, lower: 0, upper: 1, labelled: 0, wrong: 0 },
        // 0 of 1 right: upper bound 1 - 0.025 = 0.975.
        routed: { decisions: 1, accuracy: 0, lower: 0, upper: expect.closeTo(0.975, 9), labelled: 1, wrong: 1 },
      },
    ]);
  });

  it('buckets by day and splits workflows and model versions when not filtered', async () => {
    const points = await accuracyOverTime(t.db, { ...window, bucket: 'day' });
    expect(points.map((p) => `${p.bucket} ${p.workflow} ${p.modelVersion} ${p.decisions}`)).toEqual([
      '2026-01-05 wf-a v1 1',
      '2026-01-06 wf-a v1 2',
      '2026-01-07 wf-a v1 3',
      '2026-01-08 wf-a v1 2',
      '2026-01-12 wf-a v1 1',
      '2026-01-13 wf-a v1 1',
      '2026-01-13 wf-a v2 1',
      '2026-01-13 wf-b v1 1',
    ]);
  });

  it('refuses a window that ends before it starts, an unknown bucket and a date that is not one', async () => {
    await expect(accuracyOverTime(t.db, { from: '2026-02-01', to: '2026-01-01' })).rejects.toThrow(
      '`from` must be before `to`',
    );
    await expect(accuracyOverTime(t.db, { bucket: 'month' as 'day' })).rejects.toThrow('Bucket by day or week');
    await expect(accuracyOverTime(t.db, { from: 'soon' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(automationRate(t.db, { from: '2020-01-01', to: '2026-01-01' })).rejects.toThrow('at most 400 days');
  });
});

it('confusion matrix: one label per decision, the adjudicated one first', async () => {
  // D1 yes/yes, D2 no/no, D3 yes/yes, D4 yes/yes (adjudicated; Ann's later "no" loses), D5, D6
  // yes/yes, D9 yes/no. D11 (wf-b), D12 (v2) and D13 (label after the window) are filtered out.
  expect(await confusionMatrix(t.db, a)).toEqual({
    labels: ['no', 'yes'],
    cells: [
      { ai: 'no', human: 'no', count: 1 },
      { ai: 'yes', human: 'no', count: 1 },
      { ai: 'yes', human: 'yes', count: 5 },
    ],
    total: 7,
    agreement: 6 / 7,
  });
});

it('reliability diagram and ECE of the calibrated confidence, and of the raw one', async () => {
  // One point per bin but bin 9 (0.95 and 0.91, both right: mean 0.93). Gaps |confidence -
  // accuracy|: 0.85, 0.75, 0.65, 0.55 (bins 1-4, right), 0.55 (bin 5, D9 wrong), 0.07 x 2 (bin 9).
  const r = await calibrationReport(t.db, a);
  expect(r.labelled).toBe(7);
  expect(r.ece).toBeCloseTo((0.85 + 0.75 + 0.65 + 0.55 + 0.55 + 2 * 0.07) / 7, 12);
  expect(r.bins[9]).toEqual({ from: 0.9, to: 1, confidence: expect.closeTo(0.93, 12), accuracy: 1, count: 2 });
  expect(r.bins[5]).toMatchObject({ confidence: 0.55, accuracy: 0, count: 1 });
  expect(r.bins[0]).toMatchObject({ count: 0 });
  expect(r.bins[8]).toMatchObject({ count: 0 });
  // Raw: D9's model said 0.65 (bin 6), a gap of 0.65 instead of 0.55.
  const raw = await calibrationReport(t.db, { ...a, confidence: 'raw' });
  expect(raw.ece).toBeCloseTo((0.85 + 0.75 + 0.65 + 0.55 + 0.65 + 2 * 0.07) / 7, 12);
  expect(raw.bins[6]).toMatchObject({ confidence: 0.65, count: 1 });
  expect(await calibrationReport(t.db, { ...a, workflow: 'nobody' })).toMatchObject({ labelled: 0, ece: null });
});

it('automation rate per day and per week: auto and sampled are automated', async () => {
  expect(await automationRate(t.db, { ...a, bucket: 'day' })).toEqual([
    { bucket: '2026-01-05', decisions: 1, automated: 0, sampled: 0, reviewed: 1, rate: 0 },
    { bucket: '2026-01-06', decisions: 2, automated: 0, sampled: 0, reviewed: 2, rate: 0 },
    { bucket: '2026-01-07', decisions: 3, automated: 2, sampled: 2, reviewed: 1, rate: 2 / 3 },
    { bucket: '2026-01-08', decisions: 2, automated: 2, sampled: 0, reviewed: 0, rate: 1 },
    { bucket: '2026-01-09', decisions: 2, automated: 1, sampled: 0, reviewed: 1, rate: 0.5 },
    { bucket: '2026-01-12', decisions: 1, automated: 0, sampled: 0, reviewed: 1, rate: 0 },
    { bucket: '2026-01-13', decisions: 1, automated: 1, sampled: 0, reviewed: 0, rate: 1 },
  ]);
  expect(await automationRate(t.db, { ...a, bucket: 'week' })).toEqual([
    { bucket: '2026-01-05', decisions: 10, automated: 5, sampled: 2, reviewed: 5, rate: 0.5 },
    { bucket: '2026-01-12', decisions: 2, automated: 1, sampled: 0, reviewed: 1, rate: 0.5 },
  ]);
  // Without the workflow and model version: wf-b's and v2's routed decisions of 13 January join.
  const all = await automationRate(t.db, { ...window, state: 'classify' });
  expect(all.find((p) => p.bucket === '2026-01-13')).toMatchObject({ decisions: 3, automated: 1 });
});

it('overrides per reviewer: corrections among every verdict on AI decisions', async () => {
  // Bob: D3, D5, D6, D9 (a correction). Ann: D1, D2, D4 (her "no" corrects the AI). Cat: D4, adjudicated.
  expect((await overridesPerReviewer(t.db, a)).map(({ reviewerId: _, ...r }) => r)).toEqual([
    { reviewer: 'Bob', verdicts: 4, corrections: 1, adjudications: 0, overrideRate: 0.25 },
    { reviewer: 'Ann', verdicts: 3, corrections: 1, adjudications: 0, overrideRate: 1 / 3 },
    { reviewer: 'Cat', verdicts: 1, corrections: 0, adjudications: 1, overrideRate: 0 },
  ]);
});

describe("inter-reviewer agreement (Cohen's kappa)", () => {
  it('from the first two labels by different people on each item reviewed twice', async () => {
    // 10 pairs: po = (4 + 3) / 10 = 0.7; first "yes" 6/10, second "yes" 5/10, so pe = 0.6 x 0.5 +
    // 0.4 x 0.5 = 0.5; kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4; SE = sqrt(0.7 x 0.3 / (10 x 0.25)).
    const r = await reviewerAgreement(t.db, { ...window, workflow: 'wf-k' });
    expect(r).toMatchObject({ pairs: 10, reason: null, labels: ['no', 'yes'] });
    expect(r.kappa).toBeCloseTo(0.4, 12);
    expect(r.observed).toBeCloseTo(0.7, 12);
    expect(r.expected).toBeCloseTo(0.5, 12);
    expect(r.standardError).toBeCloseTo(Math.sqrt(0.084), 12);
    expect(r.cells).toEqual([
      { first: 'no', second: 'no', count: 3 },
      { first: 'no', second: 'yes', count: 1 },
      { first: 'yes', second: 'no', count: 2 },
      { first: 'yes', second: 'yes', count: 4 },
    ]);
  });

  it('says why there is no kappa when nothing was reviewed twice', async () => {
    // wf-a's only item with two people is D4, whose second label is an adjudication.
    expect(await reviewerAgreement(t.db, a)).toMatchObject({
      pairs: 0,
      kappa: null,
      reason: 'No items reviewed twice yet',
    });
  });
});

it('review volume: tasks created and completed per day, every day present', async () => {
  const w = { workflow: 'wf-q', from: '2026-01-05T00:00:00Z', to: '2026-01-08T00:00:00Z' };
  expect(await reviewVolume(t.db, { ...w, queue: 'q1' })).toEqual([
    // Created: the 10:00 task and the QA task at 23:59:59. Done: the task created on 4 January.
    { bucket: '2026-01-05', created: 2, createdQa: 1, done: 1 },
    { bucket: '2026-01-06', created: 1, createdQa: 0, done: 2 },
    { bucket: '2026-01-07', created: 1, createdQa: 0, done: 0 },
  ]);
  expect((await reviewVolume(t.db, w))[0]).toMatchObject({ created: 3 });
});

it('queue depth and the age of the oldest open task, at a given instant', async () => {
  const asOf = '2026-01-08T00:00:00Z';
  const oldest = (at: string) => new Date(at);
  expect(await queueHealth(t.db, { workflow: 'wf-q', asOf })).toEqual([
    // q1 open: the QA task (pending), the claimed one (overdue since noon on 7 January) and the
    // one created at asOf. Oldest: 5 January 23:59:59, 2 days and 1 second before.
    {
      queue: 'q1',
      open: 3,
      pending: 2,
      claimed: 1,
      overdue: 1,
      oldestCreatedAt: oldest('2026-01-05T23:59:59Z'),
      oldestAgeSeconds: 2 * 86_400 + 1,
    },
    {
      queue: 'q2',
      open: 1,
      pending: 1,
      claimed: 0,
      overdue: 0,
      oldestCreatedAt: oldest('2026-01-05T12:00:00Z'),
      oldestAgeSeconds: 2.5 * 86_400,
    },
  ]);
  expect((await queueHealth(t.db, { asOf })).map((r) => r.queue)).toEqual(['q1', 'q2', 'q3']);
});

it('time per state: p50 and p95 by linear interpolation, the bottleneck by total time', async () => {
  const { states, bottleneck } = await stateTimes(t.db, { ...window, workflow: 'wf-t' });
  expect(states).toEqual([
    // classify: 1..20 s. p50 = 10 + 0.5 x (11 - 10) = 10.5; p95 at rank 1 + 0.95 x 19 = 19.05.
    {
      workflow: 'wf-t',
      state: 'classify',
      runs: 20,
      p50Seconds: 10.5,
      p95Seconds: expect.closeTo(19.05, 9),
      totalSeconds: 210,
    },
    // enrich: one run of 350 s: the highest p95, but not the most time.
    { workflow: 'wf-t', state: 'enrich', runs: 1, p50Seconds: 350, p95Seconds: 350, totalSeconds: 350 },
    // review: 100 and 300 s (the waiting run, the one after the window and wf-b's are left out).
    { workflow: 'wf-t', state: 'review', runs: 2, p50Seconds: 200, p95Seconds: 290, totalSeconds: 400 },
  ]);
  expect(bottleneck).toEqual({ workflow: 'wf-t', state: 'review', totalSeconds: 400, share: 400 / 960 });
  expect(await stateTimes(t.db, { ...window, workflow: 'nobody' })).toEqual({ states: [], bottleneck: null });
});

it('throughput: items finished per day and per hour', async () => {
  const days = await throughput(t.db, { workflow: 'wf-t', from: '2026-01-05T00:00:00Z', to: '2026-01-07T00:00:00Z' });
  expect(days).toEqual([
    { bucket: '2026-01-05', finished: 3, succeeded: 2, rejected: 1, failed: 0 },
    { bucket: '2026-01-06', finished: 1, succeeded: 0, rejected: 0, failed: 1 },
  ]);
  const hours = await throughput(t.db, {
    workflow: 'wf-t',
    bucket: 'hour',
    from: '2026-01-05T00:00:00Z',
    to: '2026-01-05T03:00:00Z',
  });
  expect(hours.map((p) => [p.bucket, p.finished])).toEqual([
    ['2026-01-05T00:00Z', 1],
    ['2026-01-05T01:00Z', 0],
    ['2026-01-05T02:00Z', 1],
  ]);
  // The item finished exactly at `to` belongs to the next window.
  const last = await throughput(t.db, { workflow: 'wf-t', ...window });
  expect(last.reduce((s, p) => s + p.finished, 0)).toBe(4);
});

it('AI calls, tokens and cost per workflow and day: the figures of models.usage, for one workflow', async () => {
  expect(await aiUsage(t.db, { ...window, workflow: 'wf-b' })).toEqual([
    { workflow: 'wf-b', day: '2026-01-13', calls: 1, tokensIn: 100, tokensOut: 10, costUsd: 0.01, callsWithoutCost: 0 },
  ]);
  // wf-a on 7 January: D4, D5, D6 (100 tokens in, 10 out, $0.01 each).
  const all = await aiUsage(t.db, window);
  expect(all.find((r) => r.workflow === 'wf-a' && r.day === '2026-01-07')).toEqual({
    workflow: 'wf-a',
    day: '2026-01-07',
    calls: 3,
    tokensIn: 300,
    tokensOut: 30,
    costUsd: expect.closeTo(0.03, 12),
    callsWithoutCost: 0,
  });
  // The same as usageByWorkflowAndDay, which joins each decision to its item.
  const joined = await usageByWorkflowAndDay(t.db, { from: new Date(window.from), to: new Date(window.to) });
  expect(all.map((r) => ({ ...r, costUsd: r.costUsd.toFixed(6) }))).toEqual(
    joined.map((r) => ({ ...r, costUsd: r.costUsd.toFixed(6) })),
  );
});

it('filter options: workflows registered, states and model versions that decided', async () => {
  expect(await dashboardOptions(t.db)).toEqual({
    workflows: ['wf-a', 'wf-b', 'wf-k', 'wf-q', 'wf-t'],
    states: ['classify'],
    modelVersions: ['v1', 'v2'],
  });
});
