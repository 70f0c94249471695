// Certified auto-accept end to end on real PostgreSQL and workers: a state that declares its goal
// auto-accepts nothing until a certificate; the fair labels of its reviews certify a threshold; the
// certificate, applied, lets high scores through with their audit probability; the drift guard
// pauses auto-accept when audit samples say the error went up; a person resumes it.
import { createLocalProvider } from '@signoff/ai';
import { type SessionUser, upsertUser } from '@signoff/governance';
import {
  accuracyReport,
  certifyState,
  createPolicySource,
  evaluateDriftGuards,
  findPolicyInForce,
  resumePolicy,
  trustOverview,
} from '@signoff/trust';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues } from '../support/queue-members';
import { waitFor } from '../support/signoff';
import {
  answerQueue,
  trustFlow as flow,
  trustInput as input,
  TRUST_QUEUE,
  trustSeedExamples,
} from '../support/trust-flow';

let t: TestDatabase;
let e: TestEngine;
let reviewer: SessionUser;
const actor = { type: 'system' as const, id: 'test' };

beforeAll(async () => {
  t = await createTestDatabase();
  await t.db.insertInto('seed_examples').values(trustSeedExamples).execute();
  e = await startTestEngine(t, [flow], {
    provider: createLocalProvider(),
    policies: createPolicySource({ refreshMs: 0 }),
  });
  reviewer = await upsertUser(t.db, { email: 'trust@test', name: 'Tru Stee', role: 'reviewer', password: 'x' });
  await joinQueues(t.db, reviewer.id, [TRUST_QUEUE]);
});
afterAll(async () => {
  await e.stop();
  await t.drop();
});

async function submit(from: number, count: number) {
  const ids: string[] = [];
  for (let i = from; i < from + count; i++) ids.push(await e.submit('trust-flow', input(i), `trust-${i}`));
  return ids;
}

async function decisionsOf(ids: string[]) {
  return t.db
    .selectFrom('decisions')
    .select([
      'item_id',
      'route',
      'reasons',
      'score',
      'audit_probability',
      'threshold',
      'policy_version_id',
      'certificate_id',
    ])
    .where('item_id', 'in', ids)
    .execute();
}

