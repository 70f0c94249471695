// The decision trail (issue 12 point 2) of one seeded item, through a whole Signoff over HTTP:
// `trail.get`, the JSON and PDF downloads, their PII masking and their refusals. Every expected
// figure is worked out by hand from the pinned clock of test/support/trail-item.ts.

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionTrail } from '@signoff/core';
import { auditSignerFromPem, createCheckpoint, upsertUser } from '@signoff/governance';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOpenAI } from '../fixtures/fake-openai';
import { type ApiClient, apiClient, signInApi } from '../support/api-client';
import { pdfText } from '../support/pdf-text';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import { runSignoff } from '../support/signoff-cli';
import {
  type SeededTrail,
  seedTrailItem,
  startTrailFake,
  TRAIL_MODEL_VERSION,
  TRAIL_OFFICER,
  TRAIL_PASSWORD,
  TRAIL_REASON,
  TRAIL_REVIEWER,
  trailEnv,
  trailFlow,
} from '../support/trail-item';
import { callTrpc } from '../support/trpc-http';

let fake: FakeOpenAI;
let s: TestSignoff;
let seeded: SeededTrail;
let officerToken: string;
let trail: Awaited<ReturnType<ApiClient['trail']['get']['query']>>;

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  fake = await startTrailFake();
  s = await startTestSignoff({ workflows: [trailFlow], env: trailEnv(fake) });
  seeded = await seedTrailItem(s);
  officerToken = (
    await apiClient(s.url).auth.login.mutate({
      email: TRAIL_OFFICER.email,
      password: TRAIL_PASSWORD,
      session: 'bearer',
    })
  ).token as string;
  trail = await apiClient(s.url, officerToken).trail.get.query({ itemId: seeded.itemId });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

/** Runs SQL with the append-only trigger bypassed, as a superuser could. */
const tamper = (statement: ReturnType<typeof sql>) =>
  s.testDb.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await statement.execute(trx);
  });

const download = (query: string, itemId = seeded.itemId, headers: Record<string, string> = {}) =>
  fetch(new URL(`/api/v1/items/${itemId}/trail?${query}`, s.url), {
    headers: { authorization: `Bearer ${officerToken}`, ...headers },
  });

