// Retention of structured decisions (issue 13): a structured answer's label is a record (a tax id, a
// name, an e-mail), so purging its item also purges the record wherever it is kept: the decision's
// label and output value, the state's output, the review's label, the label's AI and human texts
// and the values of its field-level diff, and the snapshot line. What the dashboards count stays:
// which fields the person changed, each field's confidence, whether the record was corrected.
// Items go through the engine with a provider outside us; expected values are written by hand.
import type { DecisionProvider, ExtractResult } from '@signoff/ai';
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow, type FieldConfidenceRecord } from '@signoff/core';
import { createSnapshot, writeSnapshot } from '@signoff/datasets';
import { purgeExpired, type SessionUser, SYSTEM, upsertUser } from '@signoff/governance';
import { accuracyOverTime, fieldAccuracy } from '@signoff/insights';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { collector } from '../support/collect';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { holdTask, routedItem } from '../support/review-points';

const record = z.object({
  legalName: z.string(),
  taxId: z.string(),
  annualSpend: z.number(),
  contact: z.string(),
});
type Vendor = z.infer<typeof record>;

const flow = (name: string, mode: 'delete' | 'anonymise') =>
  defineWorkflow({
    name,
    input: z.object({ doc: z.string() }),
    start: 'extract',
    retention: { days: 30, mode },
    states: {
      extract: {
        kind: 'decide',
        agent: { name: 'reader', instructions: 'Read the form.' },
        output: record,
        text: (ctx) => ctx.input.doc,
        policy: { autoAcceptAt: 0.5, queue: 'ret-vendors', fields: { taxId: { autoAcceptAt: 0.95 } } },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ vendor: ctx.extract.value }) },
    },
  });

/** The model outside us: the document is the record's JSON; the tax id at 0.5, the rest at 0.99. */
const provider: DecisionProvider = {
  name: 'local',
  async decide() {
    throw new Error('classification not used here');
  },
  async extract(_db, req): Promise<ExtractResult> {
    const fields: Record<string, FieldConfidenceRecord> = {};
    for (const f of ['legalName', 'annualSpend', 'contact'])
      fields[f] = { confidence: 0.99, score: Math.log(99), method: 'logprobs', note: 'quoted Secret Vendor' };
    fields.taxId = { confidence: 0.5, score: 0, method: 'self-consistency' };
    return {
      value: req.schema.parse(JSON.parse(req.text)),
      fields,
      confidence: 0.9,
      score: Math.log(9),
      confidenceMethod: 'logprobs',
      provider: 'local',
      model: 'reader',
      modelVersion: 'reader-v1',
      promptVersion: 'p1',
      inputHash: 'h',
      latencyMs: 1,
    };
  },
};

const AI: Vendor = {
  legalName: 'Secret Vendor GmbH',
  taxId: '98-7654321',
  annualSpend: 4200,
  contact: 'ap@secret.test',
};
const DAY = 86_400_000;
/** Strings of the records that must be nowhere once purged. */
const SECRETS = ['Secret Vendor', '98-765432', 'ap@secret.test'];

let t: TestDatabase;
let e: TestEngine;
let ann: SessionUser;
const ids = { deleted: '', anonymised: '', confirmed: '' };
let snapshotId = '';

async function corrected(workflow: string, value: Vendor | null): Promise<string> {
  const { itemId, tasks } = await routedItem(t, e, workflow, { doc: JSON.stringify(AI) });
  const task = tasks[0] as { id: string };
  await holdTask(t, e, task.id, ann.id);
  const api = createCallerFactory(appRouter)({
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    user: ann,
    token: 't',
  } as unknown as Context);
  await api.tasks.submit(
    value
      ? { taskId: task.id, verdict: 'correct', value, reason: 'The form says 98-7654329' }
      : { taskId: task.id, verdict: 'confirm' },
  );
  expect((await e.settle(itemId, ['succeeded', 'failed'])).status).toBe('succeeded');
  return itemId;
}

