// Decision search's pages and exports: keyset pages never repeat or skip a decision (ties on the
// time, microseconds within one millisecond, rows decided between two pages), and an export is
// the whole result set, every row, in CSV and in JSON.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { writeDecisionExport } from '@signoff/datasets';
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector } from '../support/collect';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertBulkDecisions as insertBulk } from '../support/search-decisions';

let t: TestDatabase;
const callerOf = createCallerFactory(appRouter);
let api: ReturnType<typeof callerOf>;

beforeAll(async () => {
  t = await createTestDatabase();
  const user = await upsertUser(t.db, { email: 'cora@pages.test', name: 'Cora', role: 'compliance', password: 'x' });
  const ctx: Context = { db: t.db, boss: {} as PgBoss, registry: new WorkflowRegistry(), user, token: null };
  api = callerOf(ctx);
  await insertBulk(t.db, 'bulk', 1100, '2026-11-10T10:00:00.000Z');
  await insertBulk(t.db, 'paging', 40, '2026-11-10T10:00:00.000Z');
});
afterAll(() => t.drop());

async function allIds(workflow: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    SELECT id FROM decisions WHERE workflow_name = ${workflow} ORDER BY created_at DESC, id DESC`.execute(t.db);
  return rows.map((r) => r.id);
}

describe('keyset pages', () => {
  it('walk every decision exactly once, in (decided at, id) descending order', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await api.decisions.search({ workflow: 'paging', limit: 7, ...(cursor ? { cursor } : {}) });
      expect(page.rows.length).toBeLessThanOrEqual(7);
      seen.push(...page.rows.map((r) => r.decisionId));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    // 40 rows, 7 a page: 6 pages (the last with 5 rows).
    expect(pages).toBe(6);
    expect(seen).toEqual(await allIds('paging'));
  });

  it('decisions made between two pages neither repeat nor push out the rows that were there', async () => {
    const before = await allIds('paging');
    const first = await api.decisions.search({ workflow: 'paging', limit: 15 });
    // New decisions arrive (newer than every row, as they are decided now) before the next page is read.
    await insertBulk(t.db, 'paging', 10, new Date().toISOString());
    const seen = first.rows.map((r) => r.decisionId);
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await api.decisions.search({ workflow: 'paging', limit: 15, cursor });
      seen.push(...page.rows.map((r) => r.decisionId));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(before);
    expect(new Set(seen).size).toBe(40);
  });

  it('a page at the exact size of what is left says there is no next page', async () => {
    const page = await api.decisions.search({ workflow: 'bulk', routes: ['review'], limit: 200 });
    // 1,100 decisions, g = 1..1100, every third (g divisible by 3) is routed to review: 366 of them.
    expect(page.nextCursor).not.toBeNull();
    const rest = await api.decisions.search({
      workflow: 'bulk',
      routes: ['review'],
      limit: 166,
      cursor: page.nextCursor ?? undefined,
    });
    expect(rest.rows).toHaveLength(166);
    expect(rest.nextCursor).toBeNull();
  });
});

describe('exports', () => {
  it('CSV: a header and every matching decision (1,100, more than one keyset batch), in search order', async () => {
    const { sink, bytes } = collector();
    const text = () => bytes().toString('utf8');
    const count = await writeDecisionExport(t.db, { workflow: 'bulk', confidenceBasis: 'calibrated' }, 'csv', sink);
    expect(count).toBe(1100);
    const records = parse(text(), { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.decision_id)).toEqual(await allIds('bulk'));
    expect(records[0]).toMatchObject({
      workflow: 'bulk',
      route: expect.stringMatching(/^(auto|review)$/),
      verdict_label: '',
    });
  });

  it('JSON: one array of the same rows search pages give', async () => {
    const { sink, bytes } = collector();
    const text = () => bytes().toString('utf8');
    await writeDecisionExport(
      t.db,
      { workflow: 'bulk', routes: ['review'], confidenceBasis: 'calibrated' },
      'json',
      sink,
    );
    const exported = JSON.parse(text()) as unknown[];
    const first = await api.decisions.search({ workflow: 'bulk', routes: ['review'], limit: 200 });
    const second = await api.decisions.search({
      workflow: 'bulk',
      routes: ['review'],
      limit: 200,
      cursor: first.nextCursor ?? undefined,
    });
    expect(exported).toHaveLength(366);
    expect(exported).toEqual([...first.rows, ...second.rows]);
  });

  it('an export with no match is an empty array, or a header alone', async () => {
    const json = collector();
    await writeDecisionExport(t.db, { workflow: 'none', confidenceBasis: 'calibrated' }, 'json', json.sink);
    expect(JSON.parse(json.bytes().toString())).toEqual([]);
    const csv = collector();
    await writeDecisionExport(t.db, { workflow: 'none', confidenceBasis: 'calibrated' }, 'csv', csv.sink);
    expect(csv.bytes().toString().trim().split('\n')).toHaveLength(1);
  });
});
