// Decision search (issue 12, point 3) through the router, on decisions whose every field was chosen
// by hand: each filter has a test whose expected keys were worked out from the table of
// SEARCH_SPECS (test/support/search-decisions.ts), not from the code, so dropping a filter's WHERE or flipping its comparison fails it.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertDecisions, SEARCH_SPECS as SPECS } from '../support/search-decisions';

let t: TestDatabase;
let seeded: Awaited<ReturnType<typeof insertDecisions>>;
let api: ReturnType<typeof callerAs>;
const keyOf = new Map<string, string>();

function callerAs(user: Context['user'], db = t.db) {
  const ctx: Context = { db, boss: {} as PgBoss, registry: new WorkflowRegistry(), user, token: null };
  return createCallerFactory(appRouter)(ctx);
}

beforeAll(async () => {
  t = await createTestDatabase();
  seeded = await insertDecisions(t.db, SPECS, { policies: ['pv1', 'pv2'], certificates: ['c1'] });
  for (const [key, id] of seeded.decisionIds) keyOf.set(id, key);
  api = callerAs(
    await upsertUser(t.db, { email: 'cora@search.test', name: 'Cora', role: 'compliance', password: 'x' }),
  );
});
afterAll(() => t.drop());

/** The keys of every decision a search finds, in the order it gives them (one page of up to 200). */
async function keys(filters: Record<string, unknown>): Promise<string> {
  const page = await api.decisions.search({ ...filters, limit: 200 });
  expect(page.nextCursor).toBeNull();
  return page.rows.map((r) => keyOf.get(r.decisionId)).join('');
}

