// Regression: while the database could not be reached, ingestion and tRPC answered 500 (and
// /healthz 503 without saying when to come back). Every surface now answers 503 with Retry-After,
// and works again as soon as the database is back. The database is taken out of reach exactly,
// by a TCP proxy that resets every connection.
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { notesWorkflow } from '../fixtures/notes-workflow';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

let proxy: TcpProxy;
let s: TestSignoff;
beforeAll(async () => {
  const server = new URL(inject('adminUrl'));
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  s = await startTestSignoff({ demoItems: 0, workers: false, workflows: [notesWorkflow], databasePort: proxy.port });
});
afterAll(async () => {
  proxy?.restore();
  await s?.close();
  await proxy?.close();
});

const item = { workflow: 'notes', input: { customer: { name: 'Ana' } } };

function post(path: string, body: unknown, token = DEMO_API_KEY) {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function expectUnavailable(r: Response) {
  expect(r.status).toBe(503);
  expect(r.headers.get('retry-after')).toBe('5');
  return r.json();
}

describe('with the database out of reach', () => {
  it('every surface answers 503 with Retry-After, and all is well once it is back', async () => {
    const login = await post('/trpc/auth.login', {
      email: 'admin@demo.signoff',
      password: DEMO_PASSWORD,
      session: 'bearer',
    });
    expect(login.status).toBe(200);
    const { token } = ((await login.json()) as { result: { data: { token: string } } }).result.data;
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);

    proxy.cut();

    expect(await expectUnavailable(await fetch(`${s.url}/healthz`))).toMatchObject({ status: 'unavailable' });
    const apiError = {
      error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable; try again in 5 seconds' },
    };
    expect(await expectUnavailable(await post('/api/v1/items', item))).toEqual(apiError);
    expect(await expectUnavailable(await post('/api/v1/items', { items: [item, item] }))).toEqual(apiError);
    expect(await expectUnavailable(await post('/api/v1/events', { name: 'paid', key: 'order-1' }))).toEqual(apiError);
    // tRPC: a procedure's own query (login, no session), and the context's session lookup.
    const trpcError = (body: unknown) => (body as { error: { message: string; data: Record<string, unknown> } }).error;
    const noSession = trpcError(
      await expectUnavailable(await post('/trpc/auth.login', { email: 'admin@demo.signoff', password: DEMO_PASSWORD })),
    );
    expect(noSession.message).toBe('The database is unavailable; try again in a few seconds');
    expect(noSession.data).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      httpStatus: 503,
      appCode: 'DATABASE_UNAVAILABLE',
    });
    const withSession = await fetch(`${s.url}/trpc/items.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(trpcError(await expectUnavailable(withSession)).data).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    proxy.restore();

    await waitFor(async () => (await fetch(`${s.url}/healthz`)).status === 200, { message: '/healthz is 200 again' });
    const r = await post('/api/v1/items', item);
    expect(r.status).toBe(201);
    const list = await fetch(`${s.url}/trpc/items.list?input=${encodeURIComponent('{}')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
  });
});
