import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { createDb, type DB, startEmbeddedPostgres } from '@signoff/db';
import { activateConfiguredPiiPatterns } from '@signoff/governance';
import { readEnv } from '@signoff/server';
import type { Kysely } from 'kysely';

/**
 * A database connection for one-shot commands: DATABASE_URL, else the embedded cluster in the data
 * dir. `close` ends the connection and stops the embedded cluster if this opened it.
 *
 * @example
 * const { db, close } = await openDatabase();
 * try { await verifyAuditStream(db, 'config'); } finally { await close(); }
 */
export async function openDatabase() {
  const env = readEnv();
  let url = env.DATABASE_URL;
  let stop: () => Promise<void> = async () => {};
  if (!url) {
    const pg = await startEmbeddedPostgres({ dataDir: resolve(env.SIGNOFF_DATA_DIR, 'pg'), database: 'signoff' });
    url = pg.url;
    stop = pg.stop;
  }
  const db = createDb(url, { max: 4, applicationName: 'signoff-cli' });
  // Whatever a command prints or writes is masked with the configured PII patterns (docs/pii.md):
  // the deployment's and those stored with every workflow version. A bad one stops the command.
  try {
    await activateConfiguredPiiPatterns(db);
  } catch (e) {
    await db.destroy();
    await stop();
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await db.destroy();
      await stop();
      for (const signal of SIGNALS) process.off(signal, interrupted);
    })());
  // The embedded server runs in a session of its own (Ctrl+C does not reach it): a command
  // interrupted while it holds the database closes it before exiting, with the signal's exit code.
  const interrupted = (signal: NodeJS.Signals) => {
    void close().finally(() => process.exit(128 + (osConstants.signals[signal] ?? 0)));
  };
  for (const signal of SIGNALS) process.on(signal, interrupted);
  return { db, close, url };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `body` with a database from `openDatabase`, closing it however `body` ends.
 *
 * @example
 * const users = await withDatabase((db) => listUsers(db));
 */
export async function withDatabase<T>(body: (db: Kysely<DB>) => Promise<T>): Promise<T> {
  const { db, close } = await openDatabase();
  try {
    return await body(db);
  } finally {
    await close();
  }
}