describe('certified auto-accept', () => {
  it('auto-accepts nothing before a certificate: every decision goes to a person, drawn with probability 1', async () => {
    const policy = await findPolicyInForce(t.db, 'trust-flow', 'classify');
    expect(policy).toMatchObject({
      version: 1,
      status: 'uncertified',
      maxError: 0.05,
      confidence: 0.95,
      auditRate: 0.5,
    });
    const ids = await submit(0, 80);
    for (const id of ids) await e.settle(id, ['waiting']);
    const decisions = await decisionsOf(ids);
    expect(decisions).toHaveLength(80);
    for (const d of decisions) {
      expect(d.route).toBe('review');
      expect(d.reasons.map((r) => r.code)).toContain('uncertified');
      expect(d.audit_probability).toBe(1);
      expect(typeof d.score).toBe('number');
      expect(d.policy_version_id).toBe(policy?.id);
      expect(d.certificate_id).toBeNull();
    }
    expect(await answerQueue(t.db, e, reviewer, TRUST_QUEUE)).toBe(80);
  });

  it('certifies a threshold on those fair labels, and the applied certificate lets high scores through, audited at its rate', async () => {
    const report = await certifyState(t.db, { workflow: 'trust-flow', state: 'classify', actor, apply: true });
    expect(report.fairLabels).toBe(80);
    expect(report.certification.labelsNeeded).toBe(59);
    expect(report.certificateId).not.toBeNull();
    expect(report.applied).toMatchObject({ status: 'certified', certificateId: report.certificateId, version: 2 });
    const threshold = report.certification.threshold as number;
    const ids = await submit(80, 60);
    for (const id of ids) await e.settle(id, ['waiting', 'succeeded']);
    const decisions = await decisionsOf(ids);
    const auto = decisions.filter((d) => d.route !== 'review');
    expect(auto.length).toBeGreaterThan(0);
    for (const d of decisions) {
      expect(d.certificate_id).toBe(report.certificateId);
      expect(d.threshold).toBe(threshold);
      if (d.route === 'review') {
        expect(d.score as number).toBeLessThan(threshold);
        expect(d.audit_probability).toBe(1);
      } else {
        expect(d.score as number).toBeGreaterThanOrEqual(threshold);
        expect(d.audit_probability).toBe(0.5);
      }
    }
    // The sampled ones wait for a QA verdict; the items went on.
    const sampled = decisions.filter((d) => d.route === 'sampled');
    expect(sampled.length).toBeGreaterThan(0);
    expect(await answerQueue(t.db, e, reviewer, TRUST_QUEUE)).toBe(decisions.filter((d) => d.route !== 'auto').length);
    const [row] = await accuracyReport(t.db, { workflow: 'trust-flow' });
    expect(row?.automated.strata).toEqual([
      { probability: 0.5, population: auto.length, labelled: sampled.length, wrong: 0 },
    ]);
    expect(row?.automated.estimate).toBe(0);
    expect(row?.routed.decisions).toBe(80 + decisions.length - auto.length);
  });

  it('pauses auto-accept when audit samples say the error went up, and a person resumes it', async () => {
    const certified = await findPolicyInForce(t.db, 'trust-flow', 'classify');
    // The world drifts: from now on reviewers find the AI wrong on every sampled decision.
    const ids = await submit(140, 80);
    for (const id of ids) await e.settle(id, ['waiting', 'succeeded']);
    await answerQueue(t.db, e, reviewer, TRUST_QUEUE, { wrong: true });
    const [guard] = await evaluateDriftGuards(t.db);
    expect(guard).toMatchObject({ policyVersionId: certified?.id, alarmed: true });
    // Its samples: every decision drawn for audit under this policy version (all at the base
    // rate), the earlier ones found right, these ones wrong.
    const sampledNow = (await decisionsOf(ids)).filter((d) => d.route === 'sampled').length;
    const sampledAll = await t.db
      .selectFrom('decisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('policy_version_id', '=', certified?.id as string)
      .where('route', '=', 'sampled')
      .executeTakeFirstOrThrow();
    expect(guard?.wrong).toBe(sampledNow);
    expect(guard?.samples).toBe(Number(sampledAll.n));
    const paused = await findPolicyInForce(t.db, 'trust-flow', 'classify');
    expect(paused).toMatchObject({ status: 'paused', certificateId: certified?.certificateId });
    expect(paused?.reason).toMatch(/^drift guard: after \d+ audit samples/);
    // The paused state still shows the guard that paused it, with its alarm.
    const [overview] = await trustOverview(t.db);
    expect(overview?.policy.status).toBe('paused');
    expect(overview?.guard).toMatchObject({ samples: guard?.samples, wrong: guard?.wrong, alarmAt: 20 });
    expect(overview?.guard?.alarmedAt).toBeInstanceOf(Date);
    const audit = await t.db.selectFrom('audit_events').select('action').where('stream', '=', 'config').execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['policy.declared', 'certificate.issued', 'policy.certified', 'policy.paused']),
    );
    // Paused: everything goes to review, whatever its score.
    const [next] = await submit(220, 1);
    await e.settle(next as string, ['waiting']);
    const [d] = await decisionsOf([next as string]);
    expect(d?.route).toBe('review');
    expect(d?.reasons.map((r) => r.code)).toContain('auto_accept_paused');
    expect(d?.policy_version_id).toBe(paused?.id);
    const resumed = await resumePolicy(t.db, 'trust-flow', 'classify', 'the upstream data fix is deployed', actor);
    expect(resumed).toMatchObject({ status: 'certified', certificateId: certified?.certificateId });
    expect(resumed.reason).toBe('resumed: the upstream data fix is deployed');
    await waitFor(async () => (await findPolicyInForce(t.db, 'trust-flow', 'classify'))?.status === 'certified');
  });
});
