// Regression: an event payload or item input nested 5,000 levels deep overflowed the stack
// (JSON.stringify on the way to PostgreSQL) and answered 500. Nesting past MAX_JSON_DEPTH (64) is
// now refused at the boundary, before any recursive code sees it, with a 400 that says so; input
// 100,000 levels deep is refused the same way. Nothing is stored.
import { MAX_JSON_DEPTH } from '@signoff/core';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notesWorkflow } from '../fixtures/notes-workflow';
import { countRows } from '../support/database';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ demoItems: 0, workers: false, workflows: [notesWorkflow] });
});
afterAll(() => s?.close());

/** `{"a":{"a":…1…}}`, `levels` objects deep, as text: JSON.stringify itself overflows on such a value. */
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const TOO_DEEP = 'is nested more than 64 levels deep';

function post(path: string, body: string, token = DEMO_API_KEY) {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });
}

const count = (table: 'items' | 'events') => countRows(s.db, table);

type Issues = { path: string; message: string }[];

describe('nesting depth', () => {
  it('is capped at 64 levels', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
  });

  it('POST /api/v1/items refuses an input nested 5,000 deep with 400, naming where it went too deep', async () => {
    const r = await post(
      '/api/v1/items',
      `{"workflow":"notes","input":{"customer":{"name":"Ana"},"meta":${deepJson(5000)}}}`,
    );
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; issues: Issues } };
    expect(body.error.code).toBe('BAD_INPUT');
    // The submission is level 1, its input 2, meta 3; the 65th level is meta followed by 62 `a`s.
    expect(body.error.issues).toEqual([{ path: `input.meta${'.a'.repeat(62)}`, message: TOO_DEEP }]);
    expect(await count('items')).toBe(0);
  });

  it('accepts the deepest input allowed', async () => {
    const r = await post(
      '/api/v1/items',
      `{"workflow":"notes","input":{"customer":{"name":"Ana"},"meta":${deepJson(62)}}}`,
    );
    expect(r.status).toBe(201);
  });

  it('a batch marks such an item invalid', async () => {
    const before = await count('items');
    const r = await post(
      '/api/v1/items',
      `{"items":[{"workflow":"notes","input":{"customer":{"name":"Ana"},"meta":${deepJson(5000)}}}]}`,
    );
    expect(r.status).toBe(200);
    const body = (await r.json()) as { results: { status: string; error?: { issues: Issues } }[] };
    expect(body.results.map((x) => x.status)).toEqual(['invalid']);
    expect(body.results[0]?.error?.issues[0]?.message).toBe(TOO_DEEP);
    expect(await count('items')).toBe(before);
  });

  it('POST /api/v1/events refuses a payload nested 5,000 and 100,000 deep with 400', async () => {
    for (const levels of [5000, 100_000]) {
      const r = await post(
        '/api/v1/events',
        `{"name":"payment.confirmed","key":"order-17","payload":${deepJson(levels)}}`,
      );
      expect(r.status).toBe(400);
      const body = (await r.json()) as { error: { issues: Issues } };
      expect(body.error.issues).toEqual([{ path: `payload${'.a'.repeat(63)}`, message: TOO_DEEP }]);
    }
    expect(await count('events')).toBe(0);
  });

  it('tRPC refuses a procedure input nested 5,000 deep with BAD_REQUEST', async () => {
    const login = await fetch(`${s.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@demo.signoff', password: DEMO_PASSWORD, session: 'bearer' }),
    });
    const { token } = ((await login.json()) as { result: { data: { token: string } } }).result.data;
    const r = await post('/trpc/tasks.claimNext', `{"queue":"refunds","extra":${deepJson(5000)}}`, token);
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { data: { code: string; fieldErrors: Issues } } };
    expect(body.error.data.code).toBe('BAD_REQUEST');
    expect(body.error.data.fieldErrors).toEqual([{ path: `extra${'.a'.repeat(63)}`, message: TOO_DEEP }]);
  });
});
