// Exports from the command line are masked like the API's (issue 12). `--include-pii` writes PII
// as stored, for an operator, and is audited on the security stream before anything is written.
import { userInfo } from 'node:os';
import type { DB } from '@signoff/db';
import { appendAudit } from '@signoff/governance';
import type { Kysely } from 'kysely';

export const INCLUDE_PII_FLAG = [
  '--include-pii',
  'write personal data unmasked (audited on the security stream as pii.export_unmasked)',
] as const;

/**
 * Readies an export: an unmasked one is recorded first (who ran it on this machine, what, where to).
 * The configured patterns are already active (`openDatabase`).
 */
export async function prepareExport(
  db: Kysely<DB>,
  includePii: boolean,
  what: { command: string; out: string } & Record<string, unknown>,
): Promise<void> {
  if (!includePii) return;
  let osUser: string | null = null;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = null;
  }
  await db.transaction().execute((trx) =>
    appendAudit(trx, {
      stream: 'security',
      actor: { type: 'system', id: 'cli' },
      action: 'pii.export_unmasked',
      data: { ...what, osUser },
    }),
  );
  console.error(
    '[signoff] --include-pii: this file holds personal data unmasked; the export is recorded in the audit log',
  );
}
