// Snapshots of structured labels (issue 13): JSONL rows carry the person's record (`fields`), the
// AI's (`ai_fields`) and the leaf fields changed (`changed_fields`), rendered by JavaScript and
// still the content hash; classification rows keep their keys; chat gives the corrected record's
// JSON as the assistant's message and the schema in the system's; CSV and Parquet get one column
// per leaf field. The labels are written row by row below, and every expected value is spelled out.
import { createHash } from 'node:crypto';
import {
  createSnapshot,
  iterateLabels,
  jsonlLine,
  type Snapshot,
  snapshotPages,
  writeSnapshot,
} from '@signoff/datasets';
import { SYSTEM } from '@signoff/governance';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collector } from '../support/collect';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertLabels } from '../support/dataset-labels';

let t: TestDatabase;
let s: Snapshot;

const INSTRUCTIONS = 'Extract the vendor record.';
const jsonSchema = {
  type: 'object',
  properties: { taxId: { type: 'string' }, amount: { type: 'number' } },
  required: ['taxId', 'amount'],
};
// The leaf fields, in schema order: taxId, amount, vendor.name, vendor.country, clauses, w9, contact.
const fields = [
  { path: 'taxId', name: 'taxId', type: 'string', optional: false },
  { path: 'amount', name: 'amount', type: 'number', optional: false },
  {
    path: 'vendor',
    name: 'vendor',
    type: 'object',
    optional: false,
    fields: [
      { path: 'vendor.name', name: 'name', type: 'string', optional: false },
      { path: 'vendor.country', name: 'country', type: 'enum', options: ['DE', 'FR'], optional: false },
    ],
  },
  { path: 'clauses', name: 'clauses', type: 'array', optional: false, items: { path: '', name: '', type: 'string' } },
  { path: 'w9', name: 'w9', type: 'boolean', optional: false },
  { path: 'contact', name: 'contact', type: 'string', optional: true },
];
// Canonical JSON (keys sorted) as the engine writes labels.
const AI_1 =
  '{"amount":120.5,"clauses":["net 30","audit"],"contact":"ann@vendor.test","taxId":"AB-1","vendor":{"country":"FR","name":"Acme"},"w9":true}';
const HUMAN_1 =
  '{"amount":120.5,"clauses":["net 30","audit"],"contact":"ann@vendor.test","taxId":"AB-2","vendor":{"country":"DE","name":"Acme"},"w9":true}';
const RECORD_2 = '{"amount":7,"clauses":[],"taxId":"CD-9","vendor":{"country":"DE","name":"Bolt \\"B\\""},"w9":false}';

beforeAll(async () => {
  t = await createTestDatabase();
  await t.db
    .insertInto('workflow_versions')
    .values({
      name: 'vendors',
      version: 1,
      hash: 'vendors-1',
      definition: JSON.stringify({
        name: 'vendors',
        states: {
          extract: {
            kind: 'decide',
            agent: { name: 'extractor', instructions: INSTRUCTIONS },
            output: { jsonSchema, fields },
          },
        },
      }),
    })
    .execute();
  const { labelIds } = await insertLabels(t.db, [
    { workflow: 'vendors', state: 'extract', ai: AI_1, human: HUMAN_1, text: 'Invoice from Acme, tax id AB-2' },
    { human: 'yes', text: 'a classification' },
    { workflow: 'vendors', state: 'extract', human: RECORD_2, text: 'Bolt "B", CD-9' },
  ]);
  const changes = [
    { field: 'taxId', ai: 'AB-1', human: 'AB-2' },
    { field: 'vendor.country', ai: 'FR', human: 'DE' },
  ];
  await sql`UPDATE labels SET changed_fields = ARRAY['taxId', 'vendor.country'], field_changes = ${JSON.stringify(changes)}::jsonb
             WHERE id = ${labelIds[0]}`.execute(t.db);
  await sql`UPDATE labels SET changed_fields = '{}', field_changes = '[]' WHERE id = ${labelIds[2]}`.execute(t.db);
  s = await t.db.transaction().execute((trx) => createSnapshot(trx, { name: 'vendors', seed: 'v' }, SYSTEM));
});
afterAll(() => t.drop());

async function exported(format: 'jsonl' | 'chat' | 'csv' | 'parquet', o: { pageSize?: number } = {}): Promise<Buffer> {
  const { sink, bytes } = collector();
  await writeSnapshot(t.db, s.id, { format, includePii: true, ...o }, sink);
  return bytes();
}

const jsonlRows = async () =>
  (await exported('jsonl'))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

