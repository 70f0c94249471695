// Regression: the console kept its session token in localStorage, where any script that runs in the
// page can read it. Now sign-in sets an HttpOnly, SameSite=Strict session cookie (Secure over HTTPS)
// and the answer carries no token; a cookie-authenticated call needs the CSRF token echoed in a
// header; `Authorization: Bearer` keeps working for programs.
import { CSRF_COOKIE, CSRF_HEADER, csrfTokenFor, SESSION_COOKIE } from '@signoff/api';
import { sha256 } from '@signoff/governance';
import { createHttpApp, DEMO_PASSWORD, type Listening, listenHttp } from '@signoff/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import { callTrpc, cookiePair, cookieValue } from '../support/trpc-http';

const REVIEWER = { email: 'reviewer@demo.signoff', name: 'Riley Reviewer', role: 'reviewer' };

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ workers: false, demoItems: 0 });
});
afterAll(() => s?.close());

async function cookieSignIn(base = s.url, headers: Record<string, string> = {}) {
  const r = await callTrpc(base, 'auth.login', {
    input: { email: REVIEWER.email, password: DEMO_PASSWORD },
    headers,
  });
  expect(r.status).toBe(200);
  const token = cookieValue(r.setCookies, SESSION_COOKIE);
  const cookie = `${cookiePair(r.setCookies, SESSION_COOKIE)}; ${cookiePair(r.setCookies, CSRF_COOKIE)}`;
  return { r, token, cookie, csrf: cookieValue(r.setCookies, CSRF_COOKIE) };
}

async function sessionExists(token: string): Promise<boolean> {
  const row = await s.db
    .selectFrom('sessions')
    .select('user_id')
    .where('token_hash', '=', sha256(token))
    .executeTakeFirst();
  return row !== undefined;
}

describe('sign-in', () => {
  it('sets an HttpOnly SameSite=Strict session cookie and a readable CSRF cookie, and the answer has no token', async () => {
    const { r, token, csrf } = await cookieSignIn();
    expect(r.setCookies).toEqual([
      `${SESSION_COOKIE}=${token}; Path=/trpc; HttpOnly; SameSite=Strict; Max-Age=43200`,
      `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict; Max-Age=43200`,
    ]);
    expect(token).toMatch(/^sess_[A-Za-z0-9_-]{43}$/);
    expect(csrf).toBe(csrfTokenFor(token));
    expect(await sessionExists(token)).toBe(true);
    expect(r.body.result?.data).toEqual({
      user: { id: expect.any(String), ...REVIEWER },
      expiresAt: expect.any(String),
    });
    expect(r.text).not.toContain(token);
  });

  it('marks both cookies Secure when the client came over HTTPS (per a trusted proxy)', async () => {
    const proxied: Listening = await listenHttp(
      createHttpApp({ db: s.db, boss: s.boss, registry: s.registry }, { trustProxy: 1 }).fetch,
      { port: 0, hostname: '127.0.0.1' },
    );
    try {
      const { r } = await cookieSignIn(proxied.url, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.1' });
      expect(r.setCookies.map((c) => c.split('; ').slice(1).join('; '))).toEqual([
        'Path=/trpc; HttpOnly; SameSite=Strict; Secure; Max-Age=43200',
        'Path=/; SameSite=Strict; Secure; Max-Age=43200',
      ]);
      // Without a trusted proxy, a client's own X-Forwarded-Proto is not believed.
      const direct = await cookieSignIn(s.url, { 'x-forwarded-proto': 'https' });
      expect(direct.r.setCookies.every((c) => !c.includes('Secure'))).toBe(true);
    } finally {
      await proxied.close();
    }
  });

  it('still returns the token to programs that ask for a bearer session, without setting cookies', async () => {
    const r = await callTrpc(s.url, 'auth.login', {
      input: { email: REVIEWER.email, password: DEMO_PASSWORD, session: 'bearer' },
    });
    expect(r.status).toBe(200);
    expect(r.setCookies).toEqual([]);
    const token = (r.body.result?.data as { token?: string } | undefined)?.token;
    expect(token).toMatch(/^sess_/);
    const me = await callTrpc(s.url, 'auth.me', { query: true, headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(me.body.result?.data).toEqual({ id: expect.any(String), ...REVIEWER });
  });
});

describe('CSRF', () => {
  it('a cookie-authenticated mutation without the CSRF token, or with a wrong one, is refused and changes nothing', async () => {
    const { token, cookie, csrf } = await cookieSignIn();
    const without = await callTrpc(s.url, 'auth.logout', { headers: { cookie } });
    expect(without.status).toBe(403);
    expect(without.body.error?.message).toBe('The session cookie came without its CSRF token');
    const wrong = await callTrpc(s.url, 'auth.logout', {
      headers: { cookie, [CSRF_HEADER]: csrfTokenFor('sess_someone_else') },
    });
    expect(wrong.status).toBe(403);
    expect(await sessionExists(token)).toBe(true);

    const proper = await callTrpc(s.url, 'auth.logout', { headers: { cookie, [CSRF_HEADER]: csrf } });
    expect(proper.status).toBe(200);
    expect(await sessionExists(token)).toBe(false);
    // Logout clears both cookies.
    expect(proper.setCookies).toEqual([
      `${SESSION_COOKIE}=; Path=/trpc; HttpOnly; SameSite=Strict; Max-Age=0`,
      `${CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0`,
    ]);
  });

  it('queries are checked too, and the CSRF token of another session does not fit', async () => {
    const a = await cookieSignIn();
    const b = await cookieSignIn();
    expect((await callTrpc(s.url, 'auth.me', { query: true, headers: { cookie: a.cookie } })).status).toBe(403);
    expect(
      (await callTrpc(s.url, 'auth.me', { query: true, headers: { cookie: a.cookie, [CSRF_HEADER]: b.csrf } })).status,
    ).toBe(403);
    const me = await callTrpc(s.url, 'auth.me', { query: true, headers: { cookie: a.cookie, [CSRF_HEADER]: a.csrf } });
    expect(me.status).toBe(200);
    expect(me.body.result?.data).toEqual({ id: expect.any(String), ...REVIEWER });
  });

  it('a bearer token needs no CSRF token (browsers never attach one on their own)', async () => {
    const { token } = await cookieSignIn();
    const me = await callTrpc(s.url, 'auth.me', { query: true, headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
  });
});
