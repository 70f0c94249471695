// Decision search's export over HTTP and from the CLI: the whole result set (not a page) as CSV
// and JSON, PII masked, with the console's session cookie (CSRF proof in the query) or a bearer
// token; 400 naming each bad parameter, 401/403, never 500.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSRF_COOKIE, SESSION_COOKIE } from '@signoff/core';
import { upsertUser } from '@signoff/governance';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-client';
import { insertDecisions, SEARCH_SPECS } from '../support/search-decisions';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import { runSignoff } from '../support/signoff-cli';
import { callTrpc, cookiePair, cookieValue } from '../support/trpc-http';

let s: TestSignoff;
let token: string;
let cookie: string;
let csrf: string;
let seeded: Awaited<ReturnType<typeof insertDecisions>>;
const PASSWORD = 'correct horse battery staple';
// The example of the issue: auto-accepted (auto or sampled) below 0.9 calibrated confidence in November 2026.
const EXAMPLE = 'routes=auto,sampled&confidenceMax=0.9&from=2026-11-01&to=2026-12-01';

beforeAll(async () => {
  s = await startTestSignoff({ workers: false });
  await upsertUser(s.testDb.db, { email: 'cora@export.test', name: 'Cora', role: 'compliance', password: PASSWORD });
  await upsertUser(s.testDb.db, {
    email: 'dana@export.test',
    name: 'Dana',
    role: 'data_scientist',
    password: PASSWORD,
  });
  seeded = await insertDecisions(s.testDb.db, SEARCH_SPECS, { policies: ['pv1', 'pv2'], certificates: ['c1'] });
  // A reason that quotes the customer: the export must not carry the address or the card number.
  await sql`UPDATE decisions SET reasons = ${JSON.stringify([
    { code: 'risk_rule', message: 'customer ada.lovelace@example.com paid with 4111 1111 1111 1111' },
  ])}::jsonb WHERE id = ${seeded.decisionIds.get('J')}`.execute(s.testDb.db);
  token = (
    await apiClient(s.url).auth.login.mutate({ email: 'cora@export.test', password: PASSWORD, session: 'bearer' })
  ).token as string;
  const login = await callTrpc(s.url, 'auth.login', { input: { email: 'cora@export.test', password: PASSWORD } });
  cookie = `${cookiePair(login.setCookies, SESSION_COOKIE)}; ${cookiePair(login.setCookies, CSRF_COOKIE)}`;
  csrf = cookieValue(login.setCookies, CSRF_COOKIE);
});
afterAll(() => s?.close());

const bearer = () => ({ headers: { authorization: `Bearer ${token}` } });
const url = (query: string, base = '/api/v1') => new URL(`${base}/decisions/export?${query}`, s.url);
const idsOf = (keys: string) => [...keys].map((k) => seeded.decisionIds.get(k));

describe('the download', () => {
  it('CSV of the example: every match, in search order, as an attachment', async () => {
    const res = await fetch(url(`format=csv&${EXAMPLE}`), bearer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="decisions-\d{8}T\d{6}Z\.csv"$/);
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.decision_id)).toEqual(idsOf('CGJA'));
    expect(rows[0]).toMatchObject({
      route: 'sampled',
      label: 'no',
      calibrated_confidence: '0.88',
      confidence: '0.7',
      model_version: 'v2',
      policy_version: '2',
      verdict_label: 'yes',
      reviewer_name: 'ada',
      // The reviewer is staff: named, as on the trail; the item data beside it is masked.
      reviewer_email: 'ada@search.test',
      overridden: 'true',
      item_status: 'succeeded',
    });
  });

  it('JSON with the session cookie and its CSRF proof in the query, at /trpc', async () => {
    const res = await fetch(url(`format=json&${EXAMPLE}&csrf=${encodeURIComponent(csrf)}`, '/trpc'), {
      headers: { cookie },
    });
    expect(res.status).toBe(200);
    const rows = (await res.json()) as { decisionId: string }[];
    expect(rows.map((r) => r.decisionId)).toEqual(idsOf('CGJA'));
  });

  it('masks personal data in every row', async () => {
    const text = await (await fetch(url('format=json&workflow=refunds'), bearer())).text();
    expect(text).not.toContain('ada.lovelace@example.com');
    expect(text).not.toContain('4111 1111 1111 1111');
    expect(text).toContain('[email]');
    const csv = await (await fetch(url('format=csv&workflow=refunds'), bearer())).text();
    expect(csv).not.toContain('ada.lovelace@example.com');
    expect(csv).not.toContain('4111');
  });

  it('refuses without a session, without the CSRF proof, and a role without audit:read', async () => {
    expect((await fetch(url('format=csv'))).status).toBe(401);
    expect((await fetch(url('format=csv', '/trpc'), { headers: { cookie } })).status).toBe(403);
    const dana = (
      await apiClient(s.url).auth.login.mutate({ email: 'dana@export.test', password: PASSWORD, session: 'bearer' })
    ).token as string;
    const r = await fetch(url('format=csv'), { headers: { authorization: `Bearer ${dana}` } });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({
      error: { code: 'FORBIDDEN', message: 'Your role (data_scientist) may not do this (needs audit:read)' },
    });
  });

  it('answers 400 naming each bad parameter, never 500', async () => {
    const bad = await fetch(url('format=xml&routes=manual&confidenceMin=0.9&confidenceMax=0.5&from=soon'), bearer());
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('BAD_INPUT');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['format', 'from', 'routes.0']);
    const order = await fetch(url('format=csv&confidenceMin=0.9&confidenceMax=0.5'), bearer());
    expect(((await order.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      {
        path: 'confidenceMax',
        message: '"confidenceMax" must be above "confidenceMin" (0.9): the range is [min, max)',
      },
    ]);
    for (const q of [
      '',
      'format=csv&colour=red',
      'format=csv&overridden=maybe',
      'format=csv&limit=5',
      'format=csv&confidenceMax=abc',
    ])
      expect((await fetch(url(q), bearer())).status).toBe(400);
  });
});