it('jsonl: a structured row ends with its records and changed fields; a classification row has none of them', async () => {
  const text = (await exported('jsonl')).toString('utf8');
  const lines = text.split('\n');
  expect(lines[0]).toMatch(
    /,"created_at":"[^"]+","fields":\{"amount":120\.5,"clauses":\["net 30","audit"\],"contact":"ann@vendor\.test","taxId":"AB-2","vendor":\{"country":"DE","name":"Acme"\},"w9":true\},"ai_fields":\{"amount":120\.5,"clauses":\["net 30","audit"\],"contact":"ann@vendor\.test","taxId":"AB-1","vendor":\{"country":"FR","name":"Acme"\},"w9":true\},"changed_fields":\["taxId","vendor\.country"\]\}$/,
  );
  expect(lines[1]).toMatch(/,"created_at":"[^"]+"\}$/);
  expect(lines[2]).toMatch(
    /,"fields":\{"amount":7,"clauses":\[\],"taxId":"CD-9","vendor":\{"country":"DE","name":"Bolt \\"B\\""\},"w9":false\},"ai_fields":\{"amount":7,.*"changed_fields":\[\]\}$/,
  );
  const rows = await jsonlRows();
  expect(Object.keys(rows[1] as object)).toEqual(s.manifest.schema.jsonl.columns.map((c) => c.name));
  expect(Object.keys(rows[0] as object)).toEqual([
    ...s.manifest.schema.jsonl.columns.map((c) => c.name),
    'fields',
    'ai_fields',
    'changed_fields',
  ]);
  expect(rows[0]).toMatchObject({ human_label: HUMAN_1, ai_label: AI_1, is_correction: true, state: 'extract' });
});

it('jsonl: the same bytes at any page size, JSON.stringify of the rows; its SHA-256 is the content hash', async () => {
  let reference = '';
  for await (const { rows } of snapshotPages(t.db, s.id)) for (const row of rows) reference += `${jsonlLine(row)}\n`;
  for (const pageSize of [undefined, 1, 2])
    expect((await exported('jsonl', { pageSize })).toString('utf8')).toBe(reference);
  // The content hash is over the masked export (as for every snapshot): the e-mail is masked there.
  const { sink, bytes } = collector();
  await writeSnapshot(t.db, s.id, { format: 'jsonl' }, sink);
  const masked = bytes();
  expect(masked.toString('utf8')).not.toContain('ann@vendor.test');
  expect(masked.toString('utf8')).toContain('"contact":"[email]"');
  expect(createHash('sha256').update(masked).digest('hex')).toBe(s.contentHash);
  // Structured rows keep no stored line (JavaScript renders their page); the classification's is stored.
  const { rows } = await sql<{ ordinal: number; stored: boolean }>`
    SELECT ordinal, line IS NOT NULL AS stored FROM dataset_snapshot_rows WHERE snapshot_id = ${s.id} ORDER BY ordinal`.execute(
    t.db,
  );
  expect(rows).toEqual([
    { ordinal: 1, stored: false },
    { ordinal: 2, stored: true },
    { ordinal: 3, stored: false },
  ]);
});

it('chat: the corrected record as the assistant message, the schema in the system message', async () => {
  const lines = (await exported('chat'))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { messages: { role: string; content: string }[] });
  expect(lines).toHaveLength(3);
  const [system, user, assistant] = lines[0]?.messages ?? [];
  expect(user).toEqual({ role: 'user', content: 'Invoice from Acme, tax id AB-2' });
  expect(assistant).toEqual({ role: 'assistant', content: HUMAN_1 });
  const prefix = `${INSTRUCTIONS}\n\nAnswer with one JSON object that this JSON Schema accepts: `;
  expect(system?.role).toBe('system');
  expect(system?.content.startsWith(prefix)).toBe(true);
  expect(JSON.parse(system?.content.slice(prefix.length) ?? '')).toEqual(jsonSchema);
  // The classification's system message is its instructions alone, as before.
  expect(lines[1]?.messages[0]?.content).toBe('Classify the customer message as yes, no or maybe.');
  expect(lines[2]?.messages[2]).toEqual({ role: 'assistant', content: RECORD_2 });
});

// Per leaf field in schema order, the person's column then the AI's; then changed_fields.
const FLAT = [
  ...['taxId', 'amount', 'vendor.name', 'vendor.country', 'clauses', 'w9', 'contact'].flatMap((p) => [
    `fields.${p}`,
    `ai_fields.${p}`,
  ]),
  'changed_fields',
];

it('the manifest lists the structured state with its leaf fields, and the flat columns of CSV and Parquet', () => {
  expect(s.manifest.structured).toEqual([
    {
      workflow: 'vendors',
      state: 'extract',
      fields: [
        { path: 'taxId', type: 'string' },
        { path: 'amount', type: 'number' },
        { path: 'vendor.name', type: 'string' },
        { path: 'vendor.country', type: 'enum' },
        { path: 'clauses', type: 'array' },
        { path: 'w9', type: 'boolean' },
        { path: 'contact', type: 'string' },
      ],
    },
  ]);
  expect(s.manifest.schema.csv.columns.slice(-FLAT.length).map((c) => c.name)).toEqual(FLAT);
  expect(s.manifest.schema.csv.columns.find((c) => c.name === 'fields.amount')?.type).toBe('double');
});

