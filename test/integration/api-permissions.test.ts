// Deny by default: every procedure of the router, called as every role and as nobody, against a
// table written by hand from what each role is for (not read from ROLE_PERMISSIONS or from the
// procedures' own declarations, which would only ever agree with the code):
// - reviewer: works review tasks of their queues and sees those queues; items only through the tasks
//   they hold (no item lists: blind multi-review, and membership);
// - lead: what a reviewer does, sees items, and runs their queues (task:lead, `leads.*`: who holds
//   what, reassignment, per-reviewer progress, escalations);
// - compliance: sees queues and items, verifies audit trails, reads model metrics and what auto-accept
//   stands on, but changes no policy;
// - data_scientist: sees items, reads model metrics, trains and calibrates models, certifies
//   auto-accept thresholds (applies, pauses, resumes them), adjudicates labels, and makes and
//   reads dataset snapshots (labelled data leaves the system through them: not for reviewers or
//   compliance);
// - admin: everything a signed-in user can be allowed, and alone manages users and API keys and
//   purges payloads past retention by hand;
// - dashboards: reviewers see queue health, review volume and throughput (their work); compliance
//   the quality ones; data scientists all of them, diagnostics (confusion, calibration, state times) included;
// - nobody signed in: only login.
import { appRouter, type Context, createCallerFactory } from '@signoff/api';
import { ROLES, type Role } from '@signoff/core';
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser } from '@signoff/governance';
import { TRPCError } from '@trpc/server';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

type Outcome = 'allowed' | 'FORBIDDEN' | 'UNAUTHORIZED';
const Y: Outcome = 'allowed';
const F: Outcome = 'FORBIDDEN';
const U: Outcome = 'UNAUTHORIZED';

const CALLERS = ['reviewer', 'lead', 'compliance', 'data_scientist', 'admin', 'anonymous'] as const;
type Caller = (typeof CALLERS)[number];

// biome-ignore format: the table reads best as a table.
const EXPECTED: Record<string, readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]> = {
  //                      reviewer lead compliance data_sci admin anonymous
  'auth.login':          [Y,       Y,    Y,         Y,       Y,    Y],
  'auth.logout':         [Y,       Y,    Y,         Y,       Y,    U],
  'auth.me':             [Y,       Y,    Y,         Y,       Y,    U],
  'tasks.queues':        [Y,       Y,    Y,         F,       Y,    U],
  'tasks.claimNext':     [Y,       Y,    F,         F,       Y,    U],
  'tasks.get':           [Y,       Y,    F,         F,       Y,    U],
  'tasks.submit':        [Y,       Y,    F,         F,       Y,    U],
  'tasks.release':       [Y,       Y,    F,         F,       Y,    U],
  'tasks.heartbeat':     [Y,       Y,    F,         F,       Y,    U],
  'tasks.skip':          [Y,       Y,    F,         F,       Y,    U],
  'tasks.escalate':      [Y,       Y,    F,         F,       Y,    U],
  'items.list':          [F,       Y,    Y,         Y,       Y,    U],
  'items.get':           [F,       Y,    Y,         Y,       Y,    U],
  'items.timeline':      [F,       Y,    Y,         Y,       Y,    U],
  'audit.verifyItem':    [F,       F,    Y,         F,       Y,    U],
  'audit.verifyStream':  [F,       F,    Y,         F,       Y,    U],
  'audit.status':        [F,       F,    Y,         F,       Y,    U],
  'audit.checkpoints':   [F,       F,    Y,         F,       Y,    U],
  'audit.publicKey':     [F,       F,    Y,         F,       Y,    U],
  'audit.itemCoverage':  [F,       F,    Y,         F,       Y,    U],
  'models.calibrations': [F,       F,    Y,         Y,       Y,    U],
  'models.usage':        [F,       F,    Y,         Y,       Y,    U],
  'models.calibrate':    [F,       F,    F,         Y,       Y,    U],
  'models.capabilities': [F,       F,    Y,         Y,       Y,    U],
  'models.probe':        [F,       F,    F,         Y,       Y,    U],
  'trust.states':        [F,       F,    Y,         Y,       Y,    U],
  'trust.accuracy':      [F,       F,    Y,         Y,       Y,    U],
  'trust.history':       [F,       F,    Y,         Y,       Y,    U],
  'trust.certificate':   [F,       F,    Y,         Y,       Y,    U],
  'trust.certify':       [F,       F,    F,         Y,       Y,    U],
  'trust.applyCertificate': [F,    F,    F,         Y,       Y,    U],
  'trust.pause':         [F,       F,    F,         Y,       Y,    U],
  'trust.resume':        [F,       F,    F,         Y,       Y,    U],
  'labels.adjudicate':   [F,       F,    F,         Y,       Y,    U],
  'examples.import':     [F,       F,    F,         Y,       Y,    U],
  'users.list':          [F,       F,    F,         F,       Y,    U],
  'users.create':        [F,       F,    F,         F,       Y,    U],
  'users.update':        [F,       F,    F,         F,       Y,    U],
  'users.disable':       [F,       F,    F,         F,       Y,    U],
  'users.enable':        [F,       F,    F,         F,       Y,    U],
  'apiKeys.list':        [F,       F,    F,         F,       Y,    U],
  'apiKeys.create':      [F,       F,    F,         F,       Y,    U],
  'apiKeys.revoke':      [F,       F,    F,         F,       Y,    U],
  // Administration (admins alone): who works which queue, and a user's memberships.
  'users.memberships':   [F,       F,    F,         F,       Y,    U],
  'users.setQueues':     [F,       F,    F,         F,       Y,    U],
  'queues.list':         [F,       F,    F,         F,       Y,    U],
  'queues.addMember':    [F,       F,    F,         F,       Y,    U],
  'queues.removeMember': [F,       F,    F,         F,       Y,    U],
  // Dashboards: reviewers (and their leads) see their queues' health and output; compliance sees
  // quality (accuracy, automation, overrides, agreement, cost); data scientists see everything.
  'dashboards.options':      [F,   Y,    Y,         Y,       Y,    U],
  'dashboards.accuracy':     [F,   F,    Y,         Y,       Y,    U],
  'dashboards.automation':   [F,   F,    Y,         Y,       Y,    U],
  'dashboards.overrides':    [F,   F,    Y,         Y,       Y,    U],
  'dashboards.agreement':    [F,   F,    Y,         Y,       Y,    U],
  'dashboards.usage':        [F,   F,    Y,         Y,       Y,    U],
  'dashboards.confusion':    [F,   F,    F,         Y,       Y,    U],
  'dashboards.calibration':  [F,   F,    F,         Y,       Y,    U],
  // Structured decisions (issue 13): the field picker as the options, per-field accuracy as
  // accuracy (quality), per-field calibration as calibration (diagnostics).
  'dashboards.fields':       [F,   Y,    Y,         Y,       Y,    U],
  'dashboards.fieldAccuracy':    [F, F,  Y,         Y,       Y,    U],
  'dashboards.fieldCalibration': [F, F,  F,         Y,       Y,    U],
  'dashboards.stateTimes':   [F,   F,    F,         Y,       Y,    U],
  'dashboards.queues':       [Y,   Y,    F,         Y,       Y,    U],
  'dashboards.reviewVolume': [Y,   Y,    F,         Y,       Y,    U],
  'dashboards.throughput':   [Y,   Y,    F,         Y,       Y,    U],
  'datasets.create':     [F,       F,    F,         Y,       Y,    U],
  'datasets.list':       [F,       F,    F,         Y,       Y,    U],
  'datasets.get':        [F,       F,    F,         Y,       Y,    U],
  // Leads: only people who run queues (and admins); which queues is checked per call
  // (test/integration/leads-reassign.test.ts, leads-views.test.ts).
  'leads.queues':        [F,       Y,    F,         F,       Y,    U],
  'leads.tasks':         [F,       Y,    F,         F,       Y,    U],
  'leads.reassign':      [F,       Y,    F,         F,       Y,    U],
  'leads.progress':      [F,       Y,    F,         F,       Y,    U],
  'leads.escalations':   [F,       Y,    F,         F,       Y,    U],
  'leads.members':       [F,       Y,    F,         F,       Y,    U],
  // Revealing one masked field (audited): compliance and admins alone (pii:read).
  'pii.unmask':          [F,       F,    Y,         F,       Y,    U],
  // Decision search (issue 12): compliance finds decisions to hand an auditor; admins may too.
  'decisions.search':    [F,       F,    Y,         F,       Y,    U],
  // Retention: compliance reads the periods and purges; only an admin purges by hand.
  'retention.status':    [F,       F,    Y,         F,       Y,    U],
  'retention.purge':     [F,       F,    F,         F,       Y,    U],
  // Policy history: compliance audits it; data scientists, who change policy, read it beside the trust screens.
  'policies.history':    [F,       F,    Y,         Y,       Y,    U],
  // Decision trails are for compliance (and admins); item:read alone is not enough.
  'trail.get':           [F,       F,    Y,         F,       Y,    U],
};