describe('each filter', () => {
  it('no filter: every decision, newest first', async () => {
    expect(await keys({})).toBe('FHDICGBJAKE');
  });

  it('the example: every auto-accepted (auto or sampled) decision below 0.9 calibrated confidence in November', async () => {
    // B is at exactly 0.9: "below" leaves it out. E is in October, F on December 1st (`to` is exclusive), K at 0.95.
    expect(await keys({ routes: ['auto', 'sampled'], confidenceMax: 0.9, from: '2026-11-01', to: '2026-12-01' })).toBe(
      'CGJA',
    );
  });

  it('from is inclusive, to exclusive', async () => {
    expect(await keys({ from: '2026-11-01T00:00:00Z' })).toBe('FHDICGBJAK');
    expect(await keys({ to: '2026-12-01T00:00:00Z' })).toBe('HDICGBJAKE');
    expect(await keys({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toBe('HDICGBJAK');
  });

  it('workflow, state, item status', async () => {
    expect(await keys({ workflow: 'orders' })).toBe('HG');
    expect(await keys({ state: 'triage' })).toBe('E');
    expect(await keys({ itemStatus: 'waiting' })).toBe('D');
    expect(await keys({ itemStatus: 'running' })).toBe('K');
  });

  it('model and model version', async () => {
    expect(await keys({ model: 'm2' })).toBe('HG');
    expect(await keys({ modelVersion: 'v2' })).toBe('DC');
  });

  it('reviewer: any verdict the person gave, by email (any case) or id', async () => {
    expect(await keys({ reviewer: 'ADA@search.test' })).toBe('HC');
    // Bob's verdict on I was a slot of a four-eyes point the lead settled: still his verdict.
    expect(await keys({ reviewer: seeded.reviewerIds.get('bob@search.test') })).toBe('DI');
    expect(await keys({ reviewer: 'dave@search.test' })).toBe('I');
    expect(await keys({ reviewer: 'nobody@search.test' })).toBe('');
  });

  it('routes', async () => {
    expect(await keys({ routes: ['review'] })).toBe('HDI');
    expect(await keys({ routes: ['sampled'] })).toBe('C');
    expect(await keys({ routes: ['auto'] })).toBe('FGBJAKE');
  });

  it('overridden: the final human label is not the AI label', async () => {
    // I: the four-eyes slots disagreed, the adjudication (no) is final and differs from the AI (yes).
    expect(await keys({ overridden: true })).toBe('HIC');
    expect(await keys({ overridden: false })).toBe('FDGBJAKE');
  });

  it('reviewed: a final human verdict exists', async () => {
    expect(await keys({ reviewed: true })).toBe('HDIC');
    expect(await keys({ reviewed: false })).toBe('FGBJAKE');
  });

  it('confidence: [min, max), calibrated by default, raw on request', async () => {
    expect(await keys({ confidenceMin: 0.85 })).toBe('CBJAK');
    expect(await keys({ confidenceMin: 0.85, confidenceBasis: 'raw' })).toBe('JAK');
    expect(await keys({ confidenceMax: 0.9 })).toBe('FHDICGJAE');
    expect(await keys({ confidenceMax: 0.9, confidenceBasis: 'raw' })).toBe('FHDICGBE');
    expect(await keys({ confidenceMin: 0.5, confidenceMax: 0.85 })).toBe('FIGE');
  });

  it('policy version and certificate', async () => {
    expect(await keys({ policyVersionId: seeded.policyIds.get('pv1') })).toBe('BA');
    expect(await keys({ policyVersionId: seeded.policyIds.get('pv2') })).toBe('DC');
    expect(await keys({ certificateId: seeded.certificateIds.get('c1') })).toBe('BA');
  });

  it('a four-eyes point whose verdicts disagree, not yet adjudicated, has no final verdict', async () => {
    const { decisionIds } = await insertDecisions(t.db, {
      X: {
        workflow: 'four-eyes',
        at: '2026-11-21T10:00:00Z',
        route: 'review',
        verdicts: [
          { reviewer: 'bob@search.test', label: 'yes', final: false },
          { reviewer: 'carol@search.test', label: 'no', final: false },
        ],
      },
    });
    const x = decisionIds.get('X');
    const ids = async (f: Record<string, unknown>) =>
      (await api.decisions.search({ workflow: 'four-eyes', ...f })).rows.map((r) => r.decisionId);
    expect(await ids({ reviewed: false })).toEqual([x]);
    expect(await ids({ overridden: false })).toEqual([x]);
    expect(await ids({ reviewed: true })).toEqual([]);
    // Both gave a verdict on it all the same.
    expect(await ids({ reviewer: 'carol@search.test' })).toEqual([x]);
    expect((await api.decisions.search({ workflow: 'four-eyes' })).rows[0]?.verdict).toBeNull();
  });

  it('filters combine', async () => {
    expect(await keys({ workflow: 'refunds', routes: ['review'], overridden: false })).toBe('D');
  });
});

describe('what a row says', () => {
  it('the decision, its policy and the final human verdict', async () => {
    const page = await api.decisions.search({ reviewer: 'dave@search.test' });
    expect(page.rows).toEqual([
      {
        decisionId: seeded.decisionIds.get('I'),
        itemId: seeded.itemIds.get('I'),
        workflow: 'refunds',
        state: 'classify',
        decidedAt: '2026-11-18T10:00:00.000000Z',
        agent: 'classifier',
        model: 'm1',
        modelVersion: 'v1',
        promptVersion: 'p1',
        label: 'yes',
        confidence: 0.65,
        calibratedConfidence: 0.6,
        confidenceMethod: 'posterior',
        route: 'review',
        reasons: [],
        threshold: null,
        policyVersionId: null,
        policyVersion: null,
        certificateId: null,
        itemStatus: 'succeeded',
        verdict: {
          label: 'no',
          reviewerId: seeded.reviewerIds.get('dave@search.test'),
          reviewerName: 'dave',
          // Item data is PII-masked for every role (docs/pii.md); the reviewer is staff, named as on the trail.
          reviewerEmail: 'dave@search.test',
          at: '2026-11-18T10:03:00.000000Z',
          adjudicated: true,
          overridden: true,
        },
      },
    ]);
    const [d] = (await api.decisions.search({ itemStatus: 'waiting' })).rows;
    expect(d).toMatchObject({
      policyVersionId: seeded.policyIds.get('pv2'),
      policyVersion: 2,
      reasons: [{ code: 'low_confidence', message: 'confidence 0.40 below 0.80' }],
      verdict: { label: 'no', overridden: false, adjudicated: false, reviewerName: 'bob' },
    });
    const [a] = (await api.decisions.search({ to: '2026-11-05T10:00:00.001Z', from: '2026-11-05' })).rows;
    expect(a).toMatchObject({ certificateId: seeded.certificateIds.get('c1'), policyVersion: 1, verdict: null });
  });

  it('counts the matches when asked', async () => {
    const page = await api.decisions.search({ routes: ['auto'], limit: 2, includeTotal: true });
    expect(page.rows).toHaveLength(2);
    expect(page.total).toEqual({ count: 7, capped: false });
    expect((await api.decisions.search({ routes: ['auto'] })).total).toBeUndefined();
  });
});

describe('bad input is refused, naming the field', () => {
  const refusal = async (input: unknown) => {
    try {
      await api.decisions.search(input as never);
    } catch (e) {
      if (!(e instanceof TRPCError)) throw e;
      // As the API's error formatter words it over HTTP: "Invalid input: field: message; ...".
      const issues = e.cause instanceof ZodError ? e.cause.issues : undefined;
      const message = issues
        ? `Invalid input: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`
        : e.message;
      return { code: e.code, message };
    }
    throw new Error('accepted');
  };
  const cases: [string, unknown, string][] = [
    ['"to" not after "from"', { from: '2026-11-02', to: '2026-11-01' }, 'to: "to" must be after "from"'],
    ['"to" equal to "from"', { from: '2026-11-02', to: '2026-11-02' }, 'to: "to" must be after "from"'],
    [
      'min equal to max (an empty range)',
      { confidenceMin: 0.5, confidenceMax: 0.5 },
      'confidenceMax: "confidenceMax" must be above',
    ],
    ['min above max', { confidenceMin: 0.9, confidenceMax: 0.5 }, 'confidenceMax: "confidenceMax" must be above'],
    ['a confidence above 1', { confidenceMax: 1.5 }, 'confidenceMax: Expected a number from 0 to 1'],
    ['an unknown route', { routes: ['manual'] }, 'routes.0: Unknown route: choose from auto, review, sampled'],
    ['no routes', { routes: [] }, 'routes: Give at least one route'],
    ['an unknown item status', { itemStatus: 'done' }, 'itemStatus: Unknown item status'],
    ['an unknown confidence basis', { confidenceBasis: 'logit' }, 'confidenceBasis: Unknown confidence basis'],
    ['a policy version that is no UUID', { policyVersionId: 'pv1' }, 'policyVersionId: Expected the UUID'],
    ['a reviewer that is neither id nor email', { reviewer: 'ada' }, 'reviewer: Expected a user id or an email'],
    ['a date that is none', { from: 'last month' }, 'from: Expected a date'],
    ['an unknown filter', { colour: 'red' }, 'colour'],
    ['a page too large', { limit: 201 }, 'limit: At most 200 rows a page'],
  ];
  for (const [what, input, message] of cases)
    it(what, async () => {
      const r = await refusal(input);
      expect(r.code).toBe('BAD_REQUEST');
      expect(r.message).toContain(message);
    });

  it('a cursor this search never handed out', async () => {
    for (const cursor of ['nonsense', Buffer.from('["2026-11-01", "x"]').toString('base64url')])
      expect(await refusal({ cursor })).toEqual({
        code: 'BAD_REQUEST',
        message: 'Invalid input: cursor: Not a cursor this search returned: pass the nextCursor of the previous page',
      });
  });
});

describe('permission', () => {
  it('FORBIDDEN without audit:read (a lead, a data scientist), allowed for an admin', async () => {
    for (const role of ['lead', 'data_scientist', 'reviewer'] as const) {
      const user = await upsertUser(t.db, { email: `${role}@search.test`, name: role, role, password: 'x' });
      await expect(callerAs(user).decisions.search({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    const admin = await upsertUser(t.db, { email: 'admin@search.test', name: 'Admin', role: 'admin', password: 'x' });
    expect((await callerAs(admin).decisions.search({ workflow: 'orders' })).rows).toHaveLength(2);
  });
});
