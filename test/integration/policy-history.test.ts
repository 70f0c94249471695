// The policy history (issue 12, point 4): every change to thresholds, certificates, risk rules,
// sampling rates, review modes and auto-accept (paused, resumed), with who, when, why and the old
// and new values, from registered workflow versions and the trust changes, through the API.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { defineWorkflow, type Role } from '@signoff/core';
import { WorkflowRegistry } from '@signoff/engine';
import { type SessionUser, upsertUser } from '@signoff/governance';
import { registerDemoPolicyHistory, supportTriage } from '@signoff/server/demo';
import { evaluateDriftGuards, findPolicyInForce, listPolicyChanges, type PolicyChange } from '@signoff/trust';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { certified, insertCertificate, insertWrongAuditSamples, refunds } from '../support/policy-history';

let t: TestDatabase;
const users = new Map<Role, SessionUser>();

function api(role: Role) {
  const ctx: Context = {
    db: t.db,
    boss: {} as PgBoss,
    registry: new WorkflowRegistry(),
    user: users.get(role) ?? null,
    token: null,
  };
  return createCallerFactory(appRouter)(ctx);
}

async function all(filters: Parameters<ReturnType<typeof api>['policies']['history']>[0]): Promise<PolicyChange[]> {
  return (await api('compliance').policies.history({ ...filters, limit: 200 })).changes as PolicyChange[];
}

/** The tRPC error a call fails with. */
async function refusal(p: Promise<unknown>): Promise<TRPCError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof TRPCError)) throw new Error(`expected a tRPC error, got ${String(e)}`);
  return e;
}
/** The fields a refusal names (a zod error's paths, or an AppError's issues). */
const fieldsOf = (e: TRPCError) =>
  (e.cause as { issues?: { path: string | PropertyKey[] }[] } | undefined)?.issues?.map((i) =>
    Array.isArray(i.path) ? i.path.join('.') : i.path,
  );

const DEPLOY = { type: 'deploy', id: 'release-bot@bank.test', label: 'deploy: release-bot@bank.test' };