describe('decisions.search over HTTP', () => {
  it('answers the example page by page', async () => {
    const api = apiClient(s.url, token);
    const first = await api.decisions.search.query({
      routes: ['auto', 'sampled'],
      confidenceMax: 0.9,
      from: '2026-11-01',
      to: '2026-12-01',
      limit: 3,
      includeTotal: true,
    } as never);
    expect(first.total).toEqual({ count: 4, capped: false });
    expect(first.rows.map((r) => r.decisionId)).toEqual(idsOf('CGJ'));
    const second = await api.decisions.search.query({
      routes: ['auto', 'sampled'],
      confidenceMax: 0.9,
      from: '2026-11-01',
      to: '2026-12-01',
      limit: 3,
      cursor: first.nextCursor,
    } as never);
    expect(second.rows.map((r) => r.decisionId)).toEqual(idsOf('A'));
    expect(second.nextCursor).toBeNull();
  });

  it('a bad filter is a 400 naming it', async () => {
    const r = await callTrpc(s.url, 'decisions.search', {
      query: true,
      input: { to: '2026-11-01', from: '2026-11-02' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toBe('Invalid input: to: "to" must be after "from"');
  });
});

describe('signoff decisions search', () => {
  it('writes the example as CSV to a file, and JSON to stdout', async () => {
    const out = join(tmpdir(), `decisions-${process.pid}.csv`);
    const args = ['--route', 'auto,sampled', '--confidence-max', '0.9', '--from', '2026-11-01', '--to', '2026-12-01'];
    const csv = await runSignoff(['decisions', 'search', ...args, '--format', 'csv', '--out', out], s.testDb.url);
    expect(csv.stderr).toContain('4 decisions written to');
    expect(csv.code).toBe(0);
    const rows = parse(await readFile(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.decision_id)).toEqual(idsOf('CGJA'));
    const json = await runSignoff(['decisions', 'search', ...args, '--format', 'json'], s.testDb.url);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { decisionId: string }[]).map((r) => r.decisionId)).toEqual(idsOf('CGJA'));
  });

  it('raw confidence, overridden and a reviewer', async () => {
    const r = await runSignoff(
      ['decisions', 'search', '--raw-confidence', '--confidence-min', '0.85', '--format', 'json'],
      s.testDb.url,
    );
    expect((JSON.parse(r.stdout) as { decisionId: string }[]).map((x) => x.decisionId)).toEqual(idsOf('JAK'));
    const o = await runSignoff(['decisions', 'search', '--overridden', '--format', 'json'], s.testDb.url);
    expect((JSON.parse(o.stdout) as { decisionId: string }[]).map((x) => x.decisionId)).toEqual(idsOf('HIC'));
    const n = await runSignoff(
      ['decisions', 'search', '--no-overridden', '--reviewer', 'bob@search.test', '--format', 'json'],
      s.testDb.url,
    );
    expect((JSON.parse(n.stdout) as { decisionId: string }[]).map((x) => x.decisionId)).toEqual(idsOf('D'));
  });

  it('exits 2 naming the flag for bad filters', async () => {
    const r = await runSignoff(
      ['decisions', 'search', '--confidence-min', '0.9', '--confidence-max', '0.5'],
      s.testDb.url,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--confidence-max: "confidenceMax" must be above "confidenceMin"');
    const route = await runSignoff(['decisions', 'search', '--route', 'manual'], s.testDb.url);
    expect(route.code).toBe(2);
    expect(route.stderr).toContain('--route: Unknown route: choose from auto, review, sampled');
    const format = await runSignoff(['decisions', 'search', '--format', 'xml'], s.testDb.url);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--format: Unknown format: choose from csv, json');
  });
});
