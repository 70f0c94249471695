// Dataset snapshots against a real PostgreSQL: the split (by item, stratified by label, seeded),
// the filters, the manifest, immutability and the content hash. Expected values are worked out by
// hand from the labels inserted here.
import { createHash } from 'node:crypto';
import type { DatasetCreateInput, DatasetFormat } from '@signoff/core';
import { createSnapshot, type Snapshot, type SnapshotRow, writeSnapshot } from '@signoff/datasets';
import { SYSTEM } from '@signoff/governance';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector } from '../support/collect';
import { countRows, createTestDatabase, type TestDatabase } from '../support/database';
import { insertLabels, type LabelSpec } from '../support/dataset-labels';

let t: TestDatabase;
let filterLabels: string[];
let bobId: string;

// The split workflow: 60 items first labelled yes (10 of them adjudicated to no afterwards), 30 no, 7 maybe.
const splitSpecs: LabelSpec[] = [
  ...Array.from({ length: 50 }, (_, i): LabelSpec => ({ workflow: 'split', item: `y${i}`, human: 'yes' })),
  ...Array.from({ length: 10 }, (_, i): LabelSpec => ({ workflow: 'split', item: `d${i}`, human: 'yes' })),
  ...Array.from({ length: 30 }, (_, i): LabelSpec => ({ workflow: 'split', item: `n${i}`, human: 'no' })),
  ...Array.from({ length: 7 }, (_, i): LabelSpec => ({ workflow: 'split', item: `m${i}`, human: 'maybe' })),
  ...Array.from(
    { length: 10 },
    (_, i): LabelSpec => ({ workflow: 'split', item: `d${i}`, human: 'no', source: 'adjudication' }),
  ),
];

// The filters workflow: five labels that differ in one thing or another.
const day = (d: string) => new Date(`2026-${d}T12:00:00Z`);
const filterSpecs: LabelSpec[] = [
  /* b1 */ { workflow: 'filters', human: 'yes', modelVersion: 'v1', reviewer: 'alice@test', createdAt: day('01-10') },
  /* b2 */ {
    workflow: 'filters',
    item: 'b2',
    human: 'no',
    ai: 'yes',
    modelVersion: 'v2',
    source: 'audit_sample',
    reviewer: 'bob@test',
    createdAt: day('02-10'),
  },
  /* b3 */ {
    workflow: 'filters',
    item: 'b2',
    human: 'yes',
    modelVersion: 'v2',
    source: 'adjudication',
    reviewer: 'carol@test',
    createdAt: day('02-11'),
    auditProbability: 0.05,
  },
  /* b4 */ {
    workflow: 'filters',
    state: 'triage',
    human: 'maybe',
    modelVersion: 'v1',
    reviewer: 'alice@test',
    createdAt: day('03-10'),
  },
  /* b5 */ {
    workflow: 'filters',
    state: 'triage',
    human: 'no',
    text: null,
    reviewer: 'bob@test',
    createdAt: day('03-11'),
  },
];

beforeAll(async () => {
  t = await createTestDatabase();
  await insertLabels(t.db, splitSpecs);
  filterLabels = (await insertLabels(t.db, filterSpecs)).labelIds;
  bobId = (await t.db.selectFrom('users').select('id').where('email', '=', 'bob@test').executeTakeFirstOrThrow()).id;
});
afterAll(() => t.drop());

const create = (input: DatasetCreateInput) => t.db.transaction().execute((trx) => createSnapshot(trx, input, SYSTEM));

async function exported(id: string, format: DatasetFormat, split?: 'train' | 'validation' | 'test') {
  const { sink, bytes } = collector();
  const { records } = await writeSnapshot(t.db, id, { format, split }, sink);
  return { bytes: bytes(), records };
}

async function rowsOf(s: Snapshot, split?: 'train' | 'validation' | 'test'): Promise<SnapshotRow[]> {
  const { bytes } = await exported(s.id, 'jsonl', split);
  return bytes
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SnapshotRow);
}