beforeAll(async () => {
  t = await createTestDatabase();
  for (const role of ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin'] as const)
    users.set(role, await upsertUser(t.db, { email: `${role}@policy.test`, name: role, role, password: 'x' }));
  const registry = new WorkflowRegistry({ deployedBy: ' release-bot@bank.test ' });
  await registry.register(t.db, refunds(1));
  await registry.register(t.db, refunds(2));
  await registry.register(t.db, certified);
});
afterAll(() => t.drop());

describe('registered workflow versions', () => {
  it('version 2 with a changed autoAcceptAt, an added risk rule and a changed sampleRate is exactly those three changes', async () => {
    const changes = await all({ workflow: 'policy-refunds' });
    const v2 = changes.filter((c) => c.workflowVersion === 2);
    const event = await t.db
      .selectFrom('audit_events')
      .select(['seq', 'actor_id', 'data'])
      .where('stream', '=', 'config')
      .where('action', '=', 'workflow.registered')
      .where(({ ref }) => ref('data', '->>').key('version'), '=', '2')
      .executeTakeFirstOrThrow();
    const common = {
      actor: DEPLOY,
      reason: 'Q3 audit: stricter refunds, VIPs to their own queue',
      workflow: 'policy-refunds',
      workflowVersion: 2,
      state: 'classify',
      policyVersion: null,
      certificateId: null,
      evidence: null,
      source: { stream: 'config', seq: event.seq, action: 'workflow.registered' },
    };
    expect(v2.map(({ id: _id, at: _at, ...c }) => c)).toEqual([
      { ...common, kind: 'threshold', field: 'autoAcceptAt', old: 0.8, new: 0.85 },
      { ...common, kind: 'sampling', field: 'sampleRate', old: 0.1, new: 0.2 },
      {
        ...common,
        kind: 'risk_rule',
        field: 'risks.vip',
        old: null,
        // The predicate's source as the compiler printed it (vitest's oxc writes 5000 as 5e3).
        new: { reason: 'VIP customer', queue: 'vip', when: expect.stringMatching(/^c=>c\.input\.amount>(5000|5e3)$/) },
      },
    ]);
    // The audit event records the same changes, the note and who deployed.
    expect(event.actor_id).toBe('deploy:release-bot@bank.test');
    expect(event.data).toMatchObject({
      changeNote: 'Q3 audit: stricter refunds, VIPs to their own queue',
      deployedBy: 'release-bot@bank.test',
    });
    expect((event.data.policyChanges as { field: string }[]).map((c) => c.field)).toEqual([
      'autoAcceptAt',
      'sampleRate',
      'risks.vip',
    ]);
  });

  it('version 1 introduces each decide and review state with its whole policy, and says no note was given', async () => {
    const v1 = (await all({ workflow: 'policy-refunds' })).filter((c) => c.workflowVersion === 1);
    expect(v1.map((c) => [c.state, c.kind, c.field, c.old, c.new, c.reason, c.actor.label])).toEqual([
      ['check', 'state', 'policy', null, { queue: 'refunds' }, null, 'deploy: release-bot@bank.test'],
      [
        'classify',
        'state',
        'policy',
        null,
        {
          autoAcceptAt: 0.8,
          sampleRate: 0.1,
          queue: 'refunds',
          risks: [
            { name: 'large', reason: 'Large refund', when: expect.stringMatching(/^c=>c\.input\.amount>(1000|1e3)$/) },
          ],
        },
        null,
        'deploy: release-bot@bank.test',
      ],
    ]);
  });

  it('a change note alone is no new version: the note is not part of the hash', async () => {
    const registry = new WorkflowRegistry({ deployedBy: 'someone-else' });
    const again = await registry.register(t.db, { ...refunds(2), changeNote: 'a different note' });
    expect(again).toMatchObject({ version: 2, created: false });
    const notes = await t.db
      .selectFrom('workflow_versions')
      .select(['version', 'change_note', 'registered_by'])
      .where('name', '=', 'policy-refunds')
      .orderBy('version')
      .execute();
    expect(notes).toEqual([
      { version: 1, change_note: null, registered_by: 'release-bot@bank.test' },
      {
        version: 2,
        change_note: 'Q3 audit: stricter refunds, VIPs to their own queue',
        registered_by: 'release-bot@bank.test',
      },
    ]);
  });

  it('refuses an empty change note when the workflow is defined', () => {
    expect(() => defineWorkflow({ ...refunds(1), changeNote: '  ' })).toThrow(
      /changeNote must be a sentence saying why this version changed/,
    );
  });
});

describe('certificates and auto-accept', () => {
  let certificateId: string;

  it('a person applies a certificate only with a reason; the history has it issued and applied', async () => {
    const ds = users.get('data_scientist') as SessionUser;
    certificateId = await insertCertificate(t.db, {
      workflow: 'policy-certified',
      state: 'classify',
      threshold: 2.5,
      modelVersion: 'lr-v1',
      actor: { type: 'user', id: ds.id },
    });
    const noReason = await refusal(
      api('data_scientist').trust.applyCertificate({ certificateId } as { certificateId: string; reason: string }),
    );
    expect(noReason.code).toBe('BAD_REQUEST');
    expect(fieldsOf(noReason)).toEqual(['reason']);
    const certifyNoReason = await refusal(
      api('data_scientist').trust.certify({ workflow: 'policy-certified', state: 'classify', apply: true }),
    );
    expect(certifyNoReason.code).toBe('BAD_REQUEST');
    expect(fieldsOf(certifyNoReason)).toEqual(['reason']);
    expect((await findPolicyInForce(t.db, 'policy-certified', 'classify'))?.status).toBe('uncertified');

    await api('data_scientist').trust.applyCertificate({ certificateId, reason: 'Q3 fair labels are in' });
    const [applied, issued] = await all({ workflow: 'policy-certified', kind: 'certificate' });
    expect(applied).toMatchObject({
      kind: 'certificate',
      field: 'certificate',
      old: null,
      new: { id: certificateId, threshold: 2.5, modelVersion: 'lr-v1' },
      actor: { type: 'user', id: ds.id, label: 'data_scientist@policy.test' },
      reason: 'Q3 fair labels are in',
      policyVersion: 2,
      certificateId,
      source: { action: 'policy.certified' },
    });
    expect(issued).toMatchObject({
      kind: 'certificate',
      old: null,
      new: { id: certificateId, threshold: 2.5, modelVersion: 'lr-v1', maxError: 0.05, confidence: 0.95 },
      actor: { label: 'data_scientist@policy.test' },
      policyVersion: null,
      certificateId,
      source: { action: 'certificate.issued' },
    });
    expect(issued?.reason).toMatch(/^issued: error at most 3\.9% \(target 5% at 95% confidence\) on 120 fair labels/);
  });

  it('pauses by the drift guard (with its evidence) and by a person (with a reason), and resumes, each with who and why', async () => {
    const inForce = await findPolicyInForce(t.db, 'policy-certified', 'classify');
    await insertWrongAuditSamples(t.db, {
      workflow: 'policy-certified',
      state: 'classify',
      policyVersionId: inForce?.id as string,
      certificateId,
      reviewerId: (users.get('reviewer') as SessionUser).id,
      count: 12,
    });
    const [guard] = await evaluateDriftGuards(t.db);
    expect(guard).toMatchObject({ alarmed: true, samples: 12, wrong: 12 });
    const noReason = await refusal(
      api('data_scientist').trust.resume({ workflow: 'policy-certified', state: 'classify', reason: ' ' }),
    );
    expect(fieldsOf(noReason)).toEqual(['reason']);
    await api('data_scientist').trust.resume({
      workflow: 'policy-certified',
      state: 'classify',
      reason: 'upstream fix deployed',
    });
    await api('admin').trust.pause({
      workflow: 'policy-certified',
      state: 'classify',
      reason: 'new refund form, from customer.one@example.com',
    });

    const changes = await all({ workflow: 'policy-certified', kind: 'auto_accept' });
    expect(changes.map((c) => [c.actor.label, c.old, c.new, c.policyVersion, c.source.action])).toEqual([
      ['admin@policy.test', 'certified', 'paused', 5, 'policy.paused'],
      ['data_scientist@policy.test', 'paused', 'certified', 4, 'policy.resumed'],
      ['drift guard', 'certified', 'paused', 3, 'policy.paused'],
      [
        'deploy: release-bot@bank.test',
        null,
        { status: 'uncertified', maxError: 0.05, confidence: 0.95, auditRate: 0.05 },
        1,
        'policy.declared',
      ],
    ]);
    const [byAdmin, resumed, byGuard] = changes;
    // Who is staff account data and stays; personal data in a reason is masked like every answer.
    expect(byAdmin?.reason).toBe('paused by a person: new refund form, from [email]');
    expect(byAdmin?.evidence).toBeNull();
    expect(resumed?.reason).toBe('resumed: upstream fix deployed');
    expect(byGuard?.actor).toEqual({ type: 'system', id: 'drift-guard', label: 'drift guard' });
    expect(byGuard?.reason).toMatch(
      /^drift guard: after 12 audit samples \(12 wrong\) the evidence against "at most 5% wrong" reached/,
    );
    expect(byGuard?.evidence).toMatchObject({ samples: 12, wrong: 12, alarmAt: 20 });
    expect(byGuard?.evidence?.eValue as number).toBeGreaterThanOrEqual(20);
    // Every change names its audit event on the config stream.
    for (const c of changes) expect(c.source.seq).toEqual(expect.any(Number));
  });
});

describe('filters and pagination', () => {
  it('filters by workflow, state, kind and time', async () => {
    const everything = await all({});
    expect(new Set(everything.map((c) => c.workflow))).toEqual(new Set(['policy-refunds', 'policy-certified']));
    expect((await all({ state: 'check' })).map((c) => [c.workflow, c.state, c.kind])).toEqual([
      ['policy-refunds', 'check', 'state'],
    ]);
    expect((await all({ workflow: 'policy-refunds', kind: 'threshold' })).map((c) => [c.field, c.old, c.new])).toEqual([
      ['autoAcceptAt', 0.8, 0.85],
    ]);
    expect(await all({ workflow: 'no-such-workflow' })).toEqual([]);
    const v2 = everything.find((c) => c.workflowVersion === 2) as PolicyChange;
    const fromV2 = await all({ workflow: 'policy-refunds', from: new Date(v2.at) });
    expect(fromV2.map((c) => c.workflowVersion)).toEqual([2, 2, 2]);
    const beforeV2 = await all({ workflow: 'policy-refunds', to: new Date(v2.at) });
    expect(beforeV2.map((c) => c.workflowVersion)).toEqual([1, 1]);
  });

  it('pages newest first with a cursor, every change exactly once', async () => {
    const everything = await all({});
    // Newest first.
    const times = everything.map((c) => Date.parse(c.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const seen: PolicyChange[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await api('compliance').policies.history({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.changes.length).toBeLessThanOrEqual(3);
      seen.push(...(page.changes as PolicyChange[]));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen.map((c) => c.id)).toEqual(everything.map((c) => c.id));
    expect(pages).toBe(Math.ceil(everything.length / 3));
    expect(new Set(seen.map((c) => c.id)).size).toBe(seen.length);
  });
});

describe('bad input and permissions', () => {
  it('names the field of every bad input', async () => {
    const history = api('compliance').policies.history;
    const cases: [unknown, string, RegExp][] = [
      [{ limit: 0 }, 'limit', /At least 1 change per page/],
      [{ limit: 201 }, 'limit', /At most 200 changes per page/],
      [{ limit: 2.5 }, 'limit', /whole number/],
      [{ kind: 'bogus' }, 'kind', /Unknown kind: choose one of state, threshold, sampling, risk_rule/],
      [{ from: 'yesterday' }, 'from', /Expected a date/],
      [{ from: '2026-02-01', to: '2026-01-01' }, 'to', /Must be after from/],
      [{ cursor: 'not a cursor!' }, 'cursor', /nextCursor of the page before/],
      [{ workflow: '' }, 'workflow', /Must not be empty/],
    ];
    for (const [bad, field, message] of cases) {
      const e = await refusal(history(bad as never));
      expect(e.code, JSON.stringify(bad)).toBe('BAD_REQUEST');
      expect(fieldsOf(e), JSON.stringify(bad)).toEqual([field]);
      expect(e.message, JSON.stringify(bad)).toMatch(message);
    }
    // A well-formed cursor that is not one of ours.
    const forged = Buffer.from('{"a":1}').toString('base64url');
    const e = await refusal(history({ cursor: forged }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(fieldsOf(e)).toEqual(['cursor']);
    const unknown = await refusal(history({ workflowName: 'x' } as never));
    expect(unknown.code).toBe('BAD_REQUEST');
  });

  it('is FORBIDDEN for roles without audit:read or metrics:read', async () => {
    for (const role of ['reviewer', 'lead'] as const) {
      const e = await refusal(api(role).policies.history({}));
      expect(e.code).toBe('FORBIDDEN');
      expect(e.message).toBe(`Your role (${role}) may not do this (needs audit:read or metrics:read)`);
    }
    expect((await api('data_scientist').policies.history({})).changes.length).toBeGreaterThan(0);
  });
});

describe('the demo', () => {
  it("has support-triage's threshold change and its four-eyes rule, with the change note, in its history", async () => {
    const demo = await createTestDatabase();
    try {
      const registry = new WorkflowRegistry();
      expect(await registerDemoPolicyHistory(demo.db, registry)).toBe(true);
      expect(await registerDemoPolicyHistory(demo.db, registry)).toBe(false);
      expect(await registry.register(demo.db, supportTriage)).toMatchObject({ version: 2, created: true });
      const { changes } = await listPolicyChanges(demo.db, { workflow: 'support-triage' });
      const v2 = changes.filter((c) => c.workflowVersion === 2);
      expect(v2.map((c) => [c.state, c.kind, c.field, c.old, (c.new as { reviewers?: number }) ?? null])).toEqual([
        ['classify', 'threshold', 'autoAcceptAt', 0.8, 0.75],
        [
          'classify',
          'risk_rule',
          'risks.refund-four-eyes',
          null,
          expect.objectContaining({ reviewers: 2, queue: 'refunds' }),
        ],
      ]);
      for (const c of v2) expect(c.reason).toMatch(/^Calibrated confidence is reliable above 0\.75/);
      expect(v2[0]?.actor).toEqual({ type: 'deploy', id: null, label: 'deploy (SIGNOFF_DEPLOYED_BY not set)' });
    } finally {
      await demo.drop();
    }
  });
});
