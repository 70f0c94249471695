import { generateKeyPairSync } from 'node:crypto';
import type { DB } from '@signoff/db';
import { type AuditSigner, appendAudit, auditSignerFromPem, SYSTEM } from '@signoff/governance';
import type { Kysely } from 'kysely';

/** A fresh Ed25519 key as PKCS#8 PEM (what SIGNOFF_AUDIT_SIGNING_KEY holds) and its signer. */
export function testSigningKey(): { pem: string; signer: AuditSigner } {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pem, signer: auditSignerFromPem(pem) };
}

/** Appends `n` events (`test.step`, data `{i, note}`) to an item's chain, one transaction each. */
export async function appendItemEvents(db: Kysely<DB>, itemId: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++)
    await db
      .transaction()
      .execute((trx) =>
        appendAudit(trx, { itemId, actor: SYSTEM, action: 'test.step', data: { i, note: `step ${i}` } }),
      );
}

/**
 * A maker of items with `n` audit events each, on the database's first workflow version (one
 * named `workflow` is registered when there is none).
 *
 * @example
 * const itemWithEvents = await auditedItems(t.db, 'tamper');
 * const itemId = await itemWithEvents(3);
 */
export async function auditedItems(db: Kysely<DB>, workflow: string): Promise<(n: number) => Promise<string>> {
  const version =
    (await db.selectFrom('workflow_versions').select(['id', 'name']).executeTakeFirst()) ??
    (await db
      .insertInto('workflow_versions')
      .values({ name: workflow, version: 1, hash: `${workflow}-v1`, definition: '{}' })
      .returning(['id', 'name'])
      .executeTakeFirstOrThrow());
  return async (n) => {
    const item = await db
      .insertInto('items')
      .values({ workflow_name: version.name, workflow_version_id: version.id, input: '{}', status: 'running' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendItemEvents(db, item.id, n);
    return item.id;
  };
}
