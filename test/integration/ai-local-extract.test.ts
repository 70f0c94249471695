// The built-in extractor on real PostgreSQL (issue 13, point 3: offline structured decisions):
// a structured workflow runs on the local provider with no endpoint; a reviewer's corrections
// become labels the extractor learns from, so the next form of the same layout is read right and
// says so; seed examples whose label is a JSON object teach it too; a schema it cannot satisfy and
// an aborted call are clear errors. Expected values are written by hand from the forms.
import { createLocalProvider, type ExtractRequest, LOCAL_EXTRACTOR_MODEL } from '@signoff/ai';
import {
  type AppErrorCode,
  defineWorkflow,
  type FieldConfidenceRecord,
  isAppError,
  outputFields,
  outputJsonSchema,
} from '@signoff/core';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { apiAs } from '../support/leads';
import { joinQueues } from '../support/queue-members';
import { holdTask, routedItem } from '../support/review-points';

const vendor = z.object({
  legalName: z.string(),
  taxId: z.string().describe('Taxpayer identification number'),
  entityType: z.enum(['llc', 'c_corp', 'partnership']),
  annualSpend: z.number(),
  email: z.string().nullable(),
});
type Vendor = z.infer<typeof vendor>;

const AGENT = { name: 'w9-reader', instructions: 'Read the vendor tax form.' };
const flow = defineWorkflow({
  name: 'offline-vendors',
  input: z.object({ doc: z.string() }),
  start: 'extract',
  states: {
    extract: {
      kind: 'decide',
      agent: AGENT,
      output: vendor,
      text: (ctx) => ctx.input.doc,
      // Every record goes to a person: what this test is about is what they teach.
      policy: { autoAcceptAt: 0.999, queue: 'vendor-forms' },
      next: 'done',
    },
    done: { kind: 'final', status: 'succeeded', output: (ctx) => ({ vendor: ctx.extract.value }) },
  },
});

/**
 * One vendor's form in its own layout: its tax id after "Fed. reg. no.", a purchase file number like
 * one before it (`n` below 60, for two-digit EIN prefixes).
 */
function vendorForm(n: number): { text: string; truth: Vendor } {
  const taxId = `${40 + n}-${7_000_000 + n}`;
  const legalName = `Vendor ${n} LLC`;
  const text = [
    'Vendor registration',
    `Legal name: ${legalName}`,
    `Ref no ${10 + n}-1111111 (purchase file)`,
    `Fed. reg. no. ${taxId}`,
    'Entity type: LLC',
    `Annual spend: $${n},250.00`,
    `E-mail: ap@vendor${n}.example`,
  ].join('\n');
  return {
    text,
    truth: { legalName, taxId, entityType: 'llc', annualSpend: n * 1000 + 250, email: `ap@vendor${n}.example` },
  };
}

let t: TestDatabase;
let e: TestEngine;
let ann: SessionUser;

