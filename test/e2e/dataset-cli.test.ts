// `signoff dataset create|list|export`: the real command in a child process, on a database of its own.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertLabels } from '../support/dataset-labels';
import { runSignoff } from '../support/signoff-cli';

let t: TestDatabase;
let dir: string;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'signoff-dataset-'));
  await insertLabels(t.db, [
    ...Array.from({ length: 20 }, (_, i) => ({ human: i % 2 ? 'yes' : 'no' })),
    { human: 'no', source: 'audit_sample' as const },
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.drop();
});

const signoff = (args: string[]) => runSignoff(args, t.url);

it('creates a snapshot, lists it and exports a split; the whole JSONL hashes to its content hash', async () => {
  const created = await signoff(['dataset', 'create', '--name', 'routed', '--source', 'review', '--seed', 's1']);
  expect(created).toMatchObject({ code: 0, stderr: '' });
  const id = created.stdout.match(/^snapshot ([0-9a-f-]{36}) "routed"$/m)?.[1] as string;
  expect(id).toBeDefined();
  expect(created.stdout).toContain('rows 20 (items 20, corrections 0)');
  // 10 yes and 10 no items: 8 / 1 / 1 of each.
  expect(created.stdout).toContain('train 16 rows / 16 items, validation 2 rows / 2 items, test 2 rows / 2 items');
  expect(created.stdout).toContain('sources review 20');
  const hash = created.stdout.match(/content hash sha256:([0-9a-f]{64})/)?.[1];

  const listed = await signoff(['dataset', 'list', '--json']);
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout.trim())).toMatchObject({ id, name: 'routed', rowCount: 20, contentHash: hash });

  const all = join(dir, 'all.jsonl');
  const whole = await signoff(['dataset', 'export', id, '--format', 'jsonl', '--out', all]);
  expect(whole).toMatchObject({ code: 0 });
  expect(
    createHash('sha256')
      .update(await readFile(all))
      .digest('hex'),
  ).toBe(hash);

  const train = join(dir, 'train.csv');
  const r = await signoff(['dataset', 'export', id, '--format', 'csv', '--split', 'train', '--out', train]);
  expect(r.stdout).toContain(`wrote 16 records of snapshot ${id} (train) as csv`);
  const lines = (await readFile(train, 'utf8')).trim().split('\n');
  expect(lines[0]).toMatch(/^label_id,item_id,split,/);
  expect(lines.slice(1).every((l) => l.split(',')[2] === 'train')).toBe(true);
  expect(lines).toHaveLength(17);
});

it('names the bad field, exits 2 and creates nothing; an unknown snapshot exits 4', async () => {
  const bad = await signoff(['dataset', 'create', '--name', 'x', '--from', '2026-03-01', '--to', '2026-02-01']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('filters.to: "to" must be after "from"');
  const unknown = await signoff([
    'dataset',
    'export',
    '00000000-0000-4000-8000-000000000000',
    '--format',
    'csv',
    '--out',
    join(dir, 'x'),
  ]);
  expect(unknown.code).toBe(4);
  expect(unknown.stderr).toContain('No dataset snapshot 00000000-0000-4000-8000-000000000000');
  const format = await signoff([
    'dataset',
    'export',
    '00000000-0000-4000-8000-000000000000',
    '--format',
    'xml',
    '--out',
    join(dir, 'x'),
  ]);
  expect(format.code).toBe(2);
  expect(format.stderr).toContain('--format must be one of jsonl, csv, chat, parquet');
  const listed = await signoff(['dataset', 'list', '--json']);
  expect(listed.stdout.trim().split('\n')).toHaveLength(1);
});
