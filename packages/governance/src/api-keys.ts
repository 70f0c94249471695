// Ingestion API keys: only a key's SHA-256 is stored; creating and revoking one is audited on the
// `security` stream (its id, name and prefix, never the key).
import { randomBytes } from 'node:crypto';
import { AppError, isUuid } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Actor, appendAudit } from './audit';
import { sha256 } from './auth';

export interface CreatedApiKey {
  id: string;
  name: string;
  /** The key's first characters, kept to recognise it in lists and logs. */
  prefix: string;
  /** Shown once; only its hash is stored. */
  key: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  createdBy: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

const infoColumns = ['id', 'name', 'prefix', 'created_by', 'created_at', 'revoked_at'] as const;

function toInfo(r: {
  id: string;
  name: string;
  prefix: string;
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
}): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdBy: r.created_by,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

/**
 * Creates an ingestion API key (sent as `Authorization: Bearer <key>`). Audited as
 * `api_key.created`. `secret` chooses the key instead of drawing one: for the demo's fixed key only.
 *
 * @example
 * const { key } = await db.transaction().execute((trx) => createApiKey(trx, { name: 'helpdesk webhook' }, actor));
 */
export async function createApiKey(
  trx: Transaction<DB>,
  input: { name: string; secret?: string },
  actor: Actor,
): Promise<CreatedApiKey> {
  const key = input.secret ?? `sk_signoff_${randomBytes(24).toString('base64url')}`;
  const row = await trx
    .insertInto('api_keys')
    .values({
      name: input.name,
      prefix: key.slice(0, 14),
      key_hash: sha256(key),
      created_by: actor.type === 'user' ? actor.id : null,
    })
    .returning(['id', 'name', 'prefix'])
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'api_key.created',
    data: { keyId: row.id, name: row.name, prefix: row.prefix },
  });
  return { ...row, key };
}

/**
 * Revokes a key: it stops working at once. An unknown id is a `NOT_FOUND`; `changed` is false
 * (and nothing is recorded) for a key already revoked. Audited as `api_key.revoked`.
 */
export async function revokeApiKey(
  trx: Transaction<DB>,
  keyId: string,
  actor: Actor,
): Promise<{ key: ApiKeyInfo; changed: boolean }> {
  const before = isUuid(keyId)
    ? await trx.selectFrom('api_keys').select(infoColumns).where('id', '=', keyId).forUpdate().executeTakeFirst()
    : undefined;
  if (!before) throw new AppError('NOT_FOUND', `No API key with id ${keyId}`);
  if (before.revoked_at) return { key: toInfo(before), changed: false };
  const after = await trx
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', keyId)
    .returning(infoColumns)
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'api_key.revoked',
    data: { keyId, name: before.name, prefix: before.prefix },
  });
  return { key: toInfo(after), changed: true };
}

/** Every key (never the key itself), newest first. */
export async function listApiKeys(db: Kysely<DB>): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').select(infoColumns).orderBy('created_at', 'desc').execute();
  return rows.map(toInfo);
}

/** The active key with this secret, or undefined (unknown or revoked). */
export async function findApiKey(db: Kysely<DB>, key: string): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name'])
    .where('key_hash', '=', sha256(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}