describe('the split', () => {
  it('puts every item in one split only, all its labels with it', async () => {
    const s = await create({ name: 'split', filters: { workflow: 'split' }, seed: 'one' });
    const rows = await rowsOf(s);
    expect(rows).toHaveLength(107);
    const splitOf = new Map<string, string>();
    for (const r of rows) {
      expect(splitOf.get(r.item_id) ?? r.split).toBe(r.split);
      splitOf.set(r.item_id, r.split);
    }
    expect(splitOf.size).toBe(97);
  });

  it("is stratified by each item's first label: every stratum within one item of 0.8 / 0.1 / 0.1", async () => {
    const s = await create({ name: 'split', filters: { workflow: 'split' }, seed: 'two' });
    const rows = await rowsOf(s);
    const first = new Map<string, SnapshotRow>();
    for (const r of rows) if (!first.has(r.item_id)) first.set(r.item_id, r);
    const items: Record<string, Record<string, number>> = {};
    for (const r of first.values()) {
      const stratum = items[r.human_label] ?? { train: 0, validation: 0, test: 0 };
      stratum[r.split] = (stratum[r.split] ?? 0) + 1;
      items[r.human_label] = stratum;
    }
    // yes: 60 items -> 48 / 6 / 6; no: 30 -> 24 / 3 / 3; maybe: 7 -> round(5.6) = 6, round(6.3) - 6 = 0, 1.
    expect(items).toEqual({
      yes: { train: 48, validation: 6, test: 6 },
      no: { train: 24, validation: 3, test: 3 },
      maybe: { train: 6, validation: 0, test: 1 },
    });
  });

  it('follows the fractions it is given', async () => {
    const s = await create({
      name: 'halves',
      filters: { workflow: 'split' },
      fractions: { train: 0.5, validation: 0, test: 0.5 },
      seed: 'x',
    });
    // yes 60 -> 30 / 0 / 30, no 30 -> 15 / 0 / 15, maybe 7 -> round(3.5) = 4 / 0 / 3: 49 / 0 / 48 items.
    const { bySplit } = s.manifest.counts;
    expect([bySplit.train?.items, bySplit.validation?.items, bySplit.test?.items]).toEqual([49, 0, 48]);
    expect((bySplit.train?.rows ?? 0) + (bySplit.test?.rows ?? 0)).toBe(107);
  });

  it('is the same for the same seed, and another for another seed', async () => {
    const a = await create({ name: 'a', filters: { workflow: 'split' }, seed: 'same' });
    const b = await create({ name: 'b', filters: { workflow: 'split' }, seed: 'same' });
    const c = await create({ name: 'c', filters: { workflow: 'split' }, seed: 'other' });
    const splits = async (s: Snapshot) => (await rowsOf(s)).map((r) => `${r.label_id}:${r.split}`);
    expect(await splits(b)).toEqual(await splits(a));
    expect(b.contentHash).toBe(a.contentHash);
    expect(await splits(c)).not.toEqual(await splits(a));
    expect(c.contentHash).not.toBe(a.contentHash);
  });

  it('exports one split on its own, exactly the rows the manifest counts for it', async () => {
    const s = await create({ name: 'split', filters: { workflow: 'split' }, seed: 'three' });
    for (const split of ['train', 'validation', 'test'] as const) {
      const rows = await rowsOf(s, split);
      expect(new Set(rows.map((r) => r.split))).toEqual(new Set(rows.length ? [split] : []));
      expect(rows.length).toBe(s.manifest.counts.bySplit[split]?.rows);
    }
  });
});

