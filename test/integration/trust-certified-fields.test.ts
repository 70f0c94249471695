// Certified fields end to end on real PostgreSQL and workers (issue 13): a structured state whose
// tax id field declares certified auto-accept routes every record to a person until the field has a
// certificate; the field's fair labels (a field is wrong when the reviewer changed it, whatever they
// did to other fields) certify a threshold on the field's score; applied, it lets records through
// on that field, audited; the accuracy report has a row per field; the field's drift guard pauses it
// when audit samples show reviewers changing the tax id; the API certifies, reports and resumes by
// field and names a field that declares nothing. The provider is a model outside us, answering what
// each test's document spells out. Expected values are written by hand.
import type { DecisionProvider, ExtractResult } from '@signoff/ai';
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import type { FieldConfidenceRecord } from '@signoff/core';
import { claimNextTask, submitVerdict } from '@signoff/engine';
import { type SessionUser, upsertUser } from '@signoff/governance';
import {
  accuracyReport,
  certifyState,
  createPolicySource,
  evaluateDriftGuards,
  findPolicyInForce,
  trustOverview,
} from '@signoff/trust';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { FIELD_VENDORS, FIELD_VENDORS_QUEUE, fieldVendorsFlow, type VendorRecord } from '../support/field-vendors';
import { joinQueues } from '../support/queue-members';
import { runSignoff } from '../support/signoff-cli';

const WORKFLOW = FIELD_VENDORS;
const QUEUE = FIELD_VENDORS_QUEUE;
type Rec = VendorRecord;
// At most 5% of auto-accepted tax ids wrong, 95% sure: 59 fair labels, all right, certify.
const flow = fieldVendorsFlow({
  autoAcceptAt: 0.5,
  sampleRate: 0.5,
  fields: { taxId: { autoAccept: { maxError: 0.05, confidence: 0.95 } } },
});

/** The document: what the model reads (`ai`), the truth a reviewer knows, the tax id's confidence. */
interface Doc {
  ai: Rec;
  truth: Rec;
  c: number;
}
const logit = (c: number) => Math.log(c / (1 - c));