/** Every row of the item's tables as text, to look for what a purge must have removed. */
async function itemText(itemId: string): Promise<string> {
  const { rows } = await sql<{ t: string }>`
    SELECT concat_ws(' ',
      (SELECT string_agg(row_to_json(x)::text, ' ') FROM items x WHERE x.id = ${itemId}),
      (SELECT string_agg(row_to_json(x)::text, ' ') FROM state_runs x WHERE x.item_id = ${itemId}),
      (SELECT string_agg(row_to_json(x)::text, ' ') FROM decisions x WHERE x.item_id = ${itemId}),
      (SELECT string_agg(row_to_json(x)::text, ' ') FROM review_tasks x WHERE x.item_id = ${itemId}),
      (SELECT string_agg(row_to_json(r)::text, ' ') FROM reviews r JOIN review_tasks k ON k.id = r.task_id WHERE k.item_id = ${itemId}),
      (SELECT string_agg(row_to_json(x)::text, ' ') FROM labels x WHERE x.item_id = ${itemId}),
      (SELECT string_agg(row_to_json(s)::text, ' ') FROM dataset_snapshot_rows s JOIN labels l ON l.id = s.label_id WHERE l.item_id = ${itemId})) AS t`.execute(
    t.db,
  );
  return rows[0]?.t ?? '';
}

/** The item's audit events as text: append-only, so they must never have held the record. */
async function auditText(itemId: string): Promise<string> {
  const { rows } = await sql<{ t: string | null }>`
    SELECT string_agg(row_to_json(a)::text, ' ') AS t FROM audit_events a WHERE a.item_id = ${itemId}`.execute(t.db);
  return rows[0]?.t ?? '';
}

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [flow('ret-vendors', 'delete'), flow('ret-vendors-anon', 'anonymise')], { provider });
  ann = await upsertUser(t.db, { email: 'ann@ret-structured.test', name: 'Ann', role: 'reviewer', password: 'x' });
  await joinQueues(t.db, ann.id, ['ret-vendors']);
  const fixed = { ...AI, taxId: '98-7654329' };
  ids.deleted = await corrected('ret-vendors', fixed);
  ids.confirmed = await corrected('ret-vendors', null);
  ids.anonymised = await corrected('ret-vendors-anon', fixed);
  snapshotId = (
    await t.db.transaction().execute((trx) => createSnapshot(trx, { name: 'vendors', filters: {} }, SYSTEM))
  ).id;
  // Before the purge the records are there (the test below would pass on an empty row otherwise).
  expect(await itemText(ids.deleted)).toContain('Secret Vendor');
  const now = new Date(Date.now() + 31 * DAY);
  const r = await purgeExpired(t.db, { fallback: null, now });
  expect(r.workflows.map((w) => [w.workflow, w.items])).toEqual([
    ['ret-vendors', 2],
    ['ret-vendors-anon', 1],
  ]);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