let t: TestDatabase;
const users = new Map<Role, { id: string; email: string; name: string; role: Role }>();
const procedures = Object.keys(appRouter._def.procedures);

beforeAll(async () => {
  t = await createTestDatabase();
  for (const role of ROLES)
    users.set(role, await upsertUser(t.db, { email: `${role}@perm.test`, name: role, role, password: 'x' }));
});
afterAll(() => t.drop());

function ctxFor(caller: Caller): Context {
  // boss is never reached: unauthorised calls stop before it, authorised ones fail input validation first.
  return {
    db: t.db,
    boss: {} as PgBoss,
    registry: new WorkflowRegistry(),
    user: caller === 'anonymous' ? null : (users.get(caller) ?? null),
    token: null,
  };
}

/** What a call with an empty input meets: a refusal, or anything else (an answer, a bad input). */
async function outcome(caller: Caller, path: string): Promise<Outcome> {
  const client = createCallerFactory(appRouter)(ctxFor(caller)) as unknown as Record<string, unknown>;
  const fn = path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], client) as (
    i: unknown,
  ) => Promise<unknown>;
  try {
    await fn({});
    return 'allowed';
  } catch (e) {
    if (e instanceof TRPCError && (e.code === 'FORBIDDEN' || e.code === 'UNAUTHORIZED')) return e.code;
    return 'allowed';
  }
}

describe('API permissions', () => {
  it('the table names every procedure of the router, and nothing else', () => {
    expect([...procedures].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('the table has a row for every role there is, and anonymous', () => {
    expect([...ROLES, 'anonymous'].sort()).toEqual([...CALLERS].sort());
  });

  for (const [path, row] of Object.entries(EXPECTED)) {
    it(path, async () => {
      const got = await Promise.all(CALLERS.map((c) => outcome(c, path)));
      expect(Object.fromEntries(CALLERS.map((c, i) => [c, got[i]]))).toEqual(
        Object.fromEntries(CALLERS.map((c, i) => [c, row[i]])),
      );
    });
  }
});
