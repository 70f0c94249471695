// Dataset snapshot exports in every format: each exported twice is byte-identical; CSV parses back
// (csv-parse) to the JSONL's values; chat lines carry the agent's instructions; Parquet, written
// with hyparquet-writer, reads back with another implementation (parquet-wasm, the Rust arrow-rs
// reader compiled to WebAssembly, through apache-arrow).
import { DATASET_FORMATS } from '@signoff/core';
import { createSnapshot, type Snapshot, type SnapshotRow, writeSnapshot } from '@signoff/datasets';
import { SYSTEM } from '@signoff/governance';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector } from '../support/collect';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { CLASSIFY_INSTRUCTIONS, insertLabels } from '../support/dataset-labels';

let t: TestDatabase;
let s: Snapshot;
let rows: SnapshotRow[];

beforeAll(async () => {
  t = await createTestDatabase();
  await insertLabels(t.db, [
    { human: 'yes', text: 'plain message' },
    { human: 'no', ai: 'yes', text: 'a "quoted", comma\nand a second line', source: 'audit_sample' },
    { human: 'maybe', text: 'ünïcödé ✓ 🚀', source: 'adjudication' },
    { human: 'no', state: 'triage', text: null },
    ...Array.from({ length: 40 }, (_, i) => ({ human: i % 3 ? 'yes' : 'no', text: `bulk ${i}` })),
  ]);
  s = await t.db.transaction().execute((trx) => createSnapshot(trx, { name: 'formats', seed: 'f' }, SYSTEM));
  rows = (await exported('jsonl'))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
});
afterAll(() => t.drop());

async function exported(format: (typeof DATASET_FORMATS)[number], split?: 'train' | 'test'): Promise<Buffer> {
  const { sink, bytes } = collector();
  await writeSnapshot(t.db, s.id, { format, split }, sink);
  return bytes();
}

describe('every format', () => {
  for (const format of DATASET_FORMATS)
    it(`${format}: the same snapshot exported twice is byte-identical`, async () => {
      const a = await exported(format);
      const b = await exported(format);
      expect(a.length).toBeGreaterThan(0);
      expect(a.equals(b)).toBe(true);
      const trainA = await exported(format, 'train');
      expect(trainA.equals(await exported(format, 'train'))).toBe(true);
      expect(trainA.equals(a)).toBe(false);
    });
});

it('reads in pages of any size to the same bytes, in every format, of a split too', async () => {
  for (const format of DATASET_FORMATS)
    for (const split of [undefined, 'train'] as const) {
      const { sink, bytes } = collector();
      await writeSnapshot(t.db, s.id, { format, split, pageSize: 7 }, sink);
      if (format === 'parquet') {
        // Row groups of at most 7 rows: other bytes, the same table.
        const table = tableFromIPC(readParquet(new Uint8Array(bytes())).intoIPCStream());
        expect(table.numRows).toBe(split ? s.manifest.counts.bySplit.train?.rows : 44);
      } else expect(bytes().equals(await exported(format, split)), `${format} ${split}`).toBe(true);
    }
});

it('jsonl: one line per label in creation order, keys in the schema order', () => {
  expect(rows).toHaveLength(44);
  expect(rows.slice(0, 3).map((r) => r.input_text)).toEqual([
    'plain message',
    'a "quoted", comma\nand a second line',
    'ünïcödé ✓ 🚀',
  ]);
  expect(Object.keys(rows[0] as object)).toEqual(s.manifest.schema.jsonl.columns.map((c) => c.name));
});

it('csv: a header, then the same values as the JSONL (null as empty, booleans as true/false)', async () => {
  const records = parse(await exported('csv'), { columns: true }) as Record<string, string>[];
  expect(Object.keys(records[0] as object)).toEqual(s.manifest.schema.csv.columns.map((c) => c.name));
  expect(records).toHaveLength(44);
  records.forEach((rec, i) => {
    const row = rows[i] as SnapshotRow;
    for (const [k, v] of Object.entries(row))
      expect(rec[k], k).toBe(v === null ? '' : typeof v === 'boolean' ? String(v) : String(v));
  });
});

it('chat: system (the agent instructions), user (the text), assistant (the human label); no line without text', async () => {
  const lines = (await exported('chat'))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  expect(lines).toHaveLength(43);
  expect(lines[1]).toEqual({
    messages: [
      { role: 'system', content: CLASSIFY_INSTRUCTIONS },
      { role: 'user', content: 'a "quoted", comma\nand a second line' },
      { role: 'assistant', content: 'no' },
    ],
  });
});

it('parquet: another reader (parquet-wasm) reads back every row and value', async () => {
  const table = tableFromIPC(readParquet(new Uint8Array(await exported('parquet'))).intoIPCStream());
  expect(table.numRows).toBe(44);
  expect(table.schema.fields.map((f) => f.name)).toEqual(s.manifest.schema.parquet.columns.map((c) => c.name));
  const back = table.toArray().map((r) => r.toJSON());
  back.forEach((r, i) => {
    const row = rows[i] as SnapshotRow;
    expect(r.label_id).toBe(row.label_id);
    expect(r.input_text).toBe(row.input_text);
    expect(r.human_label).toBe(row.human_label);
    expect(r.is_correction).toBe(row.is_correction);
    expect(r.ai_confidence).toBe(row.ai_confidence);
    expect(r.inclusion_probability).toBe(row.inclusion_probability);
    expect(r.workflow_version).toBe(row.workflow_version);
    expect(Number(r.created_at)).toBe(new Date(row.created_at).getTime());
  });
  const empty = await t.db
    .transaction()
    .execute((trx) => createSnapshot(trx, { name: 'tiny', fractions: { train: 0, validation: 0, test: 1 } }, SYSTEM));
  const { sink, bytes } = collector();
  await writeSnapshot(t.db, empty.id, { format: 'parquet', split: 'train' }, sink);
  expect(tableFromIPC(readParquet(new Uint8Array(bytes())).intoIPCStream()).numRows).toBe(0);
});
