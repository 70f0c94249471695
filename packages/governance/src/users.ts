// Console users: created, changed, disabled and enabled, each change audited on the `security`
// stream with who made it and what changed (never a password or its hash).
import { AppError, isUuid, type Role } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Actor, appendAudit, SYSTEM } from './audit';
import { hashPassword, normaliseEmail, type SessionUser, verifyPassword } from './auth';

export interface UserAccount extends SessionUser {
  createdAt: Date;
  disabledAt: Date | null;
}

export interface NewUser {
  email: string;
  name: string;
  role: Role;
  password: string;
}

export interface UserChanges {
  name?: string | undefined;
  role?: Role | undefined;
  password?: string | undefined;
}

const accountColumns = ['id', 'email', 'name', 'role', 'created_at', 'disabled_at'] as const;

function toAccount(r: {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
  disabled_at: Date | null;
}): UserAccount {
  return { id: r.id, email: r.email, name: r.name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at };
}

// Changes that could leave no active admin are serialised, so two admins cannot demote each other at once.
async function lockUserAdministration(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended('signoff:user-administration', 727))`.execute(trx);
}

async function ensureAnotherActiveAdmin(trx: Transaction<DB>, userId: string): Promise<void> {
  const others = await trx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('id', '!=', userId)
    .limit(1)
    .execute();
  if (others.length === 0)
    throw new AppError('CONFLICT', 'This is the last active admin: make another user admin first');
}

async function lockUser(trx: Transaction<DB>, userId: string) {
  const row = isUuid(userId)
    ? await trx.selectFrom('users').select(accountColumns).where('id', '=', userId).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) throw new AppError('NOT_FOUND', `No user with id ${userId}`);
  return row;
}

/**
 * Creates a user; a taken email is a `CONFLICT`. Audited as `user.created`.
 *
 * @example
 * await db.transaction().execute((trx) =>
 *   createUser(trx, { email: 'kim@bank.example', name: 'Kim', role: 'reviewer', password }, actor));
 */
export async function createUser(trx: Transaction<DB>, input: NewUser, actor: Actor): Promise<UserAccount> {
  const email = normaliseEmail(input.email);
  const password_hash = await hashPassword(input.password);
  const row = await trx
    .insertInto('users')
    .values({ email, name: input.name, role: input.role, password_hash })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(accountColumns)
    .executeTakeFirst();
  if (!row) throw new AppError('CONFLICT', `A user with email ${email} already exists`);
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'user.created',
    data: { userId: row.id, email, name: row.name, role: row.role },
  });
  return toAccount(row);
}

/**
 * Changes a user's name, role or password. A new password ends the user's sessions; demoting the
 * last active admin is a `CONFLICT`. Audited as `user.updated` with each changed field's old and
 * new value (for the password, only that it changed); a call that changes nothing records nothing.
 */
export async function updateUser(
  trx: Transaction<DB>,
  userId: string,
  changes: UserChanges,
  actor: Actor,
): Promise<UserAccount> {
  await lockUserAdministration(trx);
  const before = await lockUser(trx, userId);
  const diff: Record<string, { from: string; to: string }> = {};
  if (changes.name !== undefined && changes.name !== before.name) diff.name = { from: before.name, to: changes.name };
  if (changes.role !== undefined && changes.role !== before.role) diff.role = { from: before.role, to: changes.role };
  if (diff.role && before.role === 'admin' && before.disabled_at === null) await ensureAnotherActiveAdmin(trx, userId);
  const password_hash = changes.password === undefined ? undefined : await hashPassword(changes.password);
  if (!diff.name && !diff.role && password_hash === undefined) return toAccount(before);
  const after = await trx
    .updateTable('users')
    .set({
      ...(diff.name ? { name: diff.name.to } : {}),
      ...(diff.role ? { role: diff.role.to as Role } : {}),
      ...(password_hash ? { password_hash } : {}),
    })
    .where('id', '=', userId)
    .returning(accountColumns)
    .executeTakeFirstOrThrow();
  const sessionsEnded = password_hash ? await endSessions(trx, userId) : 0;
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'user.updated',
    data: {
      userId,
      email: before.email,
      changes: diff,
      passwordChanged: password_hash !== undefined,
      sessionsEnded,
    },
  });
  return toAccount(after);
}

/**
 * Disables (or enables again) a user. A disabled user cannot sign in, and their sessions end at
 * once; disabling the last active admin is a `CONFLICT`. Audited as `user.disabled` /
 * `user.enabled`; `changed` is false (and nothing is recorded) when the user already was so.
 */
export async function setUserDisabled(
  trx: Transaction<DB>,
  userId: string,
  disabled: boolean,
  actor: Actor,
): Promise<{ user: UserAccount; changed: boolean }> {
  await lockUserAdministration(trx);
  const before = await lockUser(trx, userId);
  if ((before.disabled_at !== null) === disabled) return { user: toAccount(before), changed: false };
  if (disabled && before.role === 'admin') await ensureAnotherActiveAdmin(trx, userId);
  const after = await trx
    .updateTable('users')
    .set({ disabled_at: disabled ? sql<Date>`now()` : null })
    .where('id', '=', userId)
    .returning(accountColumns)
    .executeTakeFirstOrThrow();
  const sessionsEnded = disabled ? await endSessions(trx, userId) : 0;
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: disabled ? 'user.disabled' : 'user.enabled',
    data: { userId, email: before.email, ...(disabled ? { sessionsEnded } : {}) },
  });
  return { user: toAccount(after), changed: true };
}

async function endSessions(trx: Transaction<DB>, userId: string): Promise<number> {
  const r = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export interface UserListing extends UserAccount {
  /** The queues the user is a member of, by name (admins reach every queue without membership). */
  queues: string[];
}

/** Every user with their queues, by email. */
export async function listUsers(db: Kysely<DB>): Promise<UserListing[]> {
  const rows = await db
    .selectFrom('users')
    .select(accountColumns)
    .select(
      sql<
        string[]
      >`coalesce((SELECT array_agg(m.queue ORDER BY m.queue) FROM queue_members m WHERE m.user_id = users.id), '{}')`.as(
        'queues',
      ),
    )
    .orderBy('email')
    .execute();
  return rows.map((r) => ({ ...toAccount(r), queues: r.queues }));
}

/** A user by id or by email (as typed on a command line), or undefined. */
export async function findUser(db: Kysely<DB>, idOrEmail: string): Promise<UserAccount | undefined> {
  const q = db.selectFrom('users').select(accountColumns);
  const row = isUuid(idOrEmail)
    ? await q.where('id', '=', idOrEmail).executeTakeFirst()
    : await q.where('email', '=', normaliseEmail(idOrEmail)).executeTakeFirst();
  return row ? toAccount(row) : undefined;
}

/** Like `findUser`, but an unknown user is a `NOT_FOUND`. */
export async function getUser(db: Kysely<DB>, idOrEmail: string): Promise<UserAccount> {
  const user = await findUser(db, idOrEmail);
  if (!user) throw new AppError('NOT_FOUND', `No user ${idOrEmail}`);
  return user;
}

/**
 * Creates the user, or brings an existing one with that email to this name, role and password:
 * for the demo seed and test fixtures, which run it on every start. It goes through `createUser`
 * and `updateUser`, so it is audited, and an unchanged user (the password still verifies) records
 * nothing.
 *
 * @example
 * const reviewer = await upsertUser(db, { email: 'r@test', name: 'R', role: 'reviewer', password: 'x' });
 */
export async function upsertUser(db: Kysely<DB>, u: NewUser, actor: Actor = SYSTEM): Promise<SessionUser> {
  const email = normaliseEmail(u.email);
  const existing = await db
    .selectFrom('users')
    .select(['id', 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst();
  const account = await db.transaction().execute(async (trx) => {
    if (!existing) return createUser(trx, { ...u, email }, actor);
    const samePassword = await verifyPassword(existing.password_hash, u.password);
    return updateUser(
      trx,
      existing.id,
      { name: u.name, role: u.role, ...(samePassword ? {} : { password: u.password }) },
      actor,
    );
  });
  return { id: account.id, email: account.email, name: account.name, role: account.role };
}