const provider: DecisionProvider = {
  name: 'local',
  async decide() {
    throw new Error('classification not used here');
  },
  async extract(_db, req): Promise<ExtractResult> {
    const doc = JSON.parse(req.text) as Doc;
    const fields: Record<string, FieldConfidenceRecord> = {
      taxId: { confidence: doc.c, score: logit(doc.c), method: 'self-consistency' },
      amount: { confidence: 0.99, score: logit(0.99), method: 'logprobs' },
      name: { confidence: 0.99, score: logit(0.99), method: 'logprobs' },
    };
    return {
      value: req.schema.parse(doc.ai),
      fields,
      confidence: 0.9,
      score: logit(0.9),
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
let reviewer: SessionUser;
let admin: SessionUser;
const actor = { type: 'system' as const, id: 'test' };

beforeAll(async () => {
  t = await createTestDatabase();
  e = await startTestEngine(t, [flow], { provider, policies: createPolicySource({ refreshMs: 0 }) });
  reviewer = await upsertUser(t.db, { email: 'fields@test', name: 'Fiel Dee', role: 'reviewer', password: 'x' });
  admin = await upsertUser(t.db, { email: 'admin@fields.test', name: 'Ad Min', role: 'admin', password: 'x' });
  await joinQueues(t.db, reviewer.id, [QUEUE]);
});
afterAll(async () => {
  await e?.stop();
  await t?.drop();
});

const caller = (user: SessionUser) =>
  createCallerFactory(appRouter)({
    db: t.db,
    boss: e.boss,
    registry: e.registry,
    user,
    token: 't',
  } as unknown as Context);

const truthOf = (i: number): Rec => ({ taxId: `12-${String(1_000_000 + i)}`, amount: 100 + i, name: `Vendor ${i}` });

/** Submits documents and waits until each is waiting for a person or done. */
async function submit(docs: Doc[]) {
  const ids: string[] = [];
  for (const d of docs) ids.push(await e.submit(WORKFLOW, { doc: JSON.stringify(d) }));
  for (const id of ids) await e.settle(id, ['waiting', 'succeeded']);
  return ids;
}

/** Answers every open task of the queue with the document's truth: confirm, or correct the fields that differ. */
async function answerAll(): Promise<number> {
  let answered = 0;
  for (;;) {
    const task = await t.db.transaction().execute((trx) => claimNextTask(trx, e, reviewer, QUEUE));
    if (!task) return answered;
    const item = await t.db
      .selectFrom('items')
      .select('input')
      .where('id', '=', task.item_id)
      .executeTakeFirstOrThrow();
    const doc = JSON.parse((item.input as { doc: string }).doc) as Doc;
    const same = JSON.stringify(doc.ai) === JSON.stringify(doc.truth);
    await t.db
      .transaction()
      .execute((trx) =>
        submitVerdict(
          trx,
          e,
          reviewer.id,
          same
            ? { taskId: task.id, verdict: 'confirm' }
            : { taskId: task.id, verdict: 'correct', value: doc.truth, reason: 'the form says otherwise' },
        ),
      );
    answered++;
  }
}

async function decisionsOf(ids: string[]) {
  return t.db
    .selectFrom('decisions')
    .select(['item_id', 'route', 'reasons', 'audit_probability', 'output'])
    .where('item_id', 'in', ids)
    .execute();
}

describe('a certified field', () => {
  it('is declared at registration and sends every record to a person until it is certified', async () => {
    expect(await findPolicyInForce(t.db, WORKFLOW, 'extract', 'taxId')).toMatchObject({
      field: 'taxId',
      version: 1,
      status: 'uncertified',
      maxError: 0.05,
      confidence: 0.95,
      auditRate: 0.5,
    });
    // The state itself declares no certified auto-accept: only its field does.
    expect(await findPolicyInForce(t.db, WORKFLOW, 'extract')).toBeUndefined();
    // 60 sure tax ids, all right (a third of them with a wrong name); 10 unsure ones, half of them wrong.
    const docs: Doc[] = [];
    for (let i = 0; i < 60; i++)
      docs.push({ ai: { ...truthOf(i), ...(i % 3 === 0 ? { name: 'Wrong Name' } : {}) }, truth: truthOf(i), c: 0.99 });
    for (let i = 60; i < 70; i++)
      docs.push({ ai: { ...truthOf(i), ...(i % 2 === 1 ? { taxId: '99-9999999' } : {}) }, truth: truthOf(i), c: 0.6 });
    const ids = await submit(docs);
    const decisions = await decisionsOf(ids);
    expect(decisions).toHaveLength(70);
    for (const d of decisions) {
      expect(d.route).toBe('review');
      expect(d.audit_probability).toBe(1);
      expect(d.reasons).toEqual([expect.objectContaining({ code: 'uncertified', fields: ['taxId'] })]);
    }
    expect(await answerAll()).toBe(70);
  });

  it('certifies on whether reviewers changed that field, not the record: 60 sure tax ids kept, none changed', async () => {
    const report = await certifyState(t.db, {
      workflow: WORKFLOW,
      state: 'extract',
      field: 'taxId',
      actor,
      apply: true,
      reason: 'enough fair labels',
    });
    expect(report.key).toMatchObject({
      field: 'taxId',
      confidenceMethod: 'self-consistency',
      modelVersion: 'reader-v1',
    });
    expect(report.decisions).toBe(70);
    expect(report.fairLabels).toBe(70);
    expect(report.certification.labelsNeeded).toBe(59);
    // At the sure score: 60 labels, none with the tax id changed (20 had their name changed) pass;
    // below it the 5 changed tax ids among 70 fail.
    expect(report.certification.threshold).toBe(logit(0.99));
    expect(report.certification.certified?.bound).toMatchObject({ labelled: 60, wrong: 0 });
    expect(report.certification.certified?.automation).toBeCloseTo(60 / 70, 12);
    expect(report.applied).toMatchObject({ field: 'taxId', status: 'certified', certificateId: report.certificateId });
    const cert = await t.db
      .selectFrom('certificates')
      .select(['field', 'confidence_method'])
      .where('id', '=', report.certificateId as string)
      .executeTakeFirstOrThrow();
    expect(cert).toEqual({ field: 'taxId', confidence_method: 'self-consistency' });
  });

  it('lets records through on the certified field, audited at the state rate; the rest go to people naming the field', async () => {
    const docs: Doc[] = [];
    for (let i = 100; i < 130; i++) docs.push({ ai: truthOf(i), truth: truthOf(i), c: 0.99 });
    for (let i = 130; i < 140; i++) docs.push({ ai: truthOf(i), truth: truthOf(i), c: 0.6 });
    const ids = await submit(docs);
    const decisions = await decisionsOf(ids);
    const byItem = new Map(decisions.map((d) => [d.item_id, d]));
    const { id: certificateId } = await t.db
      .selectFrom('certificates')
      .select('id')
      .where('field', '=', 'taxId')
      .executeTakeFirstOrThrow();
    for (const [k, id] of ids.entries()) {
      const d = byItem.get(id);
      // Each decision keeps the field's policy version, certificate and threshold it was routed on.
      const routedOn = (d?.output as { certifiedFields?: Record<string, Record<string, unknown>> } | undefined)
        ?.certifiedFields;
      expect(routedOn?.taxId).toEqual({
        policyVersionId: expect.any(String),
        certificateId,
        threshold: logit(0.99),
      });
      if (k < 30) {
        expect(['auto', 'sampled']).toContain(d?.route);
        expect(d?.audit_probability).toBe(0.5);
      } else {
        expect(d?.route).toBe('review');
        expect(d?.audit_probability).toBe(1);
        expect(d?.reasons).toEqual([expect.objectContaining({ code: 'below_certified_threshold', fields: ['taxId'] })]);
      }
    }
    const sampled = decisions.filter((d) => d.route === 'sampled').length;
    expect(sampled).toBeGreaterThan(0);
    expect(await answerAll()).toBe(sampled + 10);
    // The field's automated path: 30 auto-accepted, `sampled` of them audited, none changed.
    const [taxId] = await accuracyReport(t.db, { workflow: WORKFLOW, field: 'taxId' });
    expect(taxId).toMatchObject({
      field: 'taxId',
      modelVersion: 'reader-v1',
      automated: { strata: [{ probability: 0.5, population: 30, labelled: sampled, wrong: 0 }], estimate: 0 },
      // Routed: 70 + 10 reviewed; 5 tax ids changed.
      routed: { decisions: 80, labelled: 80, aiRight: 75, accuracy: 75 / 80 },
    });
    // Without a field: the record as a whole, then each field; the name was changed 20 times.
    const rows = await accuracyReport(t.db, { workflow: WORKFLOW });
    expect(rows.map((r) => r.field)).toEqual([null, 'amount', 'name', 'taxId']);
    expect(rows[0]?.routed).toEqual({ decisions: 80, labelled: 80, aiRight: 55, accuracy: 55 / 80 });
    expect(rows[2]?.routed).toEqual({ decisions: 80, labelled: 80, aiRight: 60, accuracy: 60 / 80 });
  });

  it('pauses the field when its audit samples show reviewers changing the tax id, and the API resumes it', async () => {
    const certified = await findPolicyInForce(t.db, WORKFLOW, 'extract', 'taxId');
    // The world drifts: sure tax ids are now wrong; the name stays right.
    const docs: Doc[] = [];
    for (let i = 200; i < 260; i++)
      docs.push({ ai: { ...truthOf(i), taxId: '98-7654321' }, truth: truthOf(i), c: 0.99 });
    const ids = await submit(docs);
    const drifted = (await decisionsOf(ids)).filter((d) => d.route === 'sampled').length;
    expect(drifted).toBeGreaterThan(10);
    await answerAll();
    const [guard, ...others] = await evaluateDriftGuards(t.db);
    expect(others).toEqual([]);
    expect(guard).toMatchObject({ policyVersionId: certified?.id, field: 'taxId', alarmed: true });
    expect(guard?.wrong).toBe(drifted);
    const paused = await findPolicyInForce(t.db, WORKFLOW, 'extract', 'taxId');
    expect(paused).toMatchObject({ field: 'taxId', status: 'paused', version: (certified?.version ?? 0) + 1 });
    expect(paused?.reason).toMatch(/^drift guard \(field "taxId"\): after \d+ audit samples/);
    // A sure record now goes to a person for its tax id.
    const [next] = await submit([{ ai: truthOf(300), truth: truthOf(300), c: 0.99 }]);
    const [d] = await decisionsOf([next as string]);
    expect(d?.reasons).toEqual([expect.objectContaining({ code: 'auto_accept_paused', fields: ['taxId'] })]);
    const overview = (await trustOverview(t.db)).find((s) => s.policy.field === 'taxId');
    expect(overview?.policy.status).toBe('paused');
    expect(overview?.guard?.alarmedAt).not.toBeNull();
    expect(overview?.explanation).toMatch(/^Field "taxId": Auto-accept is paused/);
    // Through the API, by field: resume, with a reason.
    const resumed = await caller(admin).trust.resume({
      workflow: WORKFLOW,
      state: 'extract',
      field: 'taxId',
      reason: 'the upstream OCR fix is deployed',
    });
    expect(resumed).toMatchObject({ field: 'taxId', status: 'certified', certificateId: certified?.certificateId });
    const history = await caller(admin).trust.history({ workflow: WORKFLOW, state: 'extract', field: 'taxId' });
    expect(history.map((h) => h.status)).toEqual(['certified', 'paused', 'certified', 'uncertified']);
  });

  it('the API certifies and reports by field, and names a field that declares nothing, changing nothing', async () => {
    const before = await t.db.selectFrom('policy_versions').select('id').execute();
    const certs = await t.db.selectFrom('certificates').select('id').execute();
    await expect(
      caller(admin).trust.certify({ workflow: WORKFLOW, state: 'extract', field: 'amount' }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining(
        'field "amount" of "extract" of "field-vendors" declares no certified auto-accept',
      ),
    });
    await expect(
      caller(admin).trust.certify({ workflow: WORKFLOW, state: 'extract', field: ' ' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('Name the field') });
    expect(await t.db.selectFrom('policy_versions').select('id').execute()).toHaveLength(before.length);
    expect(await t.db.selectFrom('certificates').select('id').execute()).toHaveLength(certs.length);
    const report = await caller(admin).trust.certify({ workflow: WORKFLOW, state: 'extract', field: 'taxId' });
    expect(report.key.field).toBe('taxId');
    const rows = await caller(admin).trust.accuracy({ workflow: WORKFLOW, field: 'name' });
    expect(rows.map((r) => r.field)).toEqual(['name']);
    const states = await caller(admin).trust.states();
    expect(states.map((s) => [s.policy.state, s.policy.field])).toEqual([['extract', 'taxId']]);
  });

  it('the CLI certifies, reports and shows by field (`--field`), and names a field that declares nothing', async () => {
    const certify = await runSignoff(
      ['certify', '--workflow', WORKFLOW, '--state', 'extract', '--field', 'taxId'],
      t.url,
    );
    expect(certify.stdout).toContain(
      'field-vendors / extract / field taxId: field-reader reader-v1 (self-consistency, prompt p1)',
    );
    const accuracy = await runSignoff(['accuracy', '--workflow', WORKFLOW, '--field', 'taxId', '--json'], t.url);
    expect(accuracy.code).toBe(0);
    expect((JSON.parse(accuracy.stdout) as { field: string }[]).map((r) => r.field)).toEqual(['taxId']);
    const show = await runSignoff(['policy', 'show'], t.url);
    expect(show.stdout).toContain('field-vendors / extract / field taxId: certified');
    const none = await runSignoff(
      ['certify', '--workflow', WORKFLOW, '--state', 'extract', '--field', 'amount'],
      t.url,
    );
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('field "amount" of "extract" of "field-vendors" declares no certified auto-accept');
  });
});
