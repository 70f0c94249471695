// The `signoff` command line against a database of its own: migrate, and audit verify's exit codes.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appendAudit, SYSTEM } from '@signoff/governance';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const root = join(import.meta.dirname, '..', '..');
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

async function signoff(args: string[], databaseUrl: string): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

it('migrate applies every migration to an empty database, then finds nothing to do', async () => {
  const name = `signoff_cli_${Date.now()}`;
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(inject('adminUrl'));
    url.pathname = `/${name}`;
    const first = await signoff(['migrate'], url.toString());
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toContain('0001_initial: Success');
    const second = await signoff(['migrate'], url.toString());
    expect(second.out).toContain('already up to date');
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});

it('audit verify exits 0 on an intact chain and 1 on a tampered one', async () => {
  for (let i = 0; i < 3; i++)
    await t.db.transaction().execute((trx) => appendAudit(trx, { actor: SYSTEM, action: 'cli.test', data: { i } }));
  const ok = await signoff(['audit', 'verify', 'config'], t.url);
  expect(ok.code).toBe(0);
  expect(ok.out).toContain('3 events, chain intact');
  await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`.execute(t.db);
  await sql`UPDATE audit_events SET action = 'cli.forged' WHERE stream = 'config' AND seq = 2`.execute(t.db);
  await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`.execute(t.db);
  const broken = await signoff(['audit', 'verify', 'config'], t.url);
  expect(broken.code).toBe(1);
  expect(broken.out).toContain('chain broken at event 2');
});

it('export refuses an unknown format with a clear message', async () => {
  const r = await signoff(['export', '--format', 'xml', '--out', '/tmp/x'], t.url);
  expect(r.code).toBe(1);
  expect(r.out).toContain('--format must be "jsonl"');
});