describe('filters', () => {
  const b = (...n: number[]) => n.map((i) => filterLabels[i - 1]).sort();
  const cases: [string, DatasetCreateInput['filters'], number[]][] = [
    ['workflow', { workflow: 'filters' }, [1, 2, 3, 4, 5]],
    ['state', { workflow: 'filters', states: ['triage'] }, [4, 5]],
    ['date range [from, to)', { from: day('02-01'), to: day('03-01') }, [2, 3]],
    ['date range ending where a label is', { workflow: 'filters', from: day('01-01'), to: day('02-10') }, [1]],
    ['model version', { workflow: 'filters', modelVersions: ['v2'] }, [2, 3]],
    ['source: routed review', { workflow: 'filters', sources: ['review'] }, [1, 4, 5]],
    ['source: audit sample', { workflow: 'filters', sources: ['audit_sample'] }, [2]],
    ['source: adjudication', { workflow: 'filters', sources: ['adjudication'] }, [3]],
    ['reviewer by email (any case)', { workflow: 'filters', reviewers: ['Alice@Test'] }, [1, 4]],
    [
      'all of them together',
      { workflow: 'filters', states: ['classify'], sources: ['review', 'audit_sample'], modelVersions: ['v1', 'v2'] },
      [1, 2],
    ],
  ];
  for (const [what, filters, expected] of cases)
    it(`takes the labels of a ${what}`, async () => {
      const s = await create({ name: what, filters });
      expect((await rowsOf(s)).map((r) => r.label_id).sort()).toEqual(b(...expected));
    });

  it('takes the labels of a reviewer by id', async () => {
    const s = await create({ name: 'bob', filters: { workflow: 'filters', reviewers: [bobId] } });
    expect((await rowsOf(s)).map((r) => r.label_id).sort()).toEqual(b(2, 5));
  });

  it('refuses bad filters field by field and creates nothing', async () => {
    const before = await countRows(t.db, 'dataset_snapshots');
    const refusal = (input: unknown) =>
      create(input as DatasetCreateInput).then(
        () => 'created',
        (e: { code?: string; issues?: { path: string }[] }) => ({ code: e.code, paths: e.issues?.map((i) => i.path) }),
      );
    expect(await refusal({ name: 'x', filters: { from: day('03-01'), to: day('02-01') } })).toEqual({
      code: 'BAD_INPUT',
      paths: ['filters.to'],
    });
    expect(await refusal({ name: 'x', filters: { sources: ['guess'] } })).toEqual({
      code: 'BAD_INPUT',
      paths: ['filters.sources.0'],
    });
    expect(await refusal({ name: 'x', filters: { from: 'yesterday-ish' } })).toEqual({
      code: 'BAD_INPUT',
      paths: ['filters.from'],
    });
    expect(await refusal({ name: 'x', filters: { to: new Date(-8.64e15) } })).toEqual({
      code: 'BAD_INPUT',
      paths: ['filters.to'],
    });
    expect(await refusal({ name: 'x', filters: { colour: 'red' } })).toEqual({ code: 'BAD_INPUT', paths: ['filters'] });
    expect(await refusal({ name: 'x', fractions: { train: 0.8, validation: 0.1, test: 0.2 } })).toEqual({
      code: 'BAD_INPUT',
      paths: ['fractions.test'],
    });
    expect(await refusal({ name: '' })).toEqual({ code: 'BAD_INPUT', paths: ['name'] });
    expect(await refusal({ name: 'x', filters: { workflow: 'no-such-workflow' } })).toEqual({
      code: 'BAD_INPUT',
      paths: ['filters'],
    });
    expect(await countRows(t.db, 'dataset_snapshots')).toBe(before);
    const rows = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM dataset_snapshot_rows r WHERE NOT EXISTS (SELECT 1 FROM dataset_snapshots s WHERE s.id = r.snapshot_id)`.execute(
      t.db,
    );
    expect(rows.rows[0]?.n).toBe(0);
  });
});

describe('the manifest', () => {
  it('counts rows, items, labels per split, sources, states, model versions and sampling probabilities', async () => {
    const s = await create({ name: 'filters', filters: { workflow: 'filters' }, seed: 'm' });
    const m = s.manifest;
    expect(m.filters).toEqual({ workflow: 'filters' });
    expect(m.seed).toBe('m');
    expect(m.fractions).toEqual({ train: 0.8, validation: 0.1, test: 0.1 });
    expect(m.counts).toMatchObject({ rows: 5, items: 4, corrections: 1 });
    expect(m.labels.overall).toEqual({ yes: 2, no: 2, maybe: 1 });
    for (const label of ['yes', 'no', 'maybe'])
      expect(Object.values(m.labels.bySplit).reduce((n, c) => n + (c[label] ?? 0), 0)).toBe(m.labels.overall[label]);
    expect(Object.values(m.counts.bySplit).reduce((n, c) => n + c.rows, 0)).toBe(5);
    expect(m.sources).toEqual({ review: 3, audit_sample: 1, adjudication: 1 });
    expect(m.states).toEqual([
      { workflow: 'filters', state: 'classify', rows: 3 },
      { workflow: 'filters', state: 'triage', rows: 2 },
    ]);
    expect(m.modelVersions).toEqual([
      { agent: 'classifier', model: 'local', modelVersion: 'v1', rows: 2 },
      { agent: 'classifier', model: 'local', modelVersion: 'v2', rows: 2 },
      { agent: null, model: null, modelVersion: null, rows: 1 },
    ]);
    // pi: b1 1, b2 0.05, b3 0.05, b4 1, b5 none (no decision): sum of 1/pi = 1 + 20 + 20 + 1.
    expect(m.sampling).toEqual({
      rowsWithProbability: 4,
      rowsWithoutProbability: 1,
      min: 0.05,
      max: 1,
      weightTotal: 42,
      bySource: [
        { source: 'adjudication', inclusionProbability: 0.05, rows: 1 },
        { source: 'audit_sample', inclusionProbability: 0.05, rows: 1 },
        { source: 'review', inclusionProbability: 1, rows: 2 },
        { source: 'review', inclusionProbability: null, rows: 1 },
      ],
    });
    expect(m.labelWindow).toEqual({ first: day('01-10').toISOString(), last: day('03-11').toISOString() });
    expect(m.schema.csv.columns.map((c) => c.name)).toContain('inclusion_probability');
    const rows = await rowsOf(s);
    expect(rows.find((r) => r.label_id === filterLabels[1])).toMatchObject({
      source: 'audit_sample',
      decision_route: 'sampled',
      inclusion_probability: 0.05,
      is_correction: true,
      ai_label: 'yes',
      human_label: 'no',
      verdict: 'correct',
      reviewer_email: 'bob@test',
      created_at: '2026-02-10T12:00:00.000000Z',
    });
    expect(rows.find((r) => r.label_id === filterLabels[2])).toMatchObject({
      source: 'adjudication',
      verdict: 'adjudicated',
      adjudicated: true,
    });
  });
});

describe('immutability and the content hash', () => {
  it("is the SHA-256 of the snapshot's JSONL export, which later labels do not change", async () => {
    const s = await create({ name: 'frozen', filters: { workflow: 'filters' } });
    const first = await exported(s.id, 'jsonl');
    expect(createHash('sha256').update(first.bytes).digest('hex')).toBe(s.contentHash);
    await insertLabels(t.db, [{ workflow: 'filters', human: 'yes', createdAt: day('02-15') }]);
    const again = await exported(s.id, 'jsonl');
    expect(again.bytes.equals(first.bytes)).toBe(true);
    const later = await create({ name: 'later', filters: { workflow: 'filters' } });
    expect(later.rowCount).toBe(s.rowCount + 1);
  });

  it('refuses to change or remove a snapshot or its rows', async () => {
    const s = await create({ name: 'fixed', filters: { workflow: 'filters' } });
    await expect(sql`UPDATE dataset_snapshots SET name = 'renamed' WHERE id = ${s.id}`.execute(t.db)).rejects.toThrow(
      /immutable/,
    );
    await expect(
      sql`UPDATE dataset_snapshot_rows SET split = 'train' WHERE snapshot_id = ${s.id}`.execute(t.db),
    ).rejects.toThrow(/immutable/);
    await expect(sql`DELETE FROM dataset_snapshot_rows WHERE snapshot_id = ${s.id}`.execute(t.db)).rejects.toThrow(
      /immutable/,
    );
    await expect(sql`DELETE FROM dataset_snapshots WHERE id = ${s.id}`.execute(t.db)).rejects.toThrow(/immutable/);
  });

  it('is recorded on the config audit stream', async () => {
    const s = await create({ name: 'audited', filters: { workflow: 'filters' } });
    const e = await t.db
      .selectFrom('audit_events')
      .select(['action', 'data'])
      .where('stream', '=', 'config')
      .where('action', '=', 'dataset.snapshot_created')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(e.data).toMatchObject({ snapshotId: s.id, name: 'audited', rows: s.rowCount, contentHash: s.contentHash });
  });
});
