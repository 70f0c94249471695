// Regression: a NUL character (\u0000) or an unpaired surrogate (\ud800) in any string reached
// PostgreSQL and came back as a 500 with its raw error — and, in a batch, as status `error`,
// which clients resend forever. Each surface now refuses such text with the field's path: 400 for
// a single request, `invalid` for an item of a batch, BAD_REQUEST for tRPC; nothing is stored.
import type { AppRouter } from '@signoff/api';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notesWorkflow } from '../fixtures/notes-workflow';
import { countRows } from '../support/database';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ demoItems: 0, workers: false, workflows: [notesWorkflow] });
});
afterAll(() => s?.close());

const NUL = 'Jordan\u0000Blake';
const LONE = 'Jordan\uD800Blake';
const NUL_MESSAGE = 'contains a NUL character (\\u0000), which cannot be stored';
const LONE_MESSAGE = 'contains an unpaired UTF-16 surrogate (e.g. \\ud800), which cannot be stored';

/** JSON.stringify writes a lone surrogate as the escape `\ud800`, which the server parses back into one. */
function post(path: string, body: unknown) {
  return fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const count = (table: 'items' | 'events') => countRows(s.db, table);

type ErrorBody = { error: { code: string; issues?: { path: string; message: string }[] } };

async function expectRefused(r: Response, path: string, message: string) {
  expect(r.status).toBe(400);
  const body = (await r.json()) as ErrorBody;
  expect(body.error.code).toBe('BAD_INPUT');
  expect(body.error.issues).toEqual([{ path, message }]);
}

describe('POST /api/v1/items, one item', () => {
  it('refuses NUL and lone surrogates in the input and the idempotency key, naming the field', async () => {
    const name = (n: string) => ({ workflow: 'notes', input: { customer: { name: n } } });
    await expectRefused(await post('/api/v1/items', name(NUL)), 'input.customer.name', NUL_MESSAGE);
    await expectRefused(await post('/api/v1/items', name(LONE)), 'input.customer.name', LONE_MESSAGE);
    await expectRefused(
      await post('/api/v1/items', {
        ...name('Ana'),
        input: { customer: { name: 'Ana' }, meta: { tags: ['a', LONE] } },
      }),
      'input.meta.tags.1',
      LONE_MESSAGE,
    );
    await expectRefused(
      await post('/api/v1/items', { ...name('Ana'), idempotencyKey: 'ticket\u00001' }),
      'idempotencyKey',
      NUL_MESSAGE,
    );
    await expectRefused(
      await post('/api/v1/items', { ...name('Ana'), idempotencyKey: 'ticket-\uDC001' }),
      'idempotencyKey',
      LONE_MESSAGE,
    );
    expect(await count('items')).toBe(0);
  });
});

describe('POST /api/v1/items, a batch', () => {
  it('marks each such item invalid (not error) with the field path, and creates the good ones', async () => {
    const r = await post('/api/v1/items', {
      items: [
        { workflow: 'notes', input: { customer: { name: 'Ana' } }, idempotencyKey: 'batch-good' },
        { workflow: 'notes', input: { customer: { name: NUL } } },
        { workflow: 'notes', input: { customer: { name: 'Ana' } }, idempotencyKey: `batch-${LONE}` },
        { workflow: 'notes', input: { customer: { name: 'Ana' }, meta: { [`k${NUL}`]: 1 } } },
      ],
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      results: { index: number; status: string; error?: ErrorBody['error'] }[];
      summary: Record<string, number>;
    };
    expect(body.summary).toEqual({ created: 1, existing: 0, invalid: 3, errors: 0 });
    expect(body.results.map((x) => x.status)).toEqual(['created', 'invalid', 'invalid', 'invalid']);
    expect(body.results.slice(1).map((x) => x.error?.issues)).toEqual([
      [{ path: 'input.customer.name', message: NUL_MESSAGE }],
      [{ path: 'idempotencyKey', message: LONE_MESSAGE }],
      [
        {
          path: 'input.meta',
          message: 'has a property name with a NUL character (\\u0000), which cannot be stored',
        },
      ],
    ]);
    const items = await s.db.selectFrom('items').select('idempotency_key').execute();
    expect(items).toEqual([{ idempotency_key: 'batch-good' }]);
  });
});

describe('POST /api/v1/events', () => {
  it('refuses NUL and lone surrogates in the name, key, payload and id, and stores no event', async () => {
    const event = { name: 'payment.confirmed', key: 'order-17', payload: { amount: 40 }, id: 'psp-1' };
    await expectRefused(await post('/api/v1/events', { ...event, name: `payment${NUL}` }), 'name', NUL_MESSAGE);
    await expectRefused(await post('/api/v1/events', { ...event, key: LONE }), 'key', LONE_MESSAGE);
    await expectRefused(
      await post('/api/v1/events', { ...event, payload: { payer: { name: NUL } } }),
      'payload.payer.name',
      NUL_MESSAGE,
    );
    await expectRefused(await post('/api/v1/events', { ...event, id: `psp${LONE}` }), 'id', LONE_MESSAGE);
    expect(await count('events')).toBe(0);
  });
});

describe('tRPC', () => {
  it('refuses such text in any procedure input as BAD_REQUEST with fieldErrors naming the path', async () => {
    const anon = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${s.url}/trpc` })] });
    const { token } = await anon.auth.login.mutate({
      email: 'admin@demo.signoff',
      password: DEMO_PASSWORD,
      session: 'bearer',
    });
    const admin = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${s.url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
    });
    const refusal = async (call: Promise<unknown>) => {
      const e = await call.then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(TRPCClientError);
      const data = (e as TRPCClientError<AppRouter>).data;
      return { code: data?.code, httpStatus: data?.httpStatus, fieldErrors: data?.fieldErrors };
    };
    expect(await refusal(admin.tasks.claimNext.mutate({ queue: `refunds${NUL}` }))).toEqual({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      fieldErrors: [{ path: 'queue', message: NUL_MESSAGE }],
    });
    expect(await refusal(admin.items.list.query({ workflow: LONE }))).toEqual({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      fieldErrors: [{ path: 'workflow', message: LONE_MESSAGE }],
    });
    expect(await refusal(anon.auth.login.mutate({ email: 'admin@demo.signoff', password: `x${NUL}` }))).toEqual({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      fieldErrors: [{ path: 'password', message: NUL_MESSAGE }],
    });
    // Well-formed text still works, emoji (a surrogate pair) included.
    expect(await admin.tasks.claimNext.mutate({ queue: 'refunds 😀' })).toBeNull();
  });
});