it('csv: one column per leaf field for the person and the AI, then changed_fields; empty for a classification', async () => {
  const records = parse(await exported('csv'), { columns: true }) as Record<string, string>[];
  expect(Object.keys(records[0] as object).slice(-FLAT.length)).toEqual(FLAT);
  expect(records[0]).toMatchObject({
    'fields.taxId': 'AB-2',
    'ai_fields.taxId': 'AB-1',
    'fields.amount': '120.5',
    'fields.vendor.country': 'DE',
    'ai_fields.vendor.country': 'FR',
    'fields.clauses': '["net 30","audit"]',
    'fields.w9': 'true',
    'fields.contact': 'ann@vendor.test',
    changed_fields: '["taxId","vendor.country"]',
  });
  for (const c of FLAT) expect(records[1]?.[c], c).toBe('');
  expect(records[2]).toMatchObject({
    'fields.vendor.name': 'Bolt "B"',
    'fields.w9': 'false',
    'fields.contact': '',
    'fields.clauses': '[]',
    changed_fields: '[]',
  });
  // Masked unless the operator asks for PII.
  const { sink, bytes } = collector();
  await writeSnapshot(t.db, s.id, { format: 'csv' }, sink);
  expect(bytes().toString('utf8')).not.toContain('ann@vendor.test');
});

it('parquet: typed leaf columns (DOUBLE, BOOLEAN, JSON text), read back by parquet-wasm', async () => {
  const table = tableFromIPC(readParquet(new Uint8Array(await exported('parquet'))).intoIPCStream());
  expect(table.schema.fields.map((f) => f.name).slice(-FLAT.length)).toEqual(FLAT);
  expect(String(table.schema.fields.find((f) => f.name === 'fields.amount')?.type)).toBe('Float64');
  expect(String(table.schema.fields.find((f) => f.name === 'fields.w9')?.type)).toBe('Bool');
  const back = table.toArray().map((r) => r.toJSON());
  expect(back[0]).toMatchObject({
    'fields.taxId': 'AB-2',
    'ai_fields.taxId': 'AB-1',
    'fields.amount': 120.5,
    'fields.w9': true,
    'fields.clauses': '["net 30","audit"]',
    changed_fields: '["taxId","vendor.country"]',
  });
  expect(back[1]).toMatchObject({ 'fields.taxId': null, 'fields.amount': null, changed_fields: null });
  expect(back[2]).toMatchObject({ 'fields.amount': 7, 'fields.w9': false, 'fields.contact': null });
});

it('the label export (signoff labels export) gives a structured label its records and changed fields', async () => {
  const labels = [];
  for await (const l of iterateLabels(t.db)) labels.push(l);
  expect(labels).toHaveLength(3);
  expect(labels[0]).toMatchObject({
    ai_output: { label: AI_1, value: { taxId: 'AB-1', vendor: { country: 'FR', name: 'Acme' } } },
    human_output: { label: HUMAN_1, value: { taxId: 'AB-2', vendor: { country: 'DE', name: 'Acme' } } },
    changed_fields: ['taxId', 'vendor.country'],
  });
  // A classification's label as it always was.
  expect(labels[1]?.human_output).toEqual({ label: 'yes' });
  expect(labels[1]).not.toHaveProperty('changed_fields');
  expect(labels[2]).toMatchObject({ changed_fields: [], human_output: { value: { taxId: 'CD-9' } } });
});

it('splits structured labels by (state, corrected or not), not by record, and the manifest counts them so', async () => {
  // Ten confirmed records and ten corrected ones, every record different: two strata of 10 items,
  // each cut 8 / 1 / 1 (round(10 x 0.8), round(10 x 0.9)). Split by record instead, every item
  // would be a stratum of one and go to train.
  const specs = Array.from({ length: 20 }, (_, i) => ({
    workflow: 'vendors',
    state: 'extract',
    human: `{"amount":${i},"taxId":"T-${i}"}`,
    ai: i % 2 ? '{"amount":0,"taxId":"?"}' : `{"amount":${i},"taxId":"T-${i}"}`,
    text: `form ${i}`,
    createdAt: new Date(Date.UTC(2030, 0, 1, 0, i)),
  }));
  const { labelIds } = await insertLabels(t.db, specs);
  for (const [i, id] of labelIds.entries())
    await sql`UPDATE labels SET changed_fields = ${i % 2 ? ['amount', 'taxId'] : []}::text[] WHERE id = ${id}`.execute(
      t.db,
    );
  const bulk = await t.db.transaction().execute((trx) =>
    createSnapshot(
      trx,
      {
        name: 'records',
        seed: 'r',
        filters: { from: new Date(Date.UTC(2030, 0, 1)) },
        fractions: { train: 0.8, validation: 0.1, test: 0.1 },
      },
      SYSTEM,
    ),
  );
  expect(bulk.manifest.labels.overall).toEqual({ '(record, confirmed)': 10, '(record, corrected)': 10 });
  expect(bulk.manifest.labels.bySplit).toEqual({
    train: { '(record, confirmed)': 8, '(record, corrected)': 8 },
    validation: { '(record, confirmed)': 1, '(record, corrected)': 1 },
    test: { '(record, confirmed)': 1, '(record, corrected)': 1 },
  });
  expect(JSON.stringify(bulk.manifest)).not.toContain('T-1');
});
