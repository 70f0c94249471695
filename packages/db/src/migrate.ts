import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration';

/** The repository's `db/migrations` folder: numbered SQL files, applied in name order, forward only. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../db/migrations', import.meta.url));

/** Reads `NNNN_name.sql` files; each runs in the migrator's transaction. */
export class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(`${this.dir}/${file}`, 'utf8');
      // Migrations take Kysely<any> so they never depend on today's types.
      migrations[file.replace(/\.sql$/, '')] = {
        // biome-ignore lint/suspicious/noExplicitAny: see above.
        up: async (db: Kysely<any>) => void (await sql.raw(text).execute(db)),
      };
    }
    return migrations;
  }
}

/**
 * Applies every pending migration under an advisory lock (safe when many processes start at once).
 * Returns kysely's `{ error, results }`; the caller decides what a failure means.
 *
 * @example
 * const { error, results } = await migrateToLatest(db);
 * if (error) process.exit(1);
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are independent of the current types.
export function migrateToLatest(db: Kysely<any>, dir?: string): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: new SqlFileMigrationProvider(dir),
    migrationTableName: 'signoff_migrations',
    migrationLockTableName: 'signoff_migrations_lock',
  });
  return migrator.migrateToLatest();
}
