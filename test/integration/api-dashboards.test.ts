// The dashboards' procedures through the router: what they answer on an empty database, and that
// no input makes them fail with anything but a bad-input error (never a 500).
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
let caller: Record<string, (input?: unknown) => Promise<unknown>>;

const PROCEDURES = [
  'accuracy',
  'confusion',
  'calibration',
  'automation',
  'reviewVolume',
  'queues',
  'stateTimes',
  'throughput',
  'overrides',
  'agreement',
  'usage',
  'fields',
  'fieldAccuracy',
  'fieldCalibration',
] as const;

beforeAll(async () => {
  t = await createTestDatabase();
  const user = await upsertUser(t.db, { email: 'admin@dash.test', name: 'Admin', role: 'admin', password: 'x' });
  const ctx: Context = { db: t.db, boss: {} as PgBoss, registry: new WorkflowRegistry(), user, token: null };
  caller = (createCallerFactory(appRouter)(ctx) as unknown as { dashboards: typeof caller }).dashboards;
});
afterAll(() => t.drop());

it('every dashboard answers an empty database with its empty shape', async () => {
  expect(await caller.options?.()).toEqual({ workflows: [], states: [], modelVersions: [] });
  expect(await caller.accuracy?.({})).toEqual([]);
  expect(await caller.confusion?.({})).toEqual({ labels: [], cells: [], total: 0, agreement: null });
  expect(await caller.calibration?.({})).toMatchObject({ labelled: 0, ece: null });
  expect(await caller.automation?.({})).toEqual([]);
  // 30 days by default: every day present, at 0 (31 buckets when the window starts mid-day).
  const volume = (await caller.reviewVolume?.({})) as { created: number }[];
  expect(volume.length).toBeGreaterThanOrEqual(30);
  expect(volume.every((p) => p.created === 0)).toBe(true);
  expect(await caller.queues?.({})).toEqual([]);
  expect(await caller.stateTimes?.({})).toEqual({ states: [], bottleneck: null });
  expect(await caller.overrides?.({})).toEqual([]);
  expect(await caller.agreement?.({})).toMatchObject({ pairs: 0, kappa: null, reason: 'No items reviewed twice yet' });
  expect(await caller.usage?.({})).toEqual([]);
  expect(await caller.fields?.({})).toEqual([]);
  expect(await caller.fieldAccuracy?.({})).toEqual([]);
  expect(await caller.fieldCalibration?.({})).toMatchObject({ field: null, labelled: 0, ece: null });
});

describe('no input is a server error', () => {
  const bad: [string, unknown][] = [
    ['a number for a workflow', { workflow: 42 }],
    ['an empty workflow', { workflow: '' }],
    ['a date that is not one', { from: 'yesterday-ish' }],
    ['the earliest JavaScript date', { from: '-271821-04-20T00:00:00Z' }],
    ['the latest JavaScript date', { to: '+275760-09-13T00:00:00Z' }],
    ['a window ending before it starts', { from: '2026-02-01', to: '2026-01-01' }],
    ['a window of ten years', { from: '2016-01-01', to: '2026-01-01' }],
    ['a start 500 days ago and no end', { from: new Date(Date.now() - 500 * 86_400_000).toISOString() }],
    ['an unknown bucket', { bucket: 'fortnight' }],
    ['a NUL character', { state: 'a\u0000b' }],
    ['a name of 10,000 characters', { workflow: 'x'.repeat(10_000) }],
    ['an array', [1, 2]],
    ['a field that is not a path', { field: 'vendor..taxId' }],
    ['a field of 10,000 characters', { field: 'x'.repeat(10_000) }],
  ];
  for (const procedure of PROCEDURES)
    it(procedure, async () => {
      for (const [what, input] of bad) {
        const outcome = await caller[procedure]?.(input).then(
          () => 'answered',
          (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
        );
        // Some procedures ignore a field (queues has no window, no bucket): an answer is fine too.
        expect(['BAD_REQUEST', 'answered'], `${procedure}: ${what}`).toContain(outcome);
      }
    });

  it('calibration refuses 1 bin and 1,000 bins; queues an age instant that is not a date', async () => {
    await expect(caller.calibration?.({ bins: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.calibration?.({ bins: 1000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(caller.queues?.({ asOf: 'never' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
