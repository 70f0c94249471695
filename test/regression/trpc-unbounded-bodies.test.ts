// Regression: /trpc read bodies of any size, before any session check. Eight parallel 100 MB bodies
// to `auth.login` took the server to 1.5 GB. Bodies are now limited (SIGNOFF_TRPC_MAX_BODY_BYTES,
// here 64 KiB), by content-length and by counting a chunked stream, which is refused as soon as it
// passes the limit: the rest is never read.
import { request } from 'node:http';
import { readEnv } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countRows } from '../support/database';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const LIMIT = 64 * 1024;
let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ demoItems: 0, workers: false, env: { SIGNOFF_TRPC_MAX_BODY_BYTES: String(LIMIT) } });
});
afterAll(() => s?.close());

const sessions = () => countRows(s.db, 'sessions');

/** A valid login; zod drops the unknown `pad`, so only the size limit can refuse it. */
function paddedLogin(padBytes: number): string {
  return JSON.stringify({ email: 'admin@demo.signoff', password: 'signoff-demo', pad: 'x'.repeat(padBytes) });
}

function login(body: string) {
  return fetch(`${s.url}/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

describe('/trpc body limit', () => {
  it('defaults to 1 MiB', () => {
    expect(readEnv({}).SIGNOFF_TRPC_MAX_BODY_BYTES).toBe(1_048_576);
  });

  it('accepts a body within the limit', async () => {
    const before = await sessions();
    const r = await login(paddedLogin(LIMIT - 200));
    expect(r.status).toBe(200);
    expect(await sessions()).toBe(before + 1);
  });

  it('answers 413 by content-length, as a tRPC error, and signs nobody in', async () => {
    const before = await sessions();
    const r = await login(paddedLogin(LIMIT + 1));
    expect(r.status).toBe(413);
    const body = (await r.json()) as { error: { message: string; data: { code: string; httpStatus: number } } };
    expect(body.error.message).toBe('Request body exceeds 65536 bytes');
    expect(body.error.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, path: 'auth.login' });
    expect(await sessions()).toBe(before);
  });

  it('answers 413 to a chunked body that keeps streaming, before the client has sent it all', async () => {
    const planned = 64 * 1024 * 1024; // 1,024 times the limit
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const before = await sessions();
    const req = request(`${s.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('error', () => undefined); // the server closes the socket once it has answered
    const response = new Promise<{ status: number; body: string }>((ok) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
      });
    });
    let answered = false;
    void response.then(() => {
      answered = true;
    });
    const stopped = Promise.race([response, new Promise((ok) => req.once('close', ok))]);
    let sent = 0;
    req.write('{"email":"admin@demo.signoff","password":"signoff-demo","pad":"');
    while (!answered && sent < planned && !req.destroyed) {
      sent += chunk.length;
      if (!req.write(chunk)) await Promise.race([new Promise((ok) => req.once('drain', ok)), stopped]);
    }
    const r = await response;
    req.destroy();
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.data.code).toBe('PAYLOAD_TOO_LARGE');
    expect(sent).toBeLessThan(planned);
    expect(await sessions()).toBe(before);
  });
});
