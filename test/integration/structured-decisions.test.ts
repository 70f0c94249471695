// Structured decisions through the engine on real PostgreSQL (issue 13, points 1, 2 and 4): a decide
// state's agent answers with an object its zod schema describes; the decision keeps the object and
// each field's confidence and method; a field below its own threshold, or a risk rule on a field's
// value, sends it to review (two reviewers for a large amount); the reviewer's corrected object is
// checked by the schema, its label keeps the field-level diff, and the item resumes with the
// corrected record. The provider is a model outside us, answering what each test's text spells out.
// Expected values are written by hand.
import type { DecisionProvider, ExtractResult } from '@signoff/ai';
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { type AppError, defineWorkflow, type FieldConfidenceRecord, structuredLabel } from '@signoff/core';
import { getTaskView } from '@signoff/engine';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { holdTask, routedItem } from '../support/review-points';

const vendor = z.object({
  legalName: z.string().min(1),
  taxId: z.string().regex(/^\d{2}-\d{7}$/),
  entity: z.enum(['llc', 'corporation', 'sole_proprietor']),
  w9Signed: z.boolean(),
  annualSpend: z.number().nonnegative(),
  address: z.object({ city: z.string(), country: z.string().length(2) }),
  clauses: z.array(z.string()),
  note: z.string().meta({ draft: true }),
  contact: z.string(),
});
type Vendor = z.infer<typeof vendor>;

const flow = defineWorkflow({
  name: 'structured-vendors',
  input: z.object({ doc: z.string() }),
  start: 'extract',
  states: {
    extract: {
      kind: 'decide',
      agent: { name: 'tax-form-reader', instructions: 'Read the tax form.' },
      output: vendor,
      text: (ctx) => ctx.input.doc,
      policy: {
        autoAcceptAt: 0.5,
        queue: 'vendors',
        fields: { taxId: { autoAcceptAt: 0.95 } },
        risks: [
          {
            name: 'large-spend',
            reason: 'Annual spend over 10,000 needs two reviewers',
            fields: ['annualSpend'],
            reviewers: 2,
            when: (_ctx, answer) => answer.value.annualSpend > 10_000,
          },
        ],
      },
      next: 'create',
    },
    create: {
      kind: 'final',
      status: 'succeeded',
      output: (ctx) => ({ vendor: ctx.extract.value, changed: ctx.extract.changedFields ?? [] }),
    },
  },
});

const BASE: Vendor = {
  legalName: 'Acme Tools LLC',
  taxId: '12-3456789',
  entity: 'llc',
  w9Signed: true,
  annualSpend: 4200,
  address: { city: 'Austin', country: 'US' },
  clauses: ['net 30'],
  note: 'Looks complete.',
  contact: 'ap@acme.example',
};
const LEAVES = [
  'legalName',
  'taxId',
  'entity',
  'w9Signed',
  'annualSpend',
  'address.city',
  'address.country',
  'clauses',
  'note',
  'contact',
];

/**
 * The model outside us: the document is JSON `{ value, taxIdConfidence }`; every other field at
 * 0.99 by logprobs, the tax id by sampling agreement.
 */
