// Regression: an unknown email was answered in ~10 ms and a known one in 60-100 ms (no password
// check without an account), which told an attacker which accounts exist. Now every sign-in that
// is not throttled runs exactly one Argon2 verification, against a fixed dummy hash when there is
// no usable account, and answers with the same error. Asserted by counting verifications through
// the injectable check (the real Argon2 verify, wrapped), not by timing.

import { isAppError } from '@signoff/core';
import { DUMMY_PASSWORD_HASH, login, SYSTEM, setUserDisabled, upsertUser, verifyPassword } from '@signoff/governance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  t = await createTestDatabase();
  await upsertUser(t.db, { email: 'kim@bank.test', name: 'Kim', role: 'reviewer', password: PASSWORD });
  const disabled = await upsertUser(t.db, {
    email: 'gone@bank.test',
    name: 'Gone',
    role: 'reviewer',
    password: PASSWORD,
  });
  await t.db.transaction().execute((trx) => setUserDisabled(trx, disabled.id, true, SYSTEM));
});
afterAll(() => t.drop());

/** Signs in with the real verification, recording which hashes it was run against. */
async function attempt(email: string, password: string) {
  const verified: string[] = [];
  const verify = (hash: string, pw: string) => {
    verified.push(hash);
    return verifyPassword(hash, pw);
  };
  try {
    await login(t.db, email, password, { verifyPassword: verify, clientAddress: null });
    return { outcome: 'signed in', verified };
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { outcome: `${e.code}: ${e.message}`, verified };
  }
}

async function passwordHashOf(email: string): Promise<string> {
  const u = await t.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
  return u.password_hash;
}

it('an unknown email costs one Argon2 verification, against the dummy hash, and the usual error', async () => {
  expect(await attempt('nobody@bank.test', 'anything')).toEqual({
    outcome: 'UNAUTHENTICATED: Email or password is incorrect',
    verified: [DUMMY_PASSWORD_HASH],
  });
});

it('a known email with a wrong password costs one verification, against its own hash, and the same error', async () => {
  expect(await attempt('Kim@Bank.test', 'wrong password')).toEqual({
    outcome: 'UNAUTHENTICATED: Email or password is incorrect',
    verified: [await passwordHashOf('kim@bank.test')],
  });
});

it('a disabled account, even with its right password, is verified against the dummy hash and refused the same way', async () => {
  expect(await attempt('gone@bank.test', PASSWORD)).toEqual({
    outcome: 'UNAUTHENTICATED: Email or password is incorrect',
    verified: [DUMMY_PASSWORD_HASH],
  });
});

it('the right password is one verification and opens a session', async () => {
  expect(await attempt('kim@bank.test', PASSWORD)).toEqual({
    outcome: 'signed in',
    verified: [await passwordHashOf('kim@bank.test')],
  });
});

it('a throttled attempt checks no password at all, for known and unknown emails alike', async () => {
  for (const email of ['kim@bank.test', 'ghost@bank.test']) {
    for (let i = 0; i < 5; i++) expect((await attempt(email, `wrong ${i}`)).verified).toHaveLength(1);
    expect(await attempt(email, email === 'kim@bank.test' ? PASSWORD : 'wrong 5')).toEqual({
      outcome: 'RATE_LIMITED: Too many failed sign-ins for this account. Try again in 30 seconds.',
      verified: [],
    });
  }
});

it('the dummy hash is made with the same Argon2 parameters as real password hashes', async () => {
  const params = (hash: string) => hash.split('$').slice(1, 4).join('$');
  expect(params(DUMMY_PASSWORD_HASH)).toBe('argon2id$v=19$m=19456,t=2,p=1');
  expect(params(await passwordHashOf('kim@bank.test'))).toBe('argon2id$v=19$m=19456,t=2,p=1');
});
