import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { AppError, type Role } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely, Transaction } from 'kysely';
import { type Actor, appendAudit } from './audit';
import {
  forgiveLoginAttempt,
  LOGIN_THROTTLE,
  type LoginThrottlePolicy,
  pruneLoginThrottles,
  reserveLoginAttempt,
  type ThrottleKey,
} from './login-throttle';

/** Sessions last a working day; a reviewer signs in again the next morning. */
const SESSION_HOURS = 12;

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Argon2id (via @node-rs/argon2) with its recommended defaults. */
export function hashPassword(password: string): Promise<string> {
  return argonHash(password);
}

/** Checks a password against an Argon2 hash; a malformed hash is a mismatch. */
export function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return argonVerify(passwordHash, password).catch(() => false);
}

/**
 * An Argon2id hash of a random password nobody knows, made with the same parameters as
 * `hashPassword`: unknown and disabled accounts are verified against it, so a sign-in costs the
 * same whether the account exists or not (test/regression/login-reveals-unknown-accounts.test.ts checks the parameters are equal).
 */
export const DUMMY_PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$SZAeXPtZxwSlrmvPM6KEIg$3kWM36CBC1hcRyIOqYP775LTUbqvfIJWjZUficDp+Rc';

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface LoginOptions {
  /** The caller's address (see the server's `SIGNOFF_TRUST_PROXY`); without one, only the account is throttled. */
  clientAddress?: string | null;
  throttle?: LoginThrottlePolicy;
  /** The password check; tests wrap the real one to count calls. */
  verifyPassword?: (passwordHash: string, password: string) => Promise<boolean>;
}

export interface OpenedSession {
  token: string;
  user: SessionUser;
  expiresAt: Date;
  /** How long the session lasts from now (a cookie's Max-Age). */
  lifetimeSeconds: number;
}

const LOGIN_ACTOR: Actor = { type: 'system', id: 'login' };

/**
 * Checks an email and password and opens a session. The error never says which of the two was
 * wrong, and the work is the same either way: unknown and disabled accounts are verified against
 * `DUMMY_PASSWORD_HASH`. Failures back off per account and per client address
 * (`reserveLoginAttempt`); an attempt while either must wait is refused with `RATE_LIMITED` and
 * `retryAfterSeconds`, without checking the password. Failures, waits imposed and successes are
 * audited on the `security` stream.
 *
 * It takes the database rather than a transaction: the password check runs between two short
 * transactions (no row lock is held while Argon2 works), and a failure must be committed before
 * the error is thrown.
 *
 * @example
 * const { token, user } = await login(db, 'reviewer@demo.signoff', 'signoff-demo', { clientAddress: '10.0.0.7' });
 */
export async function login(
  db: Kysely<DB>,
  email: string,
  password: string,
  options: LoginOptions = {},
): Promise<OpenedSession> {
  const policy = options.throttle ?? LOGIN_THROTTLE;
  const verify = options.verifyPassword ?? verifyPassword;
  const account = normaliseEmail(email);
  const clientAddress = options.clientAddress ?? null;
  const keys: ThrottleKey[] = [{ scope: 'account', key: account }];
  if (clientAddress) keys.push({ scope: 'address', key: clientAddress });

  const reservation = await db.transaction().execute((trx) => reserveLoginAttempt(trx, keys, policy));
  if (!reservation.ok)
    throw new AppError(
      'RATE_LIMITED',
      `Too many failed sign-ins${reservation.scope === 'address' ? ' from your network' : ' for this account'}. Try again in ${formatWait(reservation.retryAfterSeconds)}.`,
      { retryAfterSeconds: reservation.retryAfterSeconds },
    );

  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'password_hash', 'disabled_at'])
    .where('email', '=', account)
    .executeTakeFirst();
  const usable = row !== undefined && row.disabled_at === null;
  const passwordOk = await verify(usable ? row.password_hash : DUMMY_PASSWORD_HASH, password);

  if (!usable || !passwordOk) {
    const reason = !row ? 'unknown_account' : row.disabled_at ? 'disabled' : 'wrong_password';
    await db.transaction().execute(async (trx) => {
      await appendAudit(trx, {
        stream: 'security',
        actor: LOGIN_ACTOR,
        action: 'login.failed',
        data: {
          email: account,
          userId: row?.id ?? null,
          reason,
          clientAddress,
          failures: Object.fromEntries(reservation.counted.map((c) => [c.scope, c.failures])),
        },
      });
      for (const c of reservation.counted)
        if (c.lockedUntil)
          await appendAudit(trx, {
            stream: 'security',
            actor: LOGIN_ACTOR,
            action: 'login.throttled',
            data: { scope: c.scope, key: c.key, failures: c.failures, lockedUntil: c.lockedUntil.toISOString() },
          });
    });
    throw new AppError('UNAUTHENTICATED', 'Email or password is incorrect');
  }

  const user: SessionUser = { id: row.id, email: row.email, name: row.name, role: row.role };
  const token = `sess_${randomBytes(32).toString('base64url')}`;
  const lifetimeSeconds = SESSION_HOURS * 3600;
  const expiresAt = new Date(Date.now() + lifetimeSeconds * 1000);
  await db.transaction().execute(async (trx) => {
    await forgiveLoginAttempt(trx, keys, policy);
    await pruneLoginThrottles(trx, policy);
    await trx
      .insertInto('sessions')
      .values({ token_hash: sha256(token), user_id: user.id, expires_at: expiresAt })
      .execute();
    await appendAudit(trx, {
      stream: 'security',
      actor: { type: 'user', id: user.id },
      action: 'login.succeeded',
      data: { userId: user.id, email: user.email, clientAddress },
    });
  });
  return { token, user, expiresAt, lifetimeSeconds };
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** The user behind a session token, or undefined when it is unknown, expired or the user is disabled. */
export async function findSessionUser(db: Kysely<DB>, token: string): Promise<SessionUser | undefined> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.role'])
    .where('sessions.token_hash', '=', sha256(token))
    .where('sessions.expires_at', '>', new Date())
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  return row;
}

/** Ends a session; audited as `logout` on the `security` stream when there was one. */
export async function logout(trx: Transaction<DB>, token: string): Promise<void> {
  const ended = await trx
    .deleteFrom('sessions')
    .where('token_hash', '=', sha256(token))
    .returning('user_id')
    .executeTakeFirst();
  if (ended)
    await appendAudit(trx, {
      stream: 'security',
      actor: { type: 'user', id: ended.user_id },
      action: 'logout',
      data: { userId: ended.user_id },
    });
}