beforeAll(async () => {
  t = await createTestDatabase();
  // refreshMs 0: every extraction asks whether labels arrived, so the next item sees the last verdict.
  e = await startTestEngine(t, [flow], { provider: createLocalProvider({ refreshMs: 0 }) });
  ann = await upsertUser(t.db, {
    email: 'ann@extract.test',
    name: 'Ann',
    role: 'reviewer',
    password: 'correct horse battery',
  });
  await joinQueues(t.db, ann.id, ['vendor-forms']);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

const caller = (user: SessionUser) => apiAs(t, e, user);

async function decisionOf(itemId: string) {
  const d = await t.db
    .selectFrom('decisions')
    .select(['output', 'model', 'model_version', 'confidence', 'confidence_method', 'provider'])
    .where('item_id', '=', itemId)
    .executeTakeFirstOrThrow();
  return { ...d, output: d.output as { value: Vendor; fields: Record<string, FieldConfidenceRecord> } };
}

describe('the local provider extracting offline', () => {
  it('reads a form, and once a reviewer corrected the tax id of that layout a few times, reads it right', async () => {
    const first = vendorForm(1);
    const routed = await routedItem(t, e, 'offline-vendors', { doc: first.text });
    const d = await decisionOf(routed.itemId);
    expect(d.provider).toBe('local');
    expect(d.model).toBe(LOCAL_EXTRACTOR_MODEL);
    expect(d.model_version).toBe('lx-1');
    expect(d.confidence_method).toBe('posterior');
    // The rules read the labelled fields, and take the first of the two tax ids: the file number.
    expect(d.output.value).toEqual({ ...first.truth, taxId: '11-1111111' });
    expect(d.output.fields.taxId).toEqual({
      confidence: 0.4,
      score: Math.log(0.8 / 1.2),
      method: 'posterior',
      note: 'the first tax id in the text (of several): no past labels, prior 0.40',
    });
    // A label sharing both name words: prior 0.55 + 0.3.
    expect(d.output.fields.legalName?.note).toBe('after "legal name": no past labels, prior 0.85');
    // Overall: the product of the five fields' confidences.
    const product = Object.values(d.output.fields).reduce((p, f) => p * f.confidence, 1);
    expect(d.confidence).toBeCloseTo(product, 12);

    // The reviewer goes through this form and seven more of the layout: correcting the tax id
    // while the extractor reads the file number, confirming once it reads the right one.
    const verdicts: string[] = [];
    let itemId = routed.itemId;
    let taskId = routed.tasks[0]?.id as string;
    for (let n = 1; ; n++) {
      const form = vendorForm(n);
      const read = (await decisionOf(itemId)).output.value;
      await holdTask(t, e, taskId, ann.id);
      if (read.taxId === form.truth.taxId) {
        await caller(ann).tasks.submit({ taskId, verdict: 'confirm' });
        verdicts.push('confirm');
      } else {
        await caller(ann).tasks.submit({
          taskId,
          verdict: 'correct',
          value: form.truth,
          reason: 'EIN is the reg. no.',
        });
        verdicts.push('correct');
      }
      if (n === 8) break;
      const nextItem = await routedItem(t, e, 'offline-vendors', { doc: vendorForm(n + 1).text });
      itemId = nextItem.itemId;
      taskId = nextItem.tasks[0]?.id as string;
    }
    expect(verdicts[0]).toBe('correct');
    expect(verdicts.at(-1)).toBe('confirm');
    // Once it read right, it stayed right.
    expect(verdicts.indexOf('confirm')).toBe(verdicts.filter((v) => v === 'correct').length);
    const labels = await t.db
      .selectFrom('labels')
      .select(['changed_fields'])
      .where('agent', '=', AGENT.name)
      .orderBy('created_at')
      .execute();
    expect(labels.map((l) => l.changed_fields)).toEqual(verdicts.map((v) => (v === 'correct' ? ['taxId'] : [])));

    const next = vendorForm(9);
    const learnt = await decisionOf((await routedItem(t, e, 'offline-vendors', { doc: next.text })).itemId);
    expect(learnt.output.value).toEqual(next.truth);
    // Learnt either the phrase before it or that it is the last of the two (both right on this
    // layout): which one depends on which half of the labels chose the order (see isMeasuring).
    expect(learnt.output.fields.taxId?.note).toMatch(
      /^(after "(fed )?reg no"|the last tax id in the text \(of several\)): right on \d of \d past labels$/,
    );
    expect(learnt.output.fields.taxId?.confidence).toBeGreaterThan(0.6);
  });

  const request = (text: string, schema: z.ZodObject = vendor, name = AGENT.name): ExtractRequest => ({
    agent: { ...AGENT, name },
    schema,
    fields: outputFields(schema),
    jsonSchema: outputJsonSchema(schema),
    text,
  });

  it('learns from seed examples whose label is the JSON of the object', async () => {
    const agent = 'seeded-reader';
    const forms = Array.from({ length: 12 }, (_, i) => vendorForm(20 + i));
    await t.db
      .insertInto('seed_examples')
      .values(forms.map((f) => ({ agent, text: f.text, label: JSON.stringify(f.truth) })))
      .execute();
    const r = await createLocalProvider().extract?.(t.db, request(vendorForm(40).text, vendor, agent));
    expect(r?.value).toEqual(vendorForm(40).truth);
    expect(r?.fields.taxId?.note).toMatch(/^after "(fed )?reg no": right on \d+ of \d+ past labels$/);
  });

  async function expectAppError(p: Promise<unknown> | undefined, code: AppErrorCode, message: RegExp) {
    const err = await (p ?? Promise.reject(new Error('no extract'))).then(
      () => new Error('expected the call to fail'),
      (x: unknown) => x,
    );
    expect(isAppError(err) ? `${err.code}: ${err.message}` : String(err)).toMatch(
      new RegExp(`^${code}: .*${message.source}`),
    );
  }

  it('says which field the schema refused when nothing it reads fits, and honours an abort', async () => {
    const strict = z.object({ taxId: z.string().regex(/^\d{2}-\d{7}$/), legalName: z.string() });
    const local = createLocalProvider();
    await expectAppError(
      local.extract?.(t.db, request('Legal name: No Id Ltd', strict, 'strict-reader')),
      'AI_INVALID_OUTPUT',
      /taxId: /,
    );
    const aborted = new AbortController();
    aborted.abort(new Error('caller gave up'));
    await expectAppError(
      local.extract?.(t.db, { ...request('Legal name: X', strict, 'strict-reader'), signal: aborted.signal }),
      'AI_UNAVAILABLE',
      /aborted by the caller/,
    );
  });

  it('leaves a nullable field null when the form has none, and drops an optional one', async () => {
    const schema = z.object({ email: z.string().nullable(), phone: z.string().optional(), legalName: z.string() });
    const r = await createLocalProvider().extract?.(t.db, request('Legal name: Quiet Co', schema, 'sparse-reader'));
    expect(r?.value).toEqual({ email: null, legalName: 'Quiet Co' });
    expect(r?.fields.email?.note).toBe('no value found: no past labels, prior 0.30');
  });

  it('keeps what it learnt until refreshMs has passed, then relearns from the labels that arrived', async () => {
    const agent = 'cached-reader';
    let clock = 0;
    const local = createLocalProvider({ refreshMs: 1000, now: () => clock });
    const form = vendorForm(50);
    const before = await local.extract?.(t.db, request(form.text, vendor, agent));
    expect(before?.fields.taxId?.note).toBe('the first tax id in the text (of several): no past labels, prior 0.40');
    await t.db
      .insertInto('seed_examples')
      .values(
        Array.from({ length: 12 }, (_, i) => vendorForm(30 + i)).map((f) => ({
          agent,
          text: f.text,
          label: JSON.stringify(f.truth),
        })),
      )
      .execute();
    clock = 999;
    const cached = await local.extract?.(t.db, request(form.text, vendor, agent));
    expect(cached?.fields.taxId?.note).toBe(before?.fields.taxId?.note);
    clock = 1000;
    const relearnt = await local.extract?.(t.db, request(form.text, vendor, agent));
    expect(relearnt?.value.taxId).toBe(form.truth.taxId);
    expect(relearnt?.rationale).toMatch(/learnt from 12 labelled documents/);
  });
});
