// The items list's filters and pages (issue 12, point 3) through the router, on the items of
// SEARCH_SPECS (one decision each; the item was created when its decision was made, so the items'
// order and the decisions' are the same): expected keys worked out by hand from that table.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertDecisions, SEARCH_SPECS } from '../support/search-decisions';

let t: TestDatabase;
const callerOf = createCallerFactory(appRouter);
let api: ReturnType<typeof callerOf>;
const keyOf = new Map<string, string>();

beforeAll(async () => {
  t = await createTestDatabase();
  const { itemIds } = await insertDecisions(t.db, SEARCH_SPECS, { policies: ['pv1', 'pv2'], certificates: ['c1'] });
  for (const [key, id] of itemIds) keyOf.set(id, key);
  const user = await upsertUser(t.db, { email: 'lee@items.test', name: 'Lee', role: 'lead', password: 'x' });
  const ctx: Context = { db: t.db, boss: {} as PgBoss, registry: new WorkflowRegistry(), user, token: null };
  api = callerOf(ctx);
});
afterAll(() => t.drop());

async function keys(filters: Record<string, unknown>): Promise<string> {
  const page = await api.items.list({ ...filters, limit: 200 });
  expect(page.nextCursor).toBeNull();
  return page.items.map((i) => keyOf.get(i.id)).join('');
}

describe('filters', () => {
  it('none: every item, newest first (the old call, with no input, still works)', async () => {
    expect(await keys({})).toBe('FHDICGBJAKE');
    expect((await api.items.list({})).items).toHaveLength(11);
  });

  it('created in [from, to)', async () => {
    expect(await keys({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toBe('HDICGBJAK');
  });

  it('workflow, status, current state', async () => {
    expect(await keys({ workflow: 'orders' })).toBe('HG');
    expect(await keys({ status: 'rejected' })).toBe('H');
    expect(await keys({ state: 'classify' })).toBe('D');
  });

  it('with a decision of a route, overridden, or in a confidence range', async () => {
    expect(await keys({ routes: ['review', 'sampled'] })).toBe('HDIC');
    expect(await keys({ overridden: true })).toBe('HIC');
    expect(await keys({ overridden: false })).toBe('FDGBJAKE');
    expect(await keys({ confidenceMax: 0.9 })).toBe('FHDICGJAE');
    expect(await keys({ confidenceMin: 0.85, confidenceBasis: 'raw' })).toBe('JAK');
    expect(await keys({ routes: ['auto'], confidenceMin: 0.85, confidenceMax: 0.9 })).toBe('JA');
  });

  it('refuses what it cannot mean, naming the field', async () => {
    await expect(api.items.list({ status: 'done' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.items.list({ from: '2026-11-02', to: '2026-11-01' } as never)).rejects.toThrow(/must be after/);
    await expect(api.items.list({ cursor: 'x' })).rejects.toThrow(/cursor: Not a cursor this search returned/);
  });
});

it('pages: every item once, in order, 3 at a time', async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.items.list({ limit: 3, ...(cursor ? { cursor } : {}) });
    seen.push(...page.items.map((i) => keyOf.get(i.id) ?? '?'));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  expect(seen.join('')).toBe('FHDICGBJAKE');
});
