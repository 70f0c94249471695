// A newly promoted model version of an agent that certified states depend on: it serves the fit
// its holdout measured, gets its certificate (and calibrator) at promotion from the fair labels of
// the held-out texts it re-scores, and that certificate is what lets its decisions through. An
// agent without certified states trains on every example, as before.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLocalProvider } from '@signoff/ai';
import { defineWorkflow } from '@signoff/core';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { createPolicySource, findPolicyInForce, trainCertified } from '@signoff/trust';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { answerQueue, trustInput, trustSeedExamples } from '../support/trust-flow';

const CERTIFIED_AGENT = 'promo-intent';
const PLAIN_AGENT = 'plain-intent';
const LABELS = ['refund', 'shipping'];

function flow(name: string, agent: string, certified: boolean) {
  return defineWorkflow({
    name,
    input: z.object({ text: z.string(), truth: z.enum(['refund', 'shipping']) }),
    start: 'classify',
    states: {
      classify: {
        kind: 'decide',
        agent: { name: agent, instructions: 'Refund request or shipping question?' },
        labels: LABELS,
        text: (ctx) => ctx.input.text,
        // At most 10% wrong with 95% confidence: 29 fair labels above a threshold, all right.
        policy: certified
          ? { autoAccept: { maxError: 0.1, confidence: 0.95 }, queue: name, sampleRate: 0.2 }
          : { autoAcceptAt: 1, queue: name },
        next: 'done',
      },
      done: { kind: 'final', status: 'succeeded' },
    },
  });
}

/** Held out of training: SHA-256 of the text, first 4 bytes big-endian, divisible by 5. */
const heldOut = (text: string) => createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % 5 === 0;

let t: TestDatabase;
let e: TestEngine;
let reviewer: SessionUser;
const actor = { type: 'system' as const, id: 'test' };