describe('trail.get', () => {
  it('names the workflow and version, and times every state run', () => {
    expect(trail.item).toMatchObject({
      id: seeded.itemId,
      workflow: { name: 'trail-claims', version: 1 },
      status: 'succeeded',
      createdAt: '2026-03-02T09:00:00.000Z',
      finishedAt: '2026-03-02T09:02:40.000Z',
    });
    expect(trail.stateRuns.map((r) => [r.state, r.visit, r.kind, r.status, r.attempts, r.durationMs])).toEqual([
      ['lookup', 1, 'task', 'done', 1, 300],
      ['settle', 1, 'decide', 'done', 1, 152_500],
      ['done', 1, 'final', 'done', 1, 0],
    ]);
    expect(trail.stateRuns[0]).toMatchObject({
      startedAt: '2026-03-02T09:00:00.200Z',
      finishedAt: '2026-03-02T09:00:00.500Z',
      nextState: 'settle',
    });
  });

  it('gives the decision: model and version, both confidences with the calibrator, policy, route and reasons, tool call', async () => {
    expect(trail.decisions).toHaveLength(1);
    const d = trail.decisions[0];
    const row = await s.testDb.db
      .selectFrom('decisions')
      .select(['prompt_version', 'policy_version_id', 'tokens_in'])
      .where('id', '=', seeded.decisionId)
      .executeTakeFirstOrThrow();
    expect(d).toMatchObject({
      id: seeded.decisionId,
      state: 'settle',
      visit: 1,
      at: '2026-03-02T09:00:02.000Z',
      agent: 'trail-claims',
      provider: 'openai',
      model: 'gpt-4o-mini',
      modelVersion: TRAIL_MODEL_VERSION,
      promptVersion: row.prompt_version,
      label: 'refund',
      rationale: 'The order is lost',
      confidence: {
        raw: 0.82,
        calibrated: 0.74,
        calibrator: { id: seeded.calibratorId, method: 'platt', labelCount: 240 },
      },
      route: 'review',
      // A declared target without a certificate auto-accepts nothing.
      policy: { id: row.policy_version_id, version: 1, status: 'uncertified', maxError: 0.05, confidence: 0.95 },
      certificate: null,
      checker: null,
    });
    expect(d?.promptVersion).toMatch(/\S/);
    expect(d?.usage.tokensIn).toBe(row.tokens_in);
    expect(d?.reasons.map((r) => r.message)).toContain('Every claim is looked at');
    expect(d?.toolCalls).toEqual([
      {
        name: 'lookupOrder',
        arguments: { orderId: 'ORD-4411' },
        ok: true,
        result: { orderId: 'ORD-4411', status: 'lost', value: 80 },
        error: null,
        latencyMs: expect.any(Number),
      },
    ]);
  });

  it('gives the verdict: who, when, the correction and reason, 60 s waiting and 90 s from claim to verdict', () => {
    expect(trail.verdicts).toEqual([
      expect.objectContaining({
        taskId: seeded.taskId,
        kind: 'decision',
        state: 'settle',
        visit: 1,
        slot: 1,
        reviewersRequired: 1,
        queue: 'trail-claims',
        decisionId: seeded.decisionId,
        reviewer: expect.objectContaining(TRAIL_REVIEWER),
        at: '2026-03-02T09:02:33.000Z',
        verdict: 'correct',
        label: 'reship',
        aiLabel: 'refund',
        outcome: 'corrected',
        reason: TRAIL_REASON,
        taskCreatedAt: '2026-03-02T09:00:03.000Z',
        claimedAt: '2026-03-02T09:01:03.000Z',
        waitedMs: 60_000,
        timeTakenMs: 90_000,
        final: true,
      }),
    ]);
  });

  it('times the item: 2 s to the first decision, 150 s waiting for review, 160 s in all', () => {
    expect(trail.timings).toEqual({
      timeToFirstDecisionMs: 2_000,
      waitingForReviewMs: 150_000,
      totalMs: 160_000,
      finished: true,
    });
  });

  it("lists the chain's events with their actors, and verifies it", () => {
    expect(trail.events.map((e) => e.action)).toEqual([
      'item.submitted',
      'state.completed',
      'decision.made',
      'review.requested',
      'task.claimed',
      'review.submitted',
      'state.completed',
      'item.finished',
    ]);
    expect(trail.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(trail.events[4]?.actor).toMatchObject({ type: 'user', name: TRAIL_REVIEWER.email });
    expect(trail.verification).toMatchObject({ ok: true, checked: 8, head: { seq: 8 }, broken: null });
  });

  it('tells whether a signed checkpoint covers the head, and says so in the report', async () => {
    expect(trail.coverage).toEqual({ covered: false, checkpoint: null });
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = auditSignerFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const made = await createCheckpoint(s.testDb.db, signer, { now: new Date('2026-03-02T10:00:00.000Z') });
    expect(made?.seq).toBe(1);
    const after = await apiClient(s.url, officerToken).trail.get.query({ itemId: seeded.itemId });
    expect(after.coverage).toMatchObject({
      covered: true,
      checkpoint: {
        seq: 1,
        createdAt: '2026-03-02T10:00:00.000Z',
        eventSeq: 8,
        eventHash: after.verification.head.hash,
      },
    });
    const { text } = await pdfText(Buffer.from(await (await download('format=pdf')).arrayBuffer()));
    expect(text.replace(/\s+/g, ' ')).toContain(
      'covered: checkpoint 1 of 2026-03-02 10:00:00 UTC signs the head (event 8)',
    );
  });

  it('masks the PII of the item data, and names the staff who acted', () => {
    expect(trail.item.input).toEqual({
      text: 'My parcel never arrived. Write to [email] or call [phone]',
      orderId: 'ORD-4411',
      card: '[card …1111]',
    });
    expect(trail.stateRuns[0]?.output).toEqual({ customer: 'C-17', email: '[email]' });
    expect(trail.verdicts[0]?.reviewer.email).toBe(TRAIL_REVIEWER.email);
    expect(trail.events.filter((e) => e.actor.name === TRAIL_REVIEWER.email)).toHaveLength(3);
  });

  it('sees a tampered chain', async () => {
    await tamper(sql`UPDATE audit_events SET action = 'review.skipped' WHERE stream = ${seeded.itemId} AND seq = 6`);
    try {
      const t = await apiClient(s.url, officerToken).trail.get.query({ itemId: seeded.itemId });
      expect(t.verification).toMatchObject({ ok: false, checked: 5, broken: { seq: 6 } });
    } finally {
      await tamper(
        sql`UPDATE audit_events SET action = 'review.submitted' WHERE stream = ${seeded.itemId} AND seq = 6`,
      );
    }
  });

  it('answers NOT_FOUND for an unknown item, BAD_REQUEST naming itemId, FORBIDDEN without audit:read', async () => {
    const headers = { authorization: `Bearer ${officerToken}` };
    const missing = await callTrpc(s.url, 'trail.get', { query: true, input: { itemId: UNKNOWN }, headers });
    expect(missing.status).toBe(404);
    expect(missing.body.error?.data.code).toBe('NOT_FOUND');
    const bad = await callTrpc(s.url, 'trail.get', { query: true, input: { itemId: 'item-1' }, headers });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toBe('Invalid input: itemId: Expected a UUID');
    const rita = await signInApi(s.url, TRAIL_REVIEWER.email, TRAIL_PASSWORD);
    await expect(rita.trail.get.query({ itemId: seeded.itemId })).rejects.toMatchObject({
      data: { code: 'FORBIDDEN' },
    });
  });
});

describe('the trail download', () => {
  it('serves the JSON of trail.get as a file, with PII masked and the reviewer named', async () => {
    const r = await download('format=json');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="decision-trail-${seeded.itemId}.json"`);
    const text = await r.text();
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/decision-trail.json', text);
    const body = JSON.parse(text) as DecisionTrail & { generatedBy: { email: string } };
    expect(body.generatedBy).toEqual({ email: TRAIL_OFFICER.email, name: TRAIL_OFFICER.name });
    expect(body.item.input).toEqual({
      text: 'My parcel never arrived. Write to [email] or call [phone]',
      orderId: 'ORD-4411',
      card: '[card …1111]',
    });
    expect(body.stateRuns[0]?.output).toEqual({ customer: 'C-17', email: '[email]' });
    for (const secret of ['jane.doe@example.com', '4111 1111 1111 1111', '7946 0958'])
      expect(text).not.toContain(secret);
    expect(body.verdicts[0]?.reviewer.email).toBe(TRAIL_REVIEWER.email);
    // The rest is trail.get's document.
    for (const part of ['item', 'stateRuns', 'decisions', 'verdicts', 'timings', 'events', 'verification'] as const)
      expect(body[part]).toEqual(trail[part]);
  });

  it('serves a PDF report whose text holds the facts of the trail', async () => {
    const r = await download('format=pdf');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await r.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/decision-trail.pdf', bytes);
    const { pages, text: raw } = await pdfText(bytes);
    // Table cells wrap their text over lines.
    const text = raw.replace(/\s+/g, ' ');
    for (const fact of [
      'Decision trail report',
      `Item ${seeded.itemId}`,
      'trail-claims version 1',
      `Generated by ${TRAIL_OFFICER.name} <${TRAIL_OFFICER.email}>`,
      'Verified: the hash chain of 8 events is intact',
      TRAIL_MODEL_VERSION,
      '82.0% (logprobs)',
      '74.0% (platt calibrator',
      'Every claim is looked at',
      'lookupOrder',
      TRAIL_REVIEWER.email,
      TRAIL_REASON,
      '1 min 30 s',
      '2.0 s',
      '2 min 40 s',
      'review.submitted',
      `Page 1 of ${pages.length}`,
    ])
      expect(text).toContain(fact);
    expect(text).not.toContain('jane.doe@example.com');
    expect(pages.at(-1)).toContain(`Page ${pages.length} of ${pages.length}`);
    expect(pages.length).toBe(2);
  });

  it('answers 400 naming the bad field, 404 for an unknown item, 401 and 403', async () => {
    const badId = await download('format=pdf', 'item-1');
    expect(badId.status).toBe(400);
    expect(await badId.json()).toMatchObject({ error: { issues: [{ path: 'itemId', message: 'Expected a UUID' }] } });
    const badFormat = await download('format=docx');
    expect(badFormat.status).toBe(400);
    expect(await badFormat.json()).toMatchObject({
      error: { issues: [{ path: 'format', message: 'Expected one of: json, pdf' }] },
    });
    const missing = await download('format=json', UNKNOWN);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const anonymous = await fetch(new URL(`/api/v1/items/${seeded.itemId}/trail?format=pdf`, s.url));
    expect(anonymous.status).toBe(401);
    const rita = (
      await apiClient(s.url).auth.login.mutate({
        email: TRAIL_REVIEWER.email,
        password: TRAIL_PASSWORD,
        session: 'bearer',
      })
    ).token as string;
    const refused = await download('format=pdf', seeded.itemId, { authorization: `Bearer ${rita}` });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });
});

describe('signoff audit trail', () => {
  it('writes the PDF report and the JSON, naming who generated them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signoff-trail-'));
    const pdf = await runSignoff(
      ['audit', 'trail', seeded.itemId, '--format', 'pdf', '--out', join(dir, 't.pdf'), '--by', 'auditor@bank.test'],
      s.testDb.url,
    );
    expect(pdf).toMatchObject({ code: 0, stderr: '' });
    const { text } = await pdfText(readFileSync(join(dir, 't.pdf')));
    expect(text.replace(/\s+/g, ' ')).toContain('Generated by auditor@bank.test');
    expect(text).toContain(TRAIL_REVIEWER.email);
    const json = await runSignoff(
      ['audit', 'trail', seeded.itemId, '--format', 'json', '--out', join(dir, 't.json')],
      s.testDb.url,
    );
    expect(json.code).toBe(0);
    const body = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as {
      timings: unknown;
      item: { input: unknown };
    };
    expect(body.timings).toEqual(trail.timings);
    expect(JSON.stringify(body.item.input)).not.toContain('jane.doe@example.com');
  });

  it('exits 2 naming itemId for a bad id, 1 for a format commander refuses, 4 for an unknown item', async () => {
    const out = join(tmpdir(), 'never-written.pdf');
    const bad = await runSignoff(['audit', 'trail', 'item-1', '--format', 'pdf', '--out', out], s.testDb.url);
    expect(bad).toMatchObject({ code: 2, stderr: 'error: itemId: Expected a UUID (got "item-1")\n' });
    const format = await runSignoff(['audit', 'trail', seeded.itemId, '--format', 'docx', '--out', out], s.testDb.url);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain("argument 'docx' is invalid. Allowed choices are json, pdf.");
    const missing = await runSignoff(['audit', 'trail', UNKNOWN, '--format', 'pdf', '--out', out], s.testDb.url);
    expect(missing).toMatchObject({ code: 4, stderr: `error: No item ${UNKNOWN}\n` });
    expect(existsSync(out)).toBe(false);
  });
});

describe('an adjudication outside any task', () => {
  it('joins the verdicts with who settled it, why, and that it agrees with the AI', async () => {
    const dana = { email: 'dana.scientist@trail.test', name: 'Dana Scientist' };
    await upsertUser(s.testDb.db, { ...dana, role: 'data_scientist', password: TRAIL_PASSWORD });
    const api = await signInApi(s.url, dana.email, TRAIL_PASSWORD);
    await api.labels.adjudicate.mutate({
      decisionId: seeded.decisionId,
      label: 'refund',
      reason: 'Lost parcels are refunded',
    });
    const after = await apiClient(s.url, officerToken).trail.get.query({ itemId: seeded.itemId });
    expect(after.verdicts).toHaveLength(2);
    // The adjudication moved the head past the checkpoint.
    expect(after.coverage).toMatchObject({ covered: false, checkpoint: { seq: 1, eventSeq: 8 } });
    expect(after.verdicts[1]).toMatchObject({
      reviewId: null,
      taskId: null,
      kind: 'label-adjudication',
      state: 'settle',
      decisionId: seeded.decisionId,
      reviewer: dana,
      verdict: 'adjudicate',
      label: 'refund',
      aiLabel: 'refund',
      outcome: 'agreed',
      reason: 'Lost parcels are refunded',
      claimedAt: null,
      timeTakenMs: null,
    });
  });
});
