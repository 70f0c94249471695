// Provides every test file a PostgreSQL server and a migrated template database to clone.
// DATABASE_URL set: that server (the database in the URL is only used to connect).
// Unset: an embedded PostgreSQL under .signoff/test-pg, removed afterwards.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, MIGRATIONS_DIR, migrateToLatest, startEmbeddedPostgres } from '@signoff/db';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of a maintenance database on the test server. */
    adminUrl: string;
    /** Name of the migrated template database each test database is cloned from. */
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const dir = join(process.cwd(), '.signoff', `test-pg-${process.pid}`);
    const handle = await startEmbeddedPostgres({ dataDir: dir, database: 'postgres', ephemeral: true, port: 0 });
    adminUrl = handle.url;
    stop = handle.stop;
  }
  // The template's name carries the migrations' hash: a changed migration gets a fresh template.
  const hash = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) hash.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  const templateDatabase = `signoff_tpl_${hash.digest('hex').slice(0, 12)}`;
  await withAdmin(adminUrl, async (c) => {
    // Serialise template creation across concurrent test runs on one server.
    await c.query('SELECT pg_advisory_lock(727001)');
    try {
      const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateDatabase]);
      if (!rowCount) {
        const building = `${templateDatabase}_build_${process.pid}`;
        await c.query(`DROP DATABASE IF EXISTS ${building}`);
        await c.query(`CREATE DATABASE ${building}`);
        const url = withDatabase(adminUrl as string, building);
        const db = createDb(url, { max: 2 });
        const { error } = await migrateToLatest(db);
        await db.destroy();
        if (error) throw error;
        const boss = new PgBoss({ connectionString: url, max: 2 });
        await boss.start();
        await boss.stop({ graceful: false, close: true });
        await c.query(`ALTER DATABASE ${building} RENAME TO ${templateDatabase}`);
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock(727001)');
    }
  });
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  return async () => {
    await stop?.();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
