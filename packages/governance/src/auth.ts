import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { AppError, type Role } from '@signoff/core';
import type { DB } from '@signoff/db';
import type { Kysely } from 'kysely';

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

/**
 * Checks an email and password and opens a session. The error never says which of the two was wrong.
 *
 * @example
 * const { token, user } = await login(db, 'reviewer@demo.signoff', 'signoff-demo');
 */
export async function login(
  db: Kysely<DB>,
  email: string,
  password: string,
): Promise<{ token: string; user: SessionUser }> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'password_hash', 'disabled_at'])
    .where('email', '=', email.trim().toLowerCase())
    .executeTakeFirst();
  const ok = row && !row.disabled_at && (await argonVerify(row.password_hash, password).catch(() => false));
  if (!row || !ok) throw new AppError('UNAUTHENTICATED', 'Email or password is incorrect');
  const token = `sess_${randomBytes(32).toString('base64url')}`;
  await db
    .insertInto('sessions')
    .values({ token_hash: sha256(token), user_id: row.id, expires_at: new Date(Date.now() + SESSION_HOURS * 3600_000) })
    .execute();
  return { token, user: { id: row.id, email: row.email, name: row.name, role: row.role } };
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

export async function logout(db: Kysely<DB>, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}

export interface CreatedApiKey {
  id: string;
  name: string;
  /** Shown once; only its hash is stored. */
  key: string;
}

/**
 * Creates an ingestion API key (sent as `Authorization: Bearer <key>`).
 *
 * @example
 * const { key } = await createApiKey(db, 'helpdesk webhook');
 */
export async function createApiKey(
  db: Kysely<DB>,
  name: string,
  createdBy: string | null = null,
  key?: string,
): Promise<CreatedApiKey> {
  const secret = key ?? `sk_signoff_${randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({ name, prefix: secret.slice(0, 14), key_hash: sha256(secret), created_by: createdBy })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  return { ...row, key: secret };
}

export async function findApiKey(db: Kysely<DB>, key: string): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name'])
    .where('key_hash', '=', sha256(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  password: string;
}

/** Creates a user, or updates the name, role and password of an existing one with that email. */
export async function upsertUser(db: Kysely<DB>, u: NewUser): Promise<SessionUser> {
  const password_hash = await hashPassword(u.password);
  return db
    .insertInto('users')
    .values({ email: u.email.toLowerCase(), name: u.name, role: u.role, password_hash })
    .onConflict((oc) => oc.column('email').doUpdateSet({ name: u.name, role: u.role, password_hash }))
    .returning(['id', 'email', 'name', 'role'])
    .executeTakeFirstOrThrow();
}
