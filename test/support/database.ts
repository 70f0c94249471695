import { randomBytes } from 'node:crypto';
import { createDb, type DB } from '@signoff/db';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestDatabase {
  /** Connection string of this test's own database. */
  url: string;
  db: Kysely<DB>;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own (cloned from the template built in global setup), so test
 * files run in parallel and never see each other's rows.
 *
 * @example
 * let t: TestDatabase;
 * beforeAll(async () => { t = await createTestDatabase(); });
 * afterAll(() => t.drop());
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const template = inject('templateDatabase');
  const name = `signoff_test_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = createDb(url, { max: 8, applicationName: 'signoff-test' });
  return {
    url,
    db,
    async drop() {
      await db.destroy();
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(url: string, statement: string): Promise<void> {
  // Cloning a template fails while anything else holds it open; a concurrent clone is brief, so retry.
  for (let attempt = 0; ; attempt++) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(statement);
      return;
    } catch (e) {
      if (attempt < 20 && /being accessed by other users/.test(String(e))) {
        await new Promise((r) => setTimeout(r, 100 + attempt * 50));
        continue;
      }
      throw e;
    } finally {
      await c.end();
    }
  }
}

/** How many rows `table` holds. */
export async function countRows(db: Kysely<DB>, table: keyof DB & string): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/** How many review tasks wait for someone to claim them, in every queue or in `queues`. */
export async function countPendingTasks(db: Kysely<DB>, queues?: readonly string[]): Promise<number> {
  const r = await db
    .selectFrom('review_tasks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .$if(queues !== undefined, (q) => q.where('queue', 'in', queues as string[]))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