beforeAll(async () => {
  t = await createTestDatabase();
  await t.db
    .insertInto('seed_examples')
    .values([
      ...trustSeedExamples.map((s) => ({ ...s, agent: CERTIFIED_AGENT })),
      ...trustSeedExamples.map((s) => ({ ...s, agent: PLAIN_AGENT })),
    ])
    .execute();
  e = await startTestEngine(t, [flow('promo-flow', CERTIFIED_AGENT, true), flow('plain-flow', PLAIN_AGENT, false)], {
    provider: createLocalProvider({ refreshMs: 0 }),
    policies: createPolicySource({ refreshMs: 0 }),
  });
  reviewer = await upsertUser(t.db, { email: 'promo@test', name: 'Pro Mo', role: 'reviewer', password: 'x' });
  await joinQueues(t.db, reviewer.id, ['promo-flow', 'plain-flow']);
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function submit(workflow: string, from: number, count: number) {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) ids.push(await e.submit(workflow, trustInput(i), `${workflow}-${i}`));
  return ids;
}

async function storedVersion(agent: string, version: number) {
  return t.db
    .selectFrom('local_models')
    .select(['params', 'eval_params', 'active', 'metrics'])
    .where('agent', '=', agent)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
}

describe('promotion of a model version that certified states depend on', () => {
  let certificateId: string;

  it('serves the holdout-free fit and certifies it on the fair labels of the held-out texts', async () => {
    const ids = await submit('promo-flow', 0, 250);
    for (const id of ids) await e.settle(id, ['waiting']);
    await answerQueue(t.db, e, reviewer, 'promo-flow');
    for (const id of ids) await e.settle(id, ['succeeded']);
    const texts = ids.map((_, i) => trustInput(i).text);
    const heldOutCount = texts.filter(heldOut).length;
    expect(heldOutCount).toBeGreaterThanOrEqual(29);

    const r = await trainCertified(t.db, { agent: CERTIFIED_AGENT, labels: LABELS, force: true, actor });
    expect(r.training.candidate.version).toBe(2);
    expect(r.training.candidate.active).toBe(true);
    expect(r.certifiedStates.map((k) => `${k.workflow}/${k.state}`)).toEqual(['promo-flow/classify']);
    // The version that answers is the fit trained without the held-out texts.
    const v2 = await storedVersion(CERTIFIED_AGENT, 2);
    expect(v2.params).toEqual(v2.eval_params);
    expect(v2.metrics).toMatchObject({ serves: 'holdout-free', forced: true });

    expect(r.notCertified).toBeNull();
    expect(r.certifications).toHaveLength(1);
    const c = r.certifications[0];
    if (!c) throw new Error('no certification');
    // Every held-out decision was reviewed (probability 1) with its truth.
    expect(c.heldOutDecisions).toBe(heldOutCount);
    expect(c.heldOutLabels).toBe(heldOutCount);
    expect(c.key).toMatchObject({ agent: CERTIFIED_AGENT, modelVersion: 'lr-v2', confidenceMethod: 'posterior' });
    expect(c.certificateId).not.toBeNull();
    certificateId = c.certificateId as string;
    expect(c.applied?.status).toBe('certified');

    const cert = await t.db
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', certificateId)
      .executeTakeFirstOrThrow();
    expect(cert).toMatchObject({ model_version: 'lr-v2', max_error: 0.1, confidence: 0.95, wrong_used: 0 });
    expect(cert.labels_used).toBeGreaterThanOrEqual(29);
    expect(cert.labels_used).toBeLessThanOrEqual(heldOutCount);
    expect((cert.evidence as { scoring: string }).scoring).toMatch(/re-scored at promotion by lr-v2/);
    const issued = await t.db
      .selectFrom('audit_events')
      .select('data')
      .where('stream', '=', 'config')
      .where('action', '=', 'certificate.issued')
      .execute();
    expect(issued.map((a) => (a.data as { certificateId: string }).certificateId)).toContain(certificateId);
    const policy = await findPolicyInForce(t.db, 'promo-flow', 'classify');
    expect(policy).toMatchObject({ status: 'certified', certificateId });
  });

  it("lets the new version's decisions through on that certificate", async () => {
    const ids = await submit('promo-flow', 1000, 40);
    for (const id of ids) await e.settle(id, ['succeeded', 'waiting']);
    const decisions = await t.db
      .selectFrom('decisions')
      .select(['model_version', 'route', 'certificate_id', 'score', 'threshold', 'reasons'])
      .where('item_id', 'in', ids)
      .execute();
    expect(decisions).toHaveLength(40);
    const through = decisions.filter((d) => d.route !== 'review');
    expect(through.length).toBeGreaterThan(0);
    for (const d of decisions) {
      expect(d.model_version).toBe('lr-v2');
      expect(d.reasons.map((x) => x.code)).not.toContain('model_not_certified');
      if (d.route !== 'review') {
        expect(d.certificate_id).toBe(certificateId);
        expect(d.score as number).toBeGreaterThanOrEqual(d.threshold as number);
      }
    }
  });

  it('certifies nothing for a candidate that is not promoted: the version in force keeps its certificate', async () => {
    // Trained on the same examples as the active version: no better than it by more than noise.
    const r = await trainCertified(t.db, { agent: CERTIFIED_AGENT, labels: LABELS, actor });
    expect(r.training.candidate.active).toBe(false);
    expect(r.certifications).toEqual([]);
    expect(r.notCertified).toMatch(/not promoted/);
    expect(await t.db.selectFrom('certificates').select('model_version').execute()).toEqual([
      { model_version: 'lr-v2' },
    ]);
    expect(await findPolicyInForce(t.db, 'promo-flow', 'classify')).toMatchObject({
      status: 'certified',
      certificateId,
    });
  });

  it('says so from `signoff train`: what the new version serves, its certificate, whether it is in force', async () => {
    const r = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'train', '--agent', CERTIFIED_AGENT, '--force'],
      { cwd: join(import.meta.dirname, '..', '..', 'apps', 'cli'), env: { ...process.env, DATABASE_URL: t.url } },
    );
    expect(r.stdout).toMatch(/promoted: yes \(forced\)/);
    expect(r.stdout).toMatch(/serves: the fit trained without the holdout/);
    expect(r.stdout).toMatch(
      /promo-flow \/ classify: certified lr-v4 at score >= \S+ on \d+ held-out fair labels \(error at most [\d.]+%, [\d.]+% automated\), in force as policy version \d+/,
    );
    const policy = await findPolicyInForce(t.db, 'promo-flow', 'classify');
    const cert = await t.db
      .selectFrom('certificates')
      .select('model_version')
      .where('id', '=', policy?.certificateId as string)
      .executeTakeFirstOrThrow();
    expect(cert.model_version).toBe('lr-v4');
  });

  it('trains an agent without certified states on every example, and certifies nothing', async () => {
    const ids = await submit('plain-flow', 0, 30);
    for (const id of ids) await e.settle(id, ['waiting', 'succeeded']);
    await answerQueue(t.db, e, reviewer, 'plain-flow');
    const r = await trainCertified(t.db, { agent: PLAIN_AGENT, labels: LABELS, force: true, actor });
    expect(r.certifiedStates).toEqual([]);
    expect(r.certifications).toEqual([]);
    const v2 = await storedVersion(PLAIN_AGENT, 2);
    expect(v2.metrics).toMatchObject({ serves: 'all-examples' });
    expect(v2.params).not.toEqual(v2.eval_params);
  });
});
