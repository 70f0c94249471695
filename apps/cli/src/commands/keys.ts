// `signoff keys create|revoke|list`: ingestion API keys without the demo, audited as the CLI.
import { API_KEY_SCOPES, AppError, createApiKeyInput } from '@signoff/core';
import { type ApiKeyInfo, createApiKey, listApiKeys, revokeApiKey } from '@signoff/governance';
import type { Command } from 'commander';
import { reportingErrors } from '../exit-codes';
import { withDatabase } from '../open-database';
import { CLI_ACTOR, jsonLines, table } from './admin-common';
import { repeatable } from './users';

/**
 * Adds `signoff keys ...` to the program. `create` prints the key alone on stdout (notes go to
 * stderr), so `KEY=$(signoff keys create helpdesk)` captures it; it is never shown again. Exit
 * codes: 0 done, 2 unusable input, 4 unknown key id.
 *
 * @example
 * registerKeysCommand(program);
 * // $ signoff keys create helpdesk --scope items:submit
 * // $ signoff keys revoke 3f0c9a1e-...
 */
export function registerKeysCommand(program: Command): Command {
  const keys = program.command('keys').description('Ingestion API keys: create, revoke, list');

  keys
    .command('create')
    .description('Create an API key and print it (once: only its hash is kept)')
    .argument('<name>', 'what the key is for, e.g. "helpdesk webhook"')
    .option(
      '--scope <scope>',
      `what the key may do: ${API_KEY_SCOPES.join(' or ')} (repeat for both; default both)`,
      repeatable,
    )
    .action((name: string, opts: { scope?: string[] }) =>
      reportingErrors(async () => {
        const parsed = createApiKeyInput.safeParse({ name, ...(opts.scope ? { scopes: opts.scope } : {}) });
        if (!parsed.success) throw new AppError('BAD_INPUT', parsed.error.issues[0]?.message ?? 'Unusable name');
        const created = await withDatabase((db) =>
          db
            .transaction()
            .execute((trx) => createApiKey(trx, { name: parsed.data.name, scopes: parsed.data.scopes }, CLI_ACTOR)),
        );
        console.error(
          `[signoff] created API key "${created.name}" (${created.scopes.join(', ')}), id ${created.id}. Store it now: it is shown only this once.`,
        );
        console.log(created.key);
      }),
    );

  keys
    .command('revoke')
    .description('Revoke an API key: it stops working at once')
    .argument('<key-id>', 'the id `signoff keys list` shows')
    .action((keyId: string) =>
      reportingErrors(async () => {
        const r = await withDatabase((db) => db.transaction().execute((trx) => revokeApiKey(trx, keyId, CLI_ACTOR)));
        const state = r.changed ? 'is now revoked' : 'was already revoked';
        console.log(`[signoff] API key "${r.key.name}" (${r.key.prefix}…) ${state}`);
      }),
    );

  keys
    .command('list')
    .description('List API keys (their prefixes; a key itself is never shown again)')
    .option('--json', 'one JSON object per line')
    .action((opts: { json?: boolean }) =>
      reportingErrors(async () => {
        const all = await withDatabase(listApiKeys);
        console.log(opts.json ? jsonLines(all) : formatKeys(all));
      }),
    );
  return keys;
}

function formatKeys(keys: ApiKeyInfo[]): string {
  if (keys.length === 0) return 'no API keys (create one with `signoff keys create NAME`)';
  return table([
    ['id', 'name', 'prefix', 'scopes', 'created', 'status'],
    ...keys.map((k) => [
      k.id,
      k.name,
      `${k.prefix}…`,
      k.scopes.join(','),
      k.createdAt.toISOString(),
      k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active',
    ]),
  ]);
}
