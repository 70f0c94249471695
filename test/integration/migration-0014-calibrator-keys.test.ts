// Migration 0014 keys calibrators by confidence method and prompt version too. Calibrators that
// exist before it take the key of the labels they were fitted on (their agent and model version's
// labels on AI answers up to the calibrator's creation) where those agree, else 'unknown'. The
// database here is migrated by the migrations before 0014, given calibrators and labels, then
// migrated to the latest.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type DB, MIGRATIONS_DIR, migrateToLatest } from '@signoff/db';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { insertLabelHistory } from '../support/labels';

const adminUrl = inject('adminUrl');
const name = `signoff_test_m14_${randomBytes(5).toString('hex')}`;
let db: Kysely<DB>;

async function admin(statement: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  db = createDb(u.toString(), { max: 4 });
  const before = mkdtempSync(join(tmpdir(), 'signoff-migrations-'));
  try {
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f < '0014'))
      copyFileSync(join(MIGRATIONS_DIR, f), join(before, f));
    const { error } = await migrateToLatest(db, before);
    if (error) throw error;
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
});
afterAll(async () => {
  await db?.destroy();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

const points = (n: number) => Array.from({ length: n }, (_, i) => ({ p: 0.9, correct: i % 3 !== 0 }));
const labels: [string, string] = ['yes', 'no'];

/** A calibrator as the schema before 0014 had it; `at`: its creation time (default now). */
async function calibrator(agent: string, at?: string): Promise<string> {
  const created = at ? sql`${at}::timestamptz` : sql`now()`;
  const r = await sql<{ id: string }>`
    INSERT INTO calibrators (agent, model_version, method, params, label_count, metrics, active, created_at)
    VALUES (${agent}, 'v1', 'isotonic', '{"kind":"identity"}', 0, '{}', true, ${created})
    RETURNING id`.execute(db);
  return (r.rows[0] as { id: string }).id;
}

it('fills the key of existing calibrators from their labels where it is unambiguous, else unknown', async () => {
  const label = (agent: string, confidenceMethod: string | null, promptVersion: string, n = 20) =>
    insertLabelHistory(db, { agent, modelVersion: 'v1', labels, confidenceMethod, promptVersion, points: points(n) });
  await label('one', 'posterior', 'p1');
  await label('methods', 'posterior', 'p1');
  await label('methods', 'logprobs', 'p1');
  await label('prompts', 'posterior', 'p1');
  await label('prompts', 'posterior', 'p2');
  // Some of its labels have no decision, so their method is unknown.
  await label('undecided', null, 'p1');
  await label('undecided', 'posterior', 'p1');
  await label('later', 'logprobs', 'p9');
  await label('early', 'posterior', 'p1');
  const ids = {
    one: await calibrator('one'),
    methods: await calibrator('methods'),
    prompts: await calibrator('prompts'),
    undecided: await calibrator('undecided'),
    later: await calibrator('later'),
    // Created, as far as the table says, before any of its labels.
    early: await calibrator('early', '2000-01-01T00:00:00Z'),
  };
  // Labels after a calibrator's creation are not what it was fitted on.
  await label('later', 'posterior', 'p1');
  await sql`UPDATE labels SET created_at = now() + interval '1 day' WHERE agent = 'later' AND prompt_version = 'p1'`.execute(
    db,
  );

  const { error } = await migrateToLatest(db);
  expect(error).toBeUndefined();
  const rows = await db.selectFrom('calibrators').select(['id', 'confidence_method', 'prompt_version']).execute();
  const key = (id: string) => {
    const r = rows.find((r) => r.id === id);
    return [r?.confidence_method, r?.prompt_version];
  };
  expect(key(ids.one)).toEqual(['posterior', 'p1']);
  expect(key(ids.methods)).toEqual(['unknown', 'p1']);
  expect(key(ids.prompts)).toEqual(['posterior', 'unknown']);
  expect(key(ids.undecided)).toEqual(['unknown', 'p1']);
  expect(key(ids.later)).toEqual(['logprobs', 'p9']);
  expect(key(ids.early)).toEqual(['unknown', 'unknown']);
});

it('allows one active calibrator per (agent, model version, confidence method, prompt version)', async () => {
  const insert = (confidenceMethod: string) =>
    sql`INSERT INTO calibrators (agent, model_version, confidence_method, prompt_version, method, params, label_count, metrics, active)
        VALUES ('index', 'v1', ${confidenceMethod}, 'p1', 'platt', '{"kind":"identity"}', 0, '{}', true)`.execute(db);
  await insert('posterior');
  await insert('logprobs');
  await expect(insert('logprobs')).rejects.toThrow(/calibrators_active_idx/);
});
