// Regression: one tRPC batch could carry any number of calls (200 logins in one request cost 9.5 s
// of CPU). A batch now holds at most TRPC_MAX_BATCH_CALLS (20) calls; a bigger one is refused with
// a 400 naming the limit before any call runs. The console's client never sends more.
import type { AppRouter } from '@signoff/api';
import { CSRF_COOKIE, SESSION_COOKIE, TRPC_MAX_BATCH_CALLS } from '@signoff/core';
import { DEMO_PASSWORD } from '@signoff/server';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../apps/console/src/trpc';
import { countRows } from '../support/database';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import { callTrpc, cookiePair, cookieValue } from '../support/trpc-http';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ demoItems: 0, workers: false });
});
afterAll(() => s?.close());

const sessions = () => countRows(s.db, 'sessions');

/** A client that batches without a cap, as any caller outside the console may. */
const uncapped = () => createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${s.url}/trpc` })] });

// A bearer session, so that each login's token comes back in its answer.
const credentials = { email: 'admin@demo.signoff', password: DEMO_PASSWORD, session: 'bearer' as const };

describe('/trpc batch limit', () => {
  it('is 20 calls', () => {
    expect(TRPC_MAX_BATCH_CALLS).toBe(20);
  });

  it('runs a batch of 20 calls', async () => {
    // Sign-ins of one account are throttled after 5 failures, and attempts in flight count until
    // they succeed: the 20 sign-ins go to the 5 demo accounts, 4 each.
    const emails = ['reviewer', 'reviewer2', 'compliance', 'data', 'admin'].map((u) => `${u}@demo.signoff`);
    const before = await sessions();
    let requests = 0;
    const counted = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${s.url}/trpc`,
          fetch: (input, init) => {
            requests++;
            return fetch(input, init);
          },
        }),
      ],
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        counted.auth.login.mutate({ ...credentials, email: emails[i % emails.length] as string }),
      ),
    );
    expect(requests).toBe(1);
    expect(new Set(results.map((r) => r.token)).size).toBe(20);
    expect(await sessions()).toBe(before + 20);
  });

  it('refuses a batch of 21 calls with a 400 naming the limit, and runs none of them', async () => {
    const before = await sessions();
    const client = uncapped();
    const outcomes = await Promise.allSettled(Array.from({ length: 21 }, () => client.auth.login.mutate(credentials)));
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      const e = (o as PromiseRejectedResult).reason;
      expect(e).toBeInstanceOf(TRPCClientError);
      expect((e as TRPCClientError<AppRouter>).data?.code).toBe('BAD_REQUEST');
      expect((e as TRPCClientError<AppRouter>).message).toBe(
        'A batch may hold at most 20 calls; this one has 21: send fewer at once',
      );
    }
    expect(await sessions()).toBe(before);

    // The same over plain HTTP: the status, and one error per call.
    const paths = Array.from({ length: 21 }, () => 'auth.login').join(',');
    const inputs = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [String(i), credentials]));
    const r = await fetch(`${s.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inputs),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { data: { httpStatus: number } } }[];
    expect(body).toHaveLength(21);
    expect(body.every((b) => b.error.data.httpStatus === 400)).toBe(true);
    expect(await sessions()).toBe(before);
  });

  it("the console's client splits 45 calls made together into batches the server takes", async () => {
    // Signed in as the console is: the session cookie, and the CSRF token echoed in a header.
    const login = await callTrpc(s.url, 'auth.login', { input: { email: credentials.email, password: DEMO_PASSWORD } });
    const cookie = [cookiePair(login.setCookies, SESSION_COOKIE), cookiePair(login.setCookies, CSRF_COOKIE)].join('; ');
    const csrf = cookieValue(login.setCookies, CSRF_COOKIE);
    let requests = 0;
    const withCookie: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie } });
    };
    const consoleClient = createApiClient(() => csrf, `${s.url}/trpc`, withCookie);
    const me = await Promise.all(Array.from({ length: 45 }, () => consoleClient.auth.me.query()));
    expect(me.map((u) => u.email)).toEqual(Array.from({ length: 45 }, () => 'admin@demo.signoff'));
    // 45 calls at most 20 a request: 3 requests.
    expect(requests).toBe(3);
  });
});