describe('purging a structured item', () => {
  it('leaves no trace of the record in any of its rows, in either mode', async () => {
    for (const id of Object.values(ids)) {
      const text = await itemText(id);
      for (const secret of SECRETS) expect(text, `${id}: ${secret}`).not.toContain(secret);
    }
  });

  // Regression: `state.completed` of a structured decide state once named the record's canonical
  // JSON as `label`, in the append-only chain the purge cannot reach (fixed in the engine: a digest).
  it('its audit events never held the record (they keep digests)', async () => {
    for (const id of Object.values(ids)) {
      const text = await auditText(id);
      for (const secret of SECRETS) expect(text, `${id}: ${secret}`).not.toContain(secret);
    }
  });

  it('delete: labels, reviews and the decision keep a marker of the correction, the changed fields and the confidences', async () => {
    const label = await t.db
      .selectFrom('labels')
      .selectAll()
      .where('item_id', '=', ids.deleted)
      .executeTakeFirstOrThrow();
    expect(label).toMatchObject({
      ai_label: '[purged]',
      human_label: '[purged: corrected]',
      is_correction: true,
      changed_fields: ['taxId'],
      field_changes: [{ field: 'taxId' }],
      input_text: null,
      reason: null,
    });
    const confirmed = await t.db
      .selectFrom('labels')
      .selectAll()
      .where('item_id', '=', ids.confirmed)
      .executeTakeFirstOrThrow();
    expect(confirmed).toMatchObject({
      ai_label: '[purged]',
      human_label: '[purged]',
      changed_fields: [],
      field_changes: [],
    });
    const review = await sql<{ label: string }>`
      SELECT r.label FROM reviews r JOIN review_tasks k ON k.id = r.task_id WHERE k.item_id = ${ids.deleted}`.execute(
      t.db,
    );
    expect(review.rows).toEqual([{ label: '[purged: corrected]' }]);
    const d = await t.db
      .selectFrom('decisions')
      .select(['label', 'output', 'confidence'])
      .where('item_id', '=', ids.deleted)
      .executeTakeFirstOrThrow();
    expect(d.label).toBe('[purged]');
    expect(d.confidence).toBe(0.9);
    // The per-field records keep confidence, score and method; their note (which may quote the record) goes.
    expect(d.output).toEqual({
      label: '[purged]',
      fields: {
        legalName: { confidence: 0.99, score: Math.log(99), method: 'logprobs' },
        annualSpend: { confidence: 0.99, score: Math.log(99), method: 'logprobs' },
        contact: { confidence: 0.99, score: Math.log(99), method: 'logprobs' },
        taxId: { confidence: 0.5, score: 0, method: 'self-consistency' },
      },
    });
    const run = await t.db
      .selectFrom('state_runs')
      .select('output')
      .where('item_id', '=', ids.deleted)
      .where('state', '=', 'extract')
      .executeTakeFirstOrThrow();
    expect(run.output).toMatchObject({ label: '[purged: corrected]', decidedBy: 'human', changedFields: ['taxId'] });
    expect(run.output).not.toHaveProperty('value');
  });

  it('anonymise: the structure of the record stays, its strings go; the diff names the field with anonymised values', async () => {
    const label = await t.db
      .selectFrom('labels')
      .selectAll()
      .where('item_id', '=', ids.anonymised)
      .executeTakeFirstOrThrow();
    expect(label).toMatchObject({
      ai_label: '[purged]',
      human_label: '[purged: corrected]',
      changed_fields: ['taxId'],
      field_changes: [{ field: 'taxId', ai: '[anonymised]', human: '[anonymised]' }],
    });
    const d = await t.db
      .selectFrom('decisions')
      .select(['label', 'output'])
      .where('item_id', '=', ids.anonymised)
      .executeTakeFirstOrThrow();
    expect(d.label).toBe('[purged]');
    expect((d.output as { value: unknown }).value).toEqual({
      legalName: '[anonymised]',
      taxId: '[anonymised]',
      annualSpend: 4200,
      contact: '[anonymised]',
    });
    expect((d.output as { label: unknown }).label).toBe('[purged]');
  });

  it('keeps what the dashboards count: per-field and whole-record accuracy are as before the purge', async () => {
    const window = { from: new Date(Date.now() - DAY).toISOString(), to: new Date(Date.now() + DAY).toISOString() };
    // Routed (the tax id below 0.95): the deleted item's tax id corrected, the confirmed one's not.
    const points = await fieldAccuracy(t.db, { ...window, workflow: 'ret-vendors', bucket: 'week' });
    const byField = Object.fromEntries(points.map((p) => [p.field, p.routed]));
    expect(byField.taxId).toMatchObject({ labelled: 2, wrong: 1 });
    expect(byField.legalName).toMatchObject({ labelled: 2, wrong: 0 });
    const whole = await accuracyOverTime(t.db, { ...window, workflow: 'ret-vendors', bucket: 'week' });
    expect(whole.map((p) => p.routed)).toEqual([expect.objectContaining({ labelled: 2, wrong: 1 })]);
  });

  it('exports the purged rows of a snapshot without their records', async () => {
    const { sink, bytes } = collector();
    await writeSnapshot(t.db, snapshotId, { format: 'jsonl', includePii: true }, sink);
    const rows = bytes()
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).toMatchObject({ fields: null, ai_fields: null, input_text: null });
      expect(JSON.stringify(r)).not.toContain('Secret Vendor');
    }
    expect(rows.map((r) => r.changed_fields)).toEqual([['taxId'], [], ['taxId']]);
  });
});
