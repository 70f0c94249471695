// JSONL and chat exports are rendered by PostgreSQL; these must be the very bytes JavaScript gives
// (JSON.stringify of the rows snapshotPages reads, as before the change): every control character,
// quotes, backslashes, non-BMP text, and doubles of every magnitude, including those PostgreSQL
// writes otherwise (1e-05, 1e+15), which fall back to JavaScript for their page.
import { createHash, randomUUID } from 'node:crypto';
import { createSnapshot, jsonlLine, type Snapshot, snapshotPages, writeSnapshot } from '@signoff/datasets';
import { SYSTEM } from '@signoff/governance';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collector } from '../support/collect';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertLabels } from '../support/dataset-labels';

let t: TestDatabase;
let s: Snapshot;
/** A copy of `s` without its stored lines, as a snapshot created before migration 0019 is. */
const before = randomUUID();

const controls = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i))
  .join('')
  .replace('\u0000', '');
const texts = [
  `controls ${controls} end`,
  'quotes " and \\ backslash \\" / slash',
  'del \u007f, line sep \u2028 para \u2029, bom \ufeff, max \uffff',
  'emoji 🚀 ünïcödé ✓ 中文',
  '',
  null,
];
// Doubles of every magnitude: plain and exponent notation in both languages, and where they differ.
const doubles = [
  0.5,
  1,
  0,
  -0,
  0.0001,
  0.00012345,
  0.00001,
  5e-7,
  1e-7,
  1.5e-7,
  0.1 + 0.2,
  1 / 3,
  2 / 3,
  0.9999999999999999,
  123456789.123,
  1e14,
  999999999999999.9,
  1e15,
  1.5e15,
  1e20,
  1e21,
  2.5e-300,
  5e-324,
  Number.MAX_VALUE,
  -0.25,
  0.12345678901234568,
];
// And random ones across exponents (a fixed generator: the same values every run).
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
for (let i = 0; i < 150; i++) doubles.push(random() * 10 ** Math.floor(random() * 24 - 9));

beforeAll(async () => {
  t = await createTestDatabase();
  const { labelIds } = await insertLabels(
    t.db,
    doubles.map((_, i) => ({
      human: texts[i % 4] ?? 'yes',
      text: texts[i % texts.length] ?? null,
      source: i % 3 === 0 ? 'audit_sample' : 'review',
    })),
  );
  // The confidences and probabilities chosen here (π within [1e-12, 1]: the manifest sums 1/π).
  for (const [i, id] of labelIds.entries()) {
    const p = Math.abs(doubles[(i * 7) % doubles.length] as number);
    await sql`UPDATE labels SET ai_confidence = ${doubles[i]}::float8, reason = ${texts[(i + 1) % texts.length]} WHERE id = ${id}`.execute(
      t.db,
    );
    await sql`UPDATE decisions SET audit_probability = ${p <= 1 && p >= 1e-12 ? p : null}::float8
               WHERE id = (SELECT decision_id FROM labels WHERE id = ${id})`.execute(t.db);
  }
  s = await t.db.transaction().execute((trx) => createSnapshot(trx, { name: 'lines', seed: 'l' }, SYSTEM));
  await t.db.transaction().execute(async (trx) => {
    await sql`INSERT INTO dataset_snapshot_rows (snapshot_id, ordinal, label_id, split)
              SELECT ${before}, ordinal, label_id, split FROM dataset_snapshot_rows WHERE snapshot_id = ${s.id}`.execute(
      trx,
    );
    await sql`INSERT INTO dataset_snapshots (id, name, created_by, filters, seed, fractions, row_count, manifest, content_hash)
              SELECT ${before}, 'before', created_by, filters, seed, fractions, row_count, manifest, content_hash
                FROM dataset_snapshots WHERE id = ${s.id}`.execute(trx);
  });
});
afterAll(() => t.drop());

async function exported(format: 'jsonl' | 'chat', pageSize?: number, id = s.id): Promise<Buffer> {
  const { sink, bytes } = collector();
  await writeSnapshot(t.db, id, { format, pageSize }, sink);
  return bytes();
}

/** The JSONL as JavaScript writes it: JSON.stringify of each row. */
async function referenceJsonl(): Promise<Buffer> {
  let text = '';
  for await (const { rows } of snapshotPages(t.db, s.id)) for (const row of rows) text += `${jsonlLine(row)}\n`;
  return Buffer.from(text, 'utf8');
}

it('jsonl: the bytes JSON.stringify gives, at any page size; its SHA-256 is the content hash', async () => {
  const reference = await referenceJsonl();
  expect(reference.toString('utf8').split('\n')).toHaveLength(doubles.length + 1);
  for (const pageSize of [undefined, 1, 7, 50])
    expect((await exported('jsonl', pageSize)).equals(reference)).toBe(true);
  expect(createHash('sha256').update(reference).digest('hex')).toBe(s.contentHash);
});

it('jsonl: lines stored at creation, but for those PostgreSQL cannot write as JavaScript does', async () => {
  const { rows } = await sql<{ stored: number; missing: number }>`
    SELECT count(line)::int AS stored, count(*) FILTER (WHERE line IS NULL)::int AS missing
      FROM dataset_snapshot_rows WHERE snapshot_id = ${s.id}`.execute(t.db);
  expect(rows[0]?.stored).toBeGreaterThan(0);
  expect(rows[0]?.missing).toBeGreaterThan(0);
});

it('jsonl: a snapshot without stored lines (created before them) exports to the same bytes', async () => {
  const reference = await referenceJsonl();
  for (const pageSize of [undefined, 1, 7, 50])
    expect((await exported('jsonl', pageSize, before)).equals(reference)).toBe(true);
});

it('chat: the bytes JSON.stringify gives of each message list', async () => {
  const { rows: instructions } = await sql<{ instructions: string }>`
    SELECT definition #>> '{states,classify,agent,instructions}' AS instructions FROM workflow_versions`.execute(t.db);
  const system = instructions[0]?.instructions as string;
  let text = '';
  for await (const { rows } of snapshotPages(t.db, s.id))
    for (const row of rows)
      if (row.input_text !== null)
        text += `${JSON.stringify({
          messages: [
            { role: 'system', content: system },
            { role: 'user', content: row.input_text },
            { role: 'assistant', content: row.human_label },
          ],
        })}\n`;
  expect(text).toContain('🚀');
  for (const pageSize of [undefined, 3]) expect((await exported('chat', pageSize)).toString('utf8')).toBe(text);
});
