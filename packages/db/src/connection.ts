import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema';

// int8 (bigserial ids, count(*)) as JS numbers: our counts and ids stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
// numeric as number: used for averages and ratios in metrics queries.
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

export interface DbOptions {
  /** Maximum connections in this process's pool. */
  max?: number;
  applicationName?: string;
  /**
   * Work as this role: every connection starts with `SET ROLE` (the startup option `-c role=`),
   * so the pool cannot do more than the role may (docs/security.md, _Database roles_).
   */
  role?: string;
}

/**
 * Opens a pooled connection. Only an app's entry point (or a test's setup) calls this; everything
 * else receives the `Kysely<DB>` or `Transaction<DB>` it works in.
 *
 * @example
 * const db = createDb(process.env.DATABASE_URL!, { max: 10 });
 * await db.selectFrom('items').select('id').limit(1).execute();
 * await db.destroy();
 */
export function createDb(connectionString: string, options: DbOptions = {}): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'signoff',
    ...(options.role ? { options: `-c role=${options.role}` } : {}),
  });
  // A client that loses its connection (database restart, pg_terminate_backend) emits 'error'.
  // For an idle client the pool's listener takes it; a client that is checked out (inside a
  // transaction, between statements) has no listener and would crash the process. Its in-flight
  // query is rejected anyway, and the pool drops the broken client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

export type { Kysely, Transaction } from 'kysely';
export type Db = Kysely<DB>;
