// Webhooks out: the idempotency key is the same on every try, transient failures are retried,
// permanent ones are not.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineWorkflow } from '@signoff/core';
import { webhookTask } from '@signoff/engine';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';

const received: { key: string; body: unknown; status: number }[] = [];
// Answers per ticket: a queue of statuses, then 200.
const script = new Map<string, number[]>([
  ['flaky', [503, 500]],
  ['bad', [400]],
]);
const server = createServer(async (req: IncomingMessage, res) => {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as { ticket: string };
  const status = script.get(body.ticket)?.shift() ?? 200;
  received.push({ key: String(req.headers['idempotency-key']), body, status });
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: status === 200 }));
});

let t: TestDatabase;
let e: TestEngine;
let url = '';
beforeAll(async () => {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const wf = defineWorkflow({
    name: 'hooks',
    input: z.object({ ticket: z.string() }),
    start: 'notify',
    states: {
      notify: webhookTask({
        url: () => url,
        body: (ctx) => ({ ticket: ctx.input.ticket }),
        retry: { maxAttempts: 4, initialDelayMs: 10 },
        onError: 'gaveUp',
        next: 'done',
      }),
      gaveUp: { kind: 'final', status: 'failed', output: (ctx) => ctx.notify },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
  t = await createTestDatabase();
  e = await startTestEngine(t, [wf]);
});
afterAll(async () => {
  await e.stop();
  await t.drop();
  server.close();
});

it('retries 5xx with the same idempotency key until the receiver accepts', async () => {
  const id = await e.submit('hooks', { ticket: 'flaky' });
  const item = await e.settle(id);
  expect(item.status).toBe('succeeded');
  expect(item.context.notify).toEqual({ status: 200, body: { accepted: true } });
  const calls = received.filter((r) => (r.body as { ticket: string }).ticket === 'flaky');
  expect(calls.map((c) => c.status)).toEqual([503, 500, 200]);
  expect(new Set(calls.map((c) => c.key))).toEqual(new Set([`${id}:notify:1`]));
});

it('does not retry a 4xx: the state gives up at once and takes its error path', async () => {
  const id = await e.submit('hooks', { ticket: 'bad' });
  const item = await e.settle(id);
  expect(item.status).toBe('failed');
  expect(item.context.notify).toMatchObject({
    attempts: 1,
    error: { message: expect.stringContaining('answered 400') },
  });
  expect(received.filter((r) => (r.body as { ticket: string }).ticket === 'bad')).toHaveLength(1);
});
