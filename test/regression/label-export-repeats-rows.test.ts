// Defect f: the label export repeated the last row of each 1,000-row page (2,269 lines for 2,267
// labels, and `signoff export` reported 2,269). Its keyset cursor was a JavaScript Date, which
// keeps milliseconds, while PostgreSQL keeps microseconds: the rows of the page's last millisecond
// came out again on the next page.
//
// 2,267 labels are inserted with SQL, their created_at values microseconds apart: rows 995..1004
// (across the first page boundary) share one millisecond, rows 1995..2004 (across the second) have
// one identical timestamp, so only their ids order them. Label i has the id ...-<i in hex>, so
// creation order is i = 0, 1, ..., 2266.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportLabels, iterateLabels } from '@signoff/datasets';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

const root = join(import.meta.dirname, '..', '..');
const LABELS = 2267;
const labelId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const expectedIds = Array.from({ length: LABELS }, (_, i) => labelId(i));

let t: TestDatabase;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'signoff-export-'));
  // Microseconds after 12:00:00: label i at i * 400 µs, except the two clusters.
  await sql`
    WITH reviewer AS (
      INSERT INTO users (email, name, role, password_hash) VALUES ('labeller@test', 'Labeller', 'reviewer', 'x')
      RETURNING id
    ), version AS (
      INSERT INTO workflow_versions (name, version, hash, definition) VALUES ('export-test', 1, 'h', '{}')
      RETURNING id
    ), item AS (
      INSERT INTO items (workflow_name, workflow_version_id, input, status)
      SELECT 'export-test', version.id, '{}', 'succeeded' FROM version
      RETURNING id
    ), task AS (
      INSERT INTO review_tasks (item_id, state, visit, queue, status, labels, instructions)
      SELECT item.id, 'classify', g + 1, 'q', 'done', '["yes","no"]', '' FROM item, generate_series(0, ${LABELS - 1}) AS g
      RETURNING id, item_id, visit - 1 AS i
    ), review AS (
      INSERT INTO reviews (task_id, reviewer_id, verdict, label)
      SELECT task.id, reviewer.id, 'confirm', 'yes' FROM task, reviewer
      RETURNING id, task_id
    )
    INSERT INTO labels (id, item_id, state, review_id, workflow_name, workflow_version_id, agent, ai_label,
                        ai_confidence, human_label, is_correction, reviewer_id, created_at)
    SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(task.i), 12, '0'))::uuid, task.item_id, 'classify', review.id,
           'export-test', version.id, 'classifier', 'yes', 0.5, 'yes', false, reviewer.id,
           timestamptz '2025-03-01 12:00:00+00' + (
             CASE WHEN task.i BETWEEN 995 AND 1004 THEN 398010 + (task.i - 995) * 60
                  WHEN task.i BETWEEN 1995 AND 2004 THEN 798123
                  ELSE task.i * 400 END || ' microseconds')::interval
    FROM review JOIN task ON task.id = review.task_id, version, reviewer
  `.execute(t.db);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.drop();
});

it('the fixture has what broke the export: one millisecond and one timestamp across page boundaries', async () => {
  const { rows } = await sql<{ id: string; micros: string; ms: string }>`
    SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'SS.US') AS micros, to_char(created_at AT TIME ZONE 'UTC', 'SS.MS') AS ms
    FROM labels WHERE id IN (${labelId(999)}, ${labelId(1000)}, ${labelId(1999)}, ${labelId(2000)}) ORDER BY id
  `.execute(t.db);
  expect(rows).toEqual([
    { id: labelId(999), micros: '00.398250', ms: '00.398' },
    { id: labelId(1000), micros: '00.398310', ms: '00.398' },
    { id: labelId(1999), micros: '00.798123', ms: '00.798' },
    { id: labelId(2000), micros: '00.798123', ms: '00.798' },
  ]);
});

it('iterateLabels yields every label once, in creation order', async () => {
  const ids: string[] = [];
  for await (const label of iterateLabels(t.db)) ids.push(label.id);
  expect(ids.length).toBe(LABELS);
  expect(new Set(ids).size).toBe(LABELS);
  expect(ids).toEqual(expectedIds);
});

it('exportLabels writes 2,267 lines and counts 2,267', async () => {
  const out = join(dir, 'library.jsonl');
  const { count } = await exportLabels(t.db, { format: 'jsonl', out });
  expect(count).toBe(LABELS);
  const ids = readLines(out).map((l) => l.id);
  expect(ids).toEqual(expectedIds);
});

it('signoff export writes 2,267 distinct lines in order and says 2267', async () => {
  const out = join(dir, 'cli.jsonl');
  const r = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'apps/cli/src/main.ts', 'export', '--format', 'jsonl', '--out', out],
    { cwd: root, env: { ...process.env, DATABASE_URL: t.url } },
  );
  expect(r.stdout).toContain(`[signoff] wrote 2267 labels to ${out}\n`);
  // The progress line ends at the total too.
  expect(r.stderr.trim().split('\r').at(-1)).toBe('2267 labels');
  const ids = readLines(out).map((l) => l.id);
  expect(ids.length).toBe(LABELS);
  expect(new Set(ids).size).toBe(LABELS);
  expect(ids).toEqual(expectedIds);
});

function readLines(path: string): { id: string }[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string });
}
