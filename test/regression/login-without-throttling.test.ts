// Regression: sign-in had no throttling (30 wrong passwords, then the right one worked at once).
// Now failures back off per account and per client address, in PostgreSQL, audited on the
// `security` stream; a throttled attempt is refused even with the right password, with a 429 and
// Retry-After. Waits are ended by moving `locked_until` into the past, never by sleeping.
import { createHttpApp, DEMO_PASSWORD, type Listening, listenHttp } from '@signoff/server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import { callTrpc } from '../support/trpc-http';

const REVIEWER = 'reviewer@demo.signoff';
const COMPLIANCE = 'compliance@demo.signoff';
const DATA = 'data@demo.signoff';

let s: TestSignoff;
/** The same API behind one trusted reverse proxy (SIGNOFF_TRUST_PROXY=1): X-Forwarded-For counts. */
let proxied: Listening;

beforeAll(async () => {
  s = await startTestSignoff({ workers: false, demoItems: 0 });
  proxied = await listenHttp(createHttpApp({ db: s.db, boss: s.boss, registry: s.registry }, { trustProxy: 1 }).fetch, {
    port: 0,
    hostname: '127.0.0.1',
  });
});
afterAll(async () => {
  await proxied?.close();
  await s?.close();
});

function signIn(base: string, email: string, password: string, forwardedFor?: string) {
  return callTrpc(base, 'auth.login', {
    input: { email, password, session: 'bearer' },
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
}

async function throttleRow(scope: 'account' | 'address', key: string) {
  return s.db
    .selectFrom('login_throttles')
    .select(['failures', sql<number | null>`extract(epoch from locked_until - last_failure_at)::int`.as('waitSeconds')])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Ends a wait as if its time had passed. */
async function endWait(scope: 'account' | 'address', key: string) {
  await s.db
    .updateTable('login_throttles')
    .set({ locked_until: sql`now() - interval '1 second'` })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
}

async function securityActions(): Promise<string[]> {
  const rows = await s.db
    .selectFrom('audit_events')
    .select(['action', 'data'])
    .where('stream', '=', 'security')
    .where('action', 'like', 'login.%')
    .orderBy('seq')
    .execute();
  return rows.map((r) => `${r.action}:${String(r.data.email ?? r.data.key)}`);
}

describe('per account', () => {
  it('after 5 failures the right password is refused with 429 and Retry-After, and the wait doubles', async () => {
    for (let i = 1; i <= 5; i++) {
      const r = await signIn(s.url, REVIEWER, `wrong-${i}`);
      expect(r.status, `attempt ${i}`).toBe(401);
    }
    expect(await throttleRow('account', REVIEWER)).toEqual({ failures: 5, waitSeconds: 30 });

    const refused = await signIn(s.url, REVIEWER, DEMO_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.data).toMatchObject({ code: 'TOO_MANY_REQUESTS', appCode: 'RATE_LIMITED' });
    expect(refused.body.error?.message).toBe('Too many failed sign-ins for this account. Try again in 30 seconds.');
    // The wait is counted on the database's clock; the answer is within the 30 s just imposed.
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    const sessions = await s.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('token_hash')
      .where('users.email', '=', REVIEWER)
      .execute();
    expect(sessions).toEqual([]);
    // A refused attempt is not a failure: nothing was checked.
    expect(await throttleRow('account', REVIEWER)).toEqual({ failures: 5, waitSeconds: 30 });

    // Once the wait is over, another failure waits twice as long...
    await endWait('account', REVIEWER);
    expect((await signIn(s.url, REVIEWER, 'wrong-6')).status).toBe(401);
    expect(await throttleRow('account', REVIEWER)).toEqual({ failures: 6, waitSeconds: 60 });
    expect((await signIn(s.url, REVIEWER, DEMO_PASSWORD)).status).toBe(429);

    // ...and after it, the right password works and the account starts afresh.
    await endWait('account', REVIEWER);
    const ok = await signIn(s.url, REVIEWER, DEMO_PASSWORD);
    expect(ok.status).toBe(200);
    expect(await throttleRow('account', REVIEWER)).toBeUndefined();

    expect(await securityActions()).toEqual([
      `login.failed:${REVIEWER}`,
      `login.failed:${REVIEWER}`,
      `login.failed:${REVIEWER}`,
      `login.failed:${REVIEWER}`,
      `login.failed:${REVIEWER}`,
      `login.throttled:${REVIEWER}`,
      `login.failed:${REVIEWER}`,
      `login.throttled:${REVIEWER}`,
      `login.succeeded:${REVIEWER}`,
    ]);
    const throttled = await s.db
      .selectFrom('audit_events')
      .select(['actor_type', 'actor_id', 'data'])
      .where('stream', '=', 'security')
      .where('action', '=', 'login.throttled')
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    expect(throttled).toMatchObject({
      actor_type: 'system',
      actor_id: 'login',
      data: { scope: 'account', key: REVIEWER, failures: 5 },
    });
  });

  it('a burst of concurrent guesses gets exactly as many tries as the threshold', async () => {
    const email = 'reviewer2@demo.signoff';
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => signIn(proxied.url, email, `burst-${i}`, '198.51.100.77')),
    );
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    expect(await throttleRow('account', email)).toEqual({ failures: 5, waitSeconds: 30 });
  });

  it('throttles an email nobody has exactly like an existing account', async () => {
    const ghost = 'nobody@demo.signoff';
    for (let i = 1; i <= 5; i++) expect((await signIn(s.url, ghost, `guess-${i}`)).status).toBe(401);
    expect(await throttleRow('account', ghost)).toEqual({ failures: 5, waitSeconds: 30 });
    const refused = await signIn(s.url, ghost, 'guess-6');
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toBe('Too many failed sign-ins for this account. Try again in 30 seconds.');
  });
});

describe('per client address', () => {
  it('after 20 failures from one address, even a right password from it waits; other addresses do not', async () => {
    const attacker = '203.0.113.7';
    // One guess at each of 20 accounts: no account reaches its own threshold.
    for (let i = 1; i <= 20; i++)
      expect((await signIn(proxied.url, `user${i}@spray.test`, 'Winter2024!', attacker)).status).toBe(401);
    expect(await throttleRow('address', attacker)).toEqual({ failures: 20, waitSeconds: 30 });
    expect(await throttleRow('account', 'user1@spray.test')).toEqual({ failures: 1, waitSeconds: null });

    const refused = await signIn(proxied.url, COMPLIANCE, DEMO_PASSWORD, attacker);
    expect(refused.status).toBe(429);
    expect(refused.body.error?.message).toBe('Too many failed sign-ins from your network. Try again in 30 seconds.');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // The proxy's rightmost entry is the client; what the client wrote to the left of it is not believed.
    const colleague = await signIn(proxied.url, COMPLIANCE, DEMO_PASSWORD, `${attacker}, 198.51.100.20`);
    expect(colleague.status).toBe(200);
    const throttledAddress = await s.db
      .selectFrom('audit_events')
      .select('data')
      .where('stream', '=', 'security')
      .where('action', '=', 'login.throttled')
      .where(sql<boolean>`data->>'scope' = 'address'`)
      .executeTakeFirstOrThrow();
    expect(throttledAddress.data).toMatchObject({ scope: 'address', key: attacker, failures: 20 });
  });

  it('ignores X-Forwarded-For unless SIGNOFF_TRUST_PROXY says a proxy is in front', async () => {
    const before = (await throttleRow('address', '127.0.0.1'))?.failures ?? 0;
    expect((await signIn(s.url, DATA, 'wrong', '192.0.2.99')).status).toBe(401);
    expect(await throttleRow('address', '192.0.2.99')).toBeUndefined();
    expect((await throttleRow('address', '127.0.0.1'))?.failures).toBe(before + 1);
  });
});
