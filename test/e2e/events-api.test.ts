// POST /api/v1/events resumes items waiting at a `wait` state, over HTTP with an API key.
import { defineWorkflow } from '@signoff/core';
import { DEMO_API_KEY } from '@signoff/server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const kyc = defineWorkflow({
  name: 'kyc-check',
  input: z.object({ applicant: z.string() }),
  start: 'awaitIdentity',
  states: {
    awaitIdentity: {
      kind: 'wait',
      event: { name: 'identity.verified', key: (ctx) => ctx.input.applicant },
      timeoutMs: 3_600_000,
      onTimeout: 'manual',
      next: 'approved',
    },
    manual: { kind: 'final', status: 'rejected' },
    approved: { kind: 'final', status: 'succeeded', output: (ctx) => ({ score: ctx.awaitIdentity.payload.score }) },
  },
});

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ workflows: [kyc] });
});
afterAll(() => s?.close());

const post = (path: string, body: unknown, key = DEMO_API_KEY) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

it('an event resumes the item waiting for it; a repeated event id changes nothing', async () => {
  const created = (await (
    await post('/api/v1/items', { workflow: 'kyc-check', input: { applicant: 'A-77' } })
  ).json()) as { id: string };
  await waitFor(
    async () =>
      (await s.db.selectFrom('items').select('status').where('id', '=', created.id).executeTakeFirstOrThrow())
        .status === 'waiting',
  );
  const r = await post('/api/v1/events', {
    name: 'identity.verified',
    key: 'A-77',
    payload: { score: 0.97 },
    id: 'idv-1',
  });
  expect(r.status).toBe(200);
  expect(await r.json()).toMatchObject({ duplicate: false, resumed: [created.id] });
  const again = await post('/api/v1/events', {
    name: 'identity.verified',
    key: 'A-77',
    payload: { score: 0.1 },
    id: 'idv-1',
  });
  expect(await again.json()).toMatchObject({ duplicate: true, resumed: [] });
  const item = await waitFor(async () => {
    const i = await s.db
      .selectFrom('items')
      .select(['status', 'context'])
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    return i.status === 'succeeded' ? i : undefined;
  });
  expect(item.context.approved).toEqual({ score: 0.97 });
});

it('refuses a bad event with field paths, and a wrong key', async () => {
  const r = await post('/api/v1/events', { key: '' });
  expect(r.status).toBe(400);
  const body = (await r.json()) as { error: { issues: { path: string }[] } };
  expect(body.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['name', 'key']));
  expect((await post('/api/v1/events', { name: 'x', key: 'y' }, 'sk_nope')).status).toBe(401);
});
