// The batch client against a real local HTTP server that answers as scripted.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendBatch } from './submit-client';

type Reply = (items: unknown[], res: ServerResponse) => void;

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Serves the scripted replies in order (the last one repeats); returns its URL and what it received. */
async function scriptedServer(replies: Reply[]) {
  const received: unknown[][] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const items = (JSON.parse(body) as { items: unknown[] }).items;
      received.push(items);
      const reply = replies[Math.min(received.length, replies.length) - 1] as Reply;
      reply(items, res);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const allCreated: Reply = (items, res) =>
  json(res, 200, {
    results: items.map((_, index) => ({ index, status: 'created', id: `id-${index}` })),
    summary: { created: items.length, existing: 0, invalid: 0, errors: 0 },
  });
const unavailable: Reply = (_, res) => json(res, 503, { error: { code: 'INTERNAL', message: 'database restarting' } });
const options = (url: string) => ({ url, apiKey: 'k', retryDelayMs: 1 });

describe('sendBatch', () => {
  it('retries a 5xx answer and succeeds on the next try', async () => {
    const { url, received } = await scriptedServer([unavailable, allCreated]);
    const outcome = await sendBatch([{ a: 1 }, { a: 2 }], options(url));
    expect(outcome).toMatchObject({ ok: true, results: [{ status: 'created' }, { status: 'created' }] });
    expect(received).toHaveLength(2);
  });

  it('gives up after 3 tries, says why, and tells the caller to stop sending', async () => {
    const { url, received } = await scriptedServer([unavailable]);
    const outcome = await sendBatch([{ a: 1 }], options(url));
    expect(outcome).toMatchObject({ ok: false, fatal: true, error: { message: expect.stringMatching(/HTTP 503/) } });
    expect(received).toHaveLength(3);
  });

  it('resends only the items the server reported as errors, and maps their results back', async () => {
    const partial: Reply = (items, res) =>
      json(res, 200, {
        results: items.map((_, index) =>
          index === 1
            ? { index, status: 'error', error: { code: 'INTERNAL', message: 'x' } }
            : { index, status: 'invalid', error: { code: 'BAD_INPUT', message: 'y' } },
        ),
        summary: { created: 0, existing: 0, invalid: items.length - 1, errors: 1 },
      });
    const { url, received } = await scriptedServer([partial, allCreated]);
    const outcome = await sendBatch([{ n: 0 }, { n: 1 }, { n: 2 }], options(url));
    expect(received).toEqual([[{ n: 0 }, { n: 1 }, { n: 2 }], [{ n: 1 }]]);
    expect(outcome).toMatchObject({
      ok: true,
      results: [
        { index: 0, status: 'invalid' },
        { index: 1, status: 'created', id: 'id-0' },
        { index: 2, status: 'invalid' },
      ],
    });
  });

  it('refuses a bad batch without retrying it, and goes on with the next', async () => {
    const { url, received } = await scriptedServer([
      (_, res) => json(res, 413, { error: { code: 'BAD_INPUT', message: 'Body exceeds 10485760 bytes' } }),
    ]);
    const outcome = await sendBatch([{ a: 1 }], options(url));
    expect(outcome).toMatchObject({ ok: false, fatal: false, error: { message: expect.stringMatching(/HTTP 413/) } });
    expect(received).toHaveLength(1);
  });

  it('does not retry a refused API key, and marks it fatal', async () => {
    const { url, received } = await scriptedServer([
      (_, res) => json(res, 401, { error: { code: 'UNAUTHENTICATED', message: 'Unknown or revoked API key' } }),
    ]);
    const outcome = await sendBatch([{ a: 1 }], options(url));
    expect(outcome).toMatchObject({ ok: false, fatal: true, error: { code: 'UNAUTHENTICATED' } });
    expect(received).toHaveLength(1);
  });

  it('retries network errors', async () => {
    const { url } = await scriptedServer([allCreated]);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const outcome = await sendBatch([{ a: 1 }], options(url));
    expect(outcome).toMatchObject({ ok: false, fatal: true, error: { code: 'NETWORK' } });
  });
});
