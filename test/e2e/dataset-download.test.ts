// Dataset snapshots over HTTP: datasets.create / list / get through tRPC, and the streamed
// download with the console's session cookie (and its CSRF proof) or a bearer token.
import { CSRF_COOKIE, SESSION_COOKIE } from '@signoff/core';
import { writeSnapshot } from '@signoff/datasets';
import { upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-client';
import { collector } from '../support/collect';
import { insertLabels } from '../support/dataset-labels';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import { callTrpc, cookiePair, cookieValue } from '../support/trpc-http';

let s: TestSignoff;
let cookie: string;
let csrf: string;
let token: string;
let snapshotId: string;

const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  s = await startTestSignoff({ workers: false });
  await upsertUser(s.testDb.db, { email: 'ds@signoff.test', name: 'DS', role: 'data_scientist', password: PASSWORD });
  await upsertUser(s.testDb.db, { email: 'rev@signoff.test', name: 'Rev', role: 'reviewer', password: PASSWORD });
  await insertLabels(
    s.testDb.db,
    Array.from({ length: 30 }, (_, i) => ({ human: i % 3 ? 'yes' : 'no' })),
  );
  const login = await callTrpc(s.url, 'auth.login', { input: { email: 'ds@signoff.test', password: PASSWORD } });
  cookie = `${cookiePair(login.setCookies, SESSION_COOKIE)}; ${cookiePair(login.setCookies, CSRF_COOKIE)}`;
  csrf = cookieValue(login.setCookies, CSRF_COOKIE);
  token = (
    await apiClient(s.url).auth.login.mutate({ email: 'ds@signoff.test', password: PASSWORD, session: 'bearer' })
  ).token as string;
  const created = await callTrpc(s.url, 'datasets.create', {
    input: { name: 'refunds / v1', seed: 'd' },
    headers: { cookie, 'x-signoff-csrf': csrf },
  });
  expect(created.status).toBe(200);
  snapshotId = (created.body.result as { data: { id: string } }).data.id;
});
afterAll(() => s?.close());

const url = (query: string, id = snapshotId, base = '/trpc') =>
  new URL(`${base}/datasets/${id}/export?${query}`, s.url);

async function expected(format: 'csv' | 'parquet' | 'jsonl' | 'chat', split?: 'train') {
  const { sink, bytes } = collector();
  await writeSnapshot(s.testDb.db, snapshotId, { format, split }, sink);
  return bytes();
}

describe('datasets over tRPC', () => {
  it('lists and gets the snapshot with its manifest', async () => {
    const api = apiClient(s.url, token);
    expect(await api.datasets.list.query()).toEqual([expect.objectContaining({ id: snapshotId, rowCount: 30 })]);
    const got = await api.datasets.get.query({ snapshotId });
    expect(got.manifest.counts).toMatchObject({ rows: 30, items: 30 });
  });

  it('refuses bad input with the field, and creates nothing', async () => {
    const r = await callTrpc(s.url, 'datasets.create', {
      input: { name: 'x', filters: { from: '2026-03-01', to: '2026-02-01' } },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.status).toBe(400);
    expect(r.text).toContain('filters.to');
    const none = await callTrpc(s.url, 'datasets.create', {
      input: { name: 'x', filters: { workflow: 'nothing-here' } },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(none.status).toBe(400);
    expect(none.body.error?.message).toContain('No labels match these filters');
    expect(await apiClient(s.url, token).datasets.list.query()).toHaveLength(1);
    const missing = await callTrpc(s.url, 'datasets.get', {
      query: true,
      input: { snapshotId: '00000000-0000-4000-8000-000000000000' },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
  });
});

describe('the download', () => {
  it('streams a split as an attachment with the session cookie and its CSRF proof in the query', async () => {
    const res = await fetch(url(`format=csv&split=train&csrf=${encodeURIComponent(csrf)}`), { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="refunds-v1-${snapshotId.slice(0, 8)}-train.csv"`,
    );
    expect(Buffer.from(await res.arrayBuffer()).equals(await expected('csv', 'train'))).toBe(true);
  });

  it('gives the same bytes twice, and takes a bearer token at /api/v1', async () => {
    const get = async () =>
      Buffer.from(
        await (
          await fetch(url('format=parquet', snapshotId, '/api/v1'), { headers: { authorization: `Bearer ${token}` } })
        ).arrayBuffer(),
      );
    const a = await get();
    expect(a.equals(await get())).toBe(true);
    expect(a.equals(await expected('parquet'))).toBe(true);
  });

  it('refuses without a session, without the CSRF proof, and a role without label:export', async () => {
    expect((await fetch(url('format=csv'))).status).toBe(401);
    expect((await fetch(url('format=csv'), { headers: { cookie } })).status).toBe(403);
    const reviewer = (
      await apiClient(s.url).auth.login.mutate({ email: 'rev@signoff.test', password: PASSWORD, session: 'bearer' })
    ).token as string;
    const r = await fetch(url('format=csv'), { headers: { authorization: `Bearer ${reviewer}` } });
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('needs label:export');
  });

  it('answers 400 for a bad format, split or id and 404 for an unknown snapshot, never 500', async () => {
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const bad = await fetch(url('format=xml&split=all'), auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toEqual([
      'format',
      'split',
    ]);
    expect((await fetch(url('format=csv&extra=1'), auth)).status).toBe(400);
    expect((await fetch(url('format=csv', 'not-a-uuid'), auth)).status).toBe(400);
    expect((await fetch(url('format=csv', '00000000-0000-4000-8000-000000000000'), auth)).status).toBe(404);
  });
});
