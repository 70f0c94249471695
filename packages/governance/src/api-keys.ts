// Ingestion API keys: only a key's SHA-256 is stored; creating and revoking one is audited on the
// `security` stream (its id, name, prefix and scopes, never the key). A key's scopes say what it may
// do: `items:submit` (POST /api/v1/items), `events:send` (POST /api/v1/events).
import { randomBytes } from 'node:crypto';
import { API_KEY_SCOPES, type ApiKeyScope, AppError, isUuid } from '@signoff/core';
import type { DB } from '@signoff/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Actor, appendAudit } from './audit';
import { sha256 } from './auth';

export interface CreatedApiKey {
  id: string;
  name: string;
  /** The key's first characters, kept to recognise it in lists and logs. */
  prefix: string;
  scopes: ApiKeyScope[];
  /** Shown once; only its hash is stored. */
  key: string;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdBy: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

const infoColumns = ['id', 'name', 'prefix', 'scopes', 'created_by', 'created_at', 'revoked_at'] as const;

/** The scopes in their canonical order, unknown ones (none can be stored through this module) dropped. */
function canonicalScopes(scopes: readonly string[]): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((s) => scopes.includes(s));
}

function toInfo(r: {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_by: string | null;
  created_at: Date;
  revoked_at: Date | null;
}): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: canonicalScopes(r.scopes),
    createdBy: r.created_by,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}

/**
 * Creates an ingestion API key (sent as `Authorization: Bearer <key>`) allowed `scopes` (default:
 * all). Audited as `api_key.created` with its scopes. `secret` chooses the key instead of drawing
 * one: for the demo's fixed key only.
 *
 * @example
 * const { key } = await db.transaction().execute((trx) =>
 *   createApiKey(trx, { name: 'helpdesk webhook', scopes: ['items:submit'] }, actor));
 */
export async function createApiKey(
  trx: Transaction<DB>,
  input: { name: string; scopes?: readonly ApiKeyScope[] | undefined; secret?: string },
  actor: Actor,
): Promise<CreatedApiKey> {
  const unknown = (input.scopes ?? []).filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length)
    throw new AppError('BAD_INPUT', `Unknown scope ${unknown.join(', ')}: choose from ${API_KEY_SCOPES.join(', ')}`, {
      issues: [{ path: 'scopes', message: `Unknown scope: choose from ${API_KEY_SCOPES.join(', ')}` }],
    });
  const scopes = canonicalScopes(input.scopes ?? API_KEY_SCOPES);
  if (scopes.length === 0)
    throw new AppError('BAD_INPUT', 'Give the key at least one scope', {
      issues: [{ path: 'scopes', message: 'Give the key at least one scope' }],
    });
  const key = input.secret ?? `sk_signoff_${randomBytes(24).toString('base64url')}`;
  const row = await trx
    .insertInto('api_keys')
    .values({
      name: input.name,
      prefix: key.slice(0, 14),
      key_hash: sha256(key),
      scopes: sql<string[]>`${JSON.stringify(scopes)}::jsonb`,
      created_by: actor.type === 'user' ? actor.id : null,
    })
    .returning(['id', 'name', 'prefix'])
    .executeTakeFirstOrThrow();
  await appendAudit(trx, {
    stream: 'security',
    actor,
    action: 'api_key.created',
    data: { keyId: row.id, name: row.name, prefix: row.prefix, scopes },
  });
  return { ...row, scopes, key };
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
    data: { keyId, name: before.name, prefix: before.prefix, scopes: canonicalScopes(before.scopes) },
  });
  return { key: toInfo(after), changed: true };
}

/** Every key (never the key itself), newest first. */
export async function listApiKeys(db: Kysely<DB>): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').select(infoColumns).orderBy('created_at', 'desc').execute();
  return rows.map(toInfo);
}

/** The active key with this secret and what it may do, or undefined (unknown or revoked). */
export async function findApiKey(
  db: Kysely<DB>,
  key: string,
): Promise<{ id: string; name: string; scopes: ApiKeyScope[] } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes'])
    .where('key_hash', '=', sha256(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { id: row.id, name: row.name, scopes: canonicalScopes(row.scopes) } : undefined;
}