const provider: DecisionProvider = {
  name: 'local',
  async decide() {
    throw new Error('classification not used here');
  },
  async extract(_db, req): Promise<ExtractResult> {
    const doc = JSON.parse(req.text) as { value: Vendor; taxIdConfidence: number };
    const fields: Record<string, FieldConfidenceRecord> = {};
    for (const f of LEAVES) fields[f] = { confidence: 0.99, score: Math.log(99), method: 'logprobs' };
    const c = doc.taxIdConfidence;
    fields.taxId = { confidence: c, score: Math.log(c / (1 - c)), method: 'self-consistency' };
    return {
      value: req.schema.parse(doc.value),
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

let t: TestDatabase;
let e: TestEngine;
let ann: SessionUser;
let bob: SessionUser;

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [flow], { provider });
  const user = (email: string, name: string) =>
    upsertUser(t.db, { email, name, role: 'reviewer', password: 'correct horse battery' });
  ann = await user('ann@structured.test', 'Ann');
  bob = await user('bob@structured.test', 'Bob');
  for (const u of [ann, bob]) await joinQueues(t.db, u.id, ['vendors']);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

const doc = (value: Vendor, taxIdConfidence = 0.99) => ({ doc: JSON.stringify({ value, taxIdConfidence }) });
const caller = (user: SessionUser) =>
  createCallerFactory(appRouter)({
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    user,
    token: 't',
  } as unknown as Context);

async function eventsOf(itemId: string) {
  const rows = await t.db.selectFrom('audit_events').select(['action', 'data']).where('item_id', '=', itemId).execute();
  return rows as { action: string; data: Record<string, unknown> }[];
}

async function finished(itemId: string) {
  const item = await e.settle(itemId, ['succeeded', 'failed']);
  return item;
}

describe('a structured decide state', () => {
  it('auto-accepts a record whose fields are all above their thresholds, keeping the object and each field’s confidence', async () => {
    const id = await e.submit('structured-vendors', doc(BASE));
    const item = await finished(id);
    expect(item.status).toBe('succeeded');
    expect((item.context.extract as { value: Vendor }).value).toEqual(BASE);
    const d = await t.db
      .selectFrom('decisions')
      .select(['label', 'output', 'route', 'confidence', 'confidence_method'])
      .where('item_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(d.route).toBe('auto');
    // The label is the canonical JSON of the object: keys sorted, no spaces.
    expect(d.label).toBe(
      '{"address":{"city":"Austin","country":"US"},"annualSpend":4200,"clauses":["net 30"],"contact":"ap@acme.example","entity":"llc","legalName":"Acme Tools LLC","note":"Looks complete.","taxId":"12-3456789","w9Signed":true}',
    );
    expect(d.confidence).toBe(0.9);
    expect(d.confidence_method).toBe('logprobs');
    const out = d.output as { value: Vendor; fields: Record<string, FieldConfidenceRecord> };
    expect(out.value).toEqual(BASE);
    expect(out.fields['address.city']).toEqual({ confidence: 0.99, score: Math.log(99), method: 'logprobs' });
    expect(out.fields.taxId?.method).toBe('self-consistency');
    // The audit event keeps digests and confidences, not the record.
    const ev = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('item_id', '=', id)
      .where('action', '=', 'decision.made')
      .executeTakeFirstOrThrow();
    const data = ev.data as Record<string, unknown>;
    expect(data.label).toBeNull();
    expect(JSON.stringify(await eventsOf(id))).not.toContain('12-3456789');
    expect((data.fieldConfidence as Record<string, unknown>).taxId).toEqual({
      confidence: 0.99,
      method: 'self-consistency',
    });
  });

  it('sends a record to review when its tax id is below 0.95, naming the field, however sure the rest is', async () => {
    const { itemId, tasks } = await routedItem(t, e, 'structured-vendors', doc(BASE, 0.94));
    expect(tasks).toHaveLength(1);
    const reasons = tasks[0]?.reasons as { code: string; fields?: string[] }[];
    expect(reasons).toEqual([expect.objectContaining({ code: 'low_field_confidence', fields: ['taxId'] })]);
    const view = await getTaskView(t.db, tasks[0]?.id as string);
    expect(view.structured?.flagged).toEqual(['taxId']);
    expect(view.structured?.thresholds).toEqual({ taxId: 0.95 });
    expect(view.structured?.aiValue).toEqual(BASE);
    expect(view.structured?.fieldConfidence.taxId?.confidence).toBe(0.94);
    expect(view.structured?.fields.map((f) => f.path)).toEqual([
      'legalName',
      'taxId',
      'entity',
      'w9Signed',
      'annualSpend',
      'address',
      'clauses',
      'note',
      'contact',
    ]);
    expect(view.structured?.fields.find((f) => f.path === 'note')?.type).toBe('text');
    expect(view.structured?.fields.find((f) => f.path === 'entity')?.options).toEqual([
      'llc',
      'corporation',
      'sole_proprietor',
    ]);
    // Exactly at the threshold is accepted (at or above).
    const at = await e.submit('structured-vendors', doc({ ...BASE, legalName: 'At Threshold LLC' }, 0.95));
    expect((await finished(at)).status).toBe('succeeded');
    expect(itemId).toBeTruthy();
  });

  it('needs two reviewers when the annual spend is over 10,000, and not at 10,000', async () => {
    const big = await routedItem(t, e, 'structured-vendors', doc({ ...BASE, annualSpend: 10_001 }));
    expect(big.tasks).toHaveLength(2);
    expect(big.tasks.map((x) => x.reviewers_required)).toEqual([2, 2]);
    expect(big.tasks[0]?.reasons).toEqual([
      expect.objectContaining({ code: 'risk_rule', rule: 'large-spend', fields: ['annualSpend'] }),
    ]);
    const edge = await e.submit('structured-vendors', doc({ ...BASE, annualSpend: 10_000 }));
    expect((await finished(edge)).status).toBe('succeeded');
  });
});

describe('a reviewer correcting a structured record', () => {
  it('resumes the item with the corrected record; the label keeps the object, the changed fields and who changed them', async () => {
    const { itemId, tasks } = await routedItem(t, e, 'structured-vendors', doc(BASE, 0.5));
    const task = tasks[0] as { id: string };
    await holdTask(t, e, task.id, ann.id);
    const corrected = { ...BASE, taxId: '12-3456780', address: { city: 'Dallas', country: 'US' } };
    const r = await caller(ann).tasks.submit({
      taskId: task.id,
      verdict: 'correct',
      value: corrected,
      reason: 'The form says Dallas, and the last digit is 0',
    });
    expect(r.itemId).toBe(itemId);
    const item = await finished(itemId);
    expect(item.status).toBe('succeeded');
    const final = (item.context.create ?? {}) as Record<string, unknown>;
    expect(final).toEqual({ vendor: corrected, changed: ['taxId', 'address.city'] });
    const label = await t.db.selectFrom('labels').selectAll().where('item_id', '=', itemId).executeTakeFirstOrThrow();
    expect(label.is_correction).toBe(true);
    expect(label.reviewer_id).toBe(ann.id);
    expect(JSON.parse(label.human_label)).toEqual(corrected);
    expect(JSON.parse(label.ai_label as string)).toEqual(BASE);
    expect(label.changed_fields).toEqual(['taxId', 'address.city']);
    expect(label.field_changes).toEqual([
      { field: 'taxId', ai: '12-3456789', human: '12-3456780' },
      { field: 'address.city', ai: 'Austin', human: 'Dallas' },
    ]);
    const ev = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('item_id', '=', itemId)
      .where('action', '=', 'review.submitted')
      .executeTakeFirstOrThrow();
    expect((ev.data as Record<string, unknown>).changedFields).toEqual(['taxId', 'address.city']);
    // No event of the item's trail holds the record: the AI's or the person's.
    const trail = JSON.stringify(await eventsOf(itemId));
    for (const v of ['Dallas', 'Austin', '12-3456780', '12-3456789', 'Acme Tools']) expect(trail).not.toContain(v);
    const completed = (await eventsOf(itemId)).find(
      (x) => x.action === 'state.completed' && x.data.state === 'extract',
    );
    expect(completed?.data.changedFields).toEqual(['taxId', 'address.city']);
    expect(completed?.data.label).toBeUndefined();
  });

  it('keeps the personal data of fields the reviewer left alone, which the console shows masked', async () => {
    const { itemId, tasks } = await routedItem(
      t,
      e,
      'structured-vendors',
      doc({ ...BASE, legalName: 'Masked Co' }, 0.5),
    );
    const taskId = tasks[0]?.id as string;
    await holdTask(t, e, taskId, ann.id);
    const view = await caller(ann).tasks.get({ taskId });
    const shown = view.structured?.aiValue as Vendor;
    expect(shown.contact).toBe('[email]');
    await caller(ann).tasks.submit({
      taskId,
      verdict: 'correct',
      value: { ...shown, taxId: '98-7654321' },
      reason: 'the EIN on the form',
    });
    await finished(itemId);
    const label = await t.db
      .selectFrom('labels')
      .select(['human_label', 'changed_fields'])
      .where('item_id', '=', itemId)
      .executeTakeFirstOrThrow();
    expect(label.changed_fields).toEqual(['taxId']);
    expect(JSON.parse(label.human_label).contact).toBe('ap@acme.example');
  });

  it('records a confirmed record with no changed fields', async () => {
    const { itemId, tasks } = await routedItem(t, e, 'structured-vendors', doc({ ...BASE, legalName: 'Kept Co' }, 0.5));
    await holdTask(t, e, tasks[0]?.id as string, ann.id);
    await caller(ann).tasks.submit({ taskId: tasks[0]?.id as string, verdict: 'confirm' });
    const item = await finished(itemId);
    expect(item.context.create).toEqual({ vendor: { ...BASE, legalName: 'Kept Co' }, changed: [] });
    const label = await t.db
      .selectFrom('labels')
      .select(['is_correction', 'changed_fields', 'field_changes'])
      .where('item_id', '=', itemId)
      .executeTakeFirstOrThrow();
    expect(label).toEqual({ is_correction: false, changed_fields: [], field_changes: [] });
  });

  it('refuses a record the schema does not accept, naming the field, and changes nothing', async () => {
    const { itemId, tasks } = await routedItem(
      t,
      e,
      'structured-vendors',
      doc({ ...BASE, legalName: 'Bad Input' }, 0.5),
    );
    const taskId = tasks[0]?.id as string;
    await holdTask(t, e, taskId, ann.id);
    const bad = async (value: Record<string, unknown>, verdict: 'correct' | 'answer' = 'correct') => {
      try {
        await caller(ann).tasks.submit({ taskId, verdict, value, reason: 'fixing it' });
        return 'accepted';
      } catch (err) {
        const cause = (err as { cause?: AppError }).cause;
        return `${(err as { code?: string }).code} ${JSON.stringify(cause?.issues ?? (err as Error).message)}`;
      }
    };
    expect(await bad({ ...BASE, legalName: 'Bad Input', annualSpend: 'lots' })).toMatch(
      /BAD_REQUEST.*value\.annualSpend/,
    );
    expect(await bad({ ...BASE, legalName: 'Bad Input', entity: 'partnership' })).toMatch(/BAD_REQUEST.*value\.entity/);
    expect(await bad({ ...BASE, legalName: 'Bad Input', address: { city: 'Austin', country: 'USA' } })).toMatch(
      /BAD_REQUEST.*value\.address\.country/,
    );
    // A "correction" that changes nothing is a confirm.
    expect(await bad({ ...BASE, legalName: 'Bad Input' })).toMatch(/BAD_REQUEST.*value/);
    // Correcting without a record at all.
    await expect(
      caller(ann).tasks.submit({ taskId, verdict: 'correct', reason: 'no record given' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const after = await t.db
      .selectFrom('review_tasks')
      .select('status')
      .where('id', '=', taskId)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('claimed');
    const labels = await t.db.selectFrom('labels').select('id').where('item_id', '=', itemId).execute();
    expect(labels).toEqual([]);
  });

  it('resumes a two-reviewer point whose reviewers give the same record, and adjudicates different ones', async () => {
    const agree = await routedItem(
      t,
      e,
      'structured-vendors',
      doc({ ...BASE, legalName: 'Agree Co', annualSpend: 20_000 }),
    );
    const fixed = { ...BASE, legalName: 'Agree Co', annualSpend: 20_000, w9Signed: false };
    await holdTask(t, e, agree.tasks[0]?.id as string, ann.id);
    await holdTask(t, e, agree.tasks[1]?.id as string, bob.id);
    // Keys in another order are the same record.
    const reordered = Object.fromEntries(Object.entries(fixed).reverse());
    await caller(ann).tasks.submit({
      taskId: agree.tasks[0]?.id as string,
      verdict: 'correct',
      value: fixed,
      reason: 'not signed',
    });
    await caller(bob).tasks.submit({
      taskId: agree.tasks[1]?.id as string,
      verdict: 'correct',
      value: reordered,
      reason: 'no signature',
    });
    const item = await finished(agree.itemId);
    expect(item.context.create).toEqual({ vendor: fixed, changed: ['w9Signed'] });

    const differ = await routedItem(
      t,
      e,
      'structured-vendors',
      doc({ ...BASE, legalName: 'Differ Co', annualSpend: 20_000 }),
    );
    await holdTask(t, e, differ.tasks[0]?.id as string, ann.id);
    await holdTask(t, e, differ.tasks[1]?.id as string, bob.id);
    await caller(ann).tasks.submit({ taskId: differ.tasks[0]?.id as string, verdict: 'confirm' });
    const r = await caller(bob).tasks.submit({
      taskId: differ.tasks[1]?.id as string,
      verdict: 'correct',
      value: { ...BASE, legalName: 'Differ Co', annualSpend: 2_000 },
      reason: 'spend is 2,000',
    });
    expect(r.adjudication).toBe(true);
    const labels = await t.db
      .selectFrom('labels')
      .select(['human_label', 'final', 'changed_fields'])
      .where('item_id', '=', differ.itemId)
      .orderBy('created_at')
      .execute();
    expect(labels.map((l) => [l.final, l.changed_fields])).toEqual([
      [false, []],
      [false, ['annualSpend']],
    ]);
    expect(labels[1]?.human_label).toBe(structuredLabel({ ...BASE, legalName: 'Differ Co', annualSpend: 2_000 }));
  });
});
