// Issue 12, point 5: items carrying known PII (e-mail, phone, card, IBAN, a workflow pattern and a
// deployment pattern) in their input, context, state outputs, decisions, review reasons, labels and
// outputs; then EVERY tRPC procedure of the router (enumerated from it: a procedure without a
// hand-written input below fails the test), every download route and every CLI export, as each
// role, over real HTTP: none of the PII appears in any answer, error or file. Positive controls
// show the PII really is stored there, and that `--include-pii` and `pii.unmask` do reveal it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRouter } from '@signoff/api';
import type { Role } from '@signoff/core';
import { upsertUser } from '@signoff/governance';
import { DEMO_API_KEY } from '@signoff/server';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_REF_PATTERNS, PII, PII_FRAGMENTS, piiInput, piiWorkflow } from '../fixtures/pii-workflow';
import { pdfText } from '../support/pdf-text';
import { joinQueues } from '../support/queue-members';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';
import { runSignoff } from '../support/signoff-cli';
import { callTrpc } from '../support/trpc-http';

const PASSWORD = 'pii proof password 1';
const ROLES_TESTED: Role[] = ['data_scientist', 'compliance', 'admin', 'lead', 'reviewer'];

let s: TestSignoff;
const users = new Map<Role | 'spare', { id: string; email: string }>();
const tokens = new Map<Role, string>();
/** Ids the inputs below refer to. */
const seed = {
  itemIds: [] as string[],
  reviewedTask: '',
  escalatedTask: '',
  heldTask: '',
  pendingTask: '',
  decisionId: '',
  snapshotId: '',
  ingestAnswer: '',
};

/** A file's text: Parquet (Snappy-compressed) read back to its rows as JSON; anything else as bytes. */
function fileText(bytes: Buffer, format: string): string {
  if (format !== 'parquet') return bytes.toString('utf8');
  const table = tableFromIPC(readParquet(new Uint8Array(bytes)).intoIPCStream());
  expect(table.numRows).toBeGreaterThan(0);
  return JSON.stringify(
    table.toArray().map((r) => r.toJSON()),
    (_k, v) => (typeof v === 'bigint' ? String(v) : v),
  );
}

/** Every PII string (and fragment) found in a text. */
function leaks(text: string): string[] {
  return PII_FRAGMENTS.filter((p) => text.includes(p));
}

async function call(role: Role, path: string, input: unknown) {
  const proc = (appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>)[path];
  return callTrpc(s.url, path, {
    ...(input === undefined ? {} : { input }),
    query: proc?._def.type === 'query',
    headers: { authorization: `Bearer ${tokens.get(role)}` },
  });
}

/** The answer's data (the call is expected to have succeeded). */
function dataOf<T>(r: { body: { result?: { data: unknown } } }): T {
  return r.body.result?.data as T;
}

/** A fresh bearer session for the role's user (the enumeration below ends each with auth.logout). */
async function signIn(role: Role): Promise<void> {
  const email = users.get(role)?.email;
  const login = await callTrpc(s.url, 'auth.login', { input: { email, password: PASSWORD, session: 'bearer' } });
  tokens.set(role, dataOf<{ token: string }>(login).token);
}

async function taskOf(itemId: string) {
  return waitFor(
    () =>
      s.db.selectFrom('review_tasks').select(['id', 'decision_id']).where('item_id', '=', itemId).executeTakeFirst(),
    { message: `a review task for item ${itemId}` },
  );
}

beforeAll(async () => {
  // The CLI below runs in child processes with this environment.
  process.env.SIGNOFF_PII_PATTERNS = CLAIM_REF_PATTERNS;
  // A signing key, so the audit bundle (signed checkpoints) can be exported too.
  process.env.SIGNOFF_AUDIT_SIGNING_KEY = generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  s = await startTestSignoff({
    workflows: [piiWorkflow()],
    env: { SIGNOFF_PII_PATTERNS: CLAIM_REF_PATTERNS, SIGNOFF_AUDIT_SIGNING_KEY: process.env.SIGNOFF_AUDIT_SIGNING_KEY },
  });
  for (const role of ROLES_TESTED) {
    const u = await upsertUser(s.db, { email: `${role}@pii.test`, name: `The ${role}`, role, password: PASSWORD });
    users.set(role, u);
    if (role === 'reviewer' || role === 'lead') await joinQueues(s.db, u.id, ['pii-claims']);
    await signIn(role);
  }
  users.set(
    'spare',
    await upsertUser(s.db, { email: 'spare@pii.test', name: 'Spare', role: 'reviewer', password: PASSWORD }),
  );

  // Five items through the HTTP API (the answer is checked below too).
  const ingest = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      items: [0, 1, 2, 3, 4].map((n) => ({
        workflow: 'pii-claims',
        input: piiInput(n),
        idempotencyKey: `claim-${n}-${PII.member}`,
      })),
    }),
  });
  seed.ingestAnswer = await ingest.text();
  seed.itemIds = (JSON.parse(seed.ingestAnswer) as { results: { id: string }[] }).results.map((r) => r.id);
  const tasks = await Promise.all(seed.itemIds.map(taskOf));
  seed.decisionId = tasks[0]?.decision_id as string;

  // The reviewer claims a task and corrects it with a reason full of PII, claims another and
  // escalates it (the reason too), and claims a third and holds it; the rest stay pending.
  const claim = async () => {
    const r = await call('reviewer', 'tasks.claimNext', {});
    expect(r.status, r.text).toBe(200);
    return dataOf<{ id: string }>(r).id;
  };
  const reason = `Customer ${PII.email} (${PII.phone}) paid with ${PII.card}, refund to ${PII.iban}, ${PII.member}, ${PII.claimRef}`;
  seed.reviewedTask = await claim();
  // 'complaint': a correction whatever the built-in model answered (it reads these as billing).
  const submitted = await call('reviewer', 'tasks.submit', {
    taskId: seed.reviewedTask,
    verdict: 'correct',
    label: 'complaint',
    reason,
  });
  expect(submitted.status, submitted.text).toBe(200);
  seed.escalatedTask = await claim();
  const escalated = await call('reviewer', 'tasks.escalate', { taskId: seed.escalatedTask, reason });
  expect(escalated.status, escalated.text).toBe(200);
  seed.heldTask = await claim();
  const claimed = [seed.reviewedTask, seed.escalatedTask, seed.heldTask];
  seed.pendingTask = tasks.map((t) => t.id).find((id) => !claimed.includes(id)) as string;
  const done = await s.db
    .selectFrom('review_tasks')
    .select('item_id')
    .where('id', '=', seed.reviewedTask)
    .executeTakeFirstOrThrow();
  await waitFor(
    async () =>
      (await s.db.selectFrom('items').select('status').where('id', '=', done.item_id).executeTakeFirstOrThrow())
        .status === 'succeeded',
  );
  const snapshot = await call('data_scientist', 'datasets.create', { name: 'pii-proof' });
  seed.snapshotId = dataOf<{ id: string }>(snapshot).id;
}, 180_000);
afterAll(async () => {
  delete process.env.SIGNOFF_PII_PATTERNS;
  delete process.env.SIGNOFF_AUDIT_SIGNING_KEY;
  await s?.close();
});

type InputOf = () => unknown;
const none: InputOf = () => undefined;
const empty: InputOf = () => ({});
const item = () => ({ itemId: seed.itemIds[0] });
const state = () => ({ workflow: 'pii-claims', state: 'classify' });
const spare = () => ({ userId: users.get('spare')?.id });

// A valid input for every procedure, by hand. A procedure the router gains must be added here.
const INPUTS: Record<string, InputOf> = {
  'auth.login': () => ({ email: 'spare@pii.test', password: PASSWORD, session: 'bearer' }),
  'auth.logout': none,
  'auth.me': none,
  'tasks.queues': none,
  'tasks.claimNext': empty,
  'tasks.get': () => ({ taskId: seed.heldTask }),
  'tasks.heartbeat': () => ({ taskId: seed.heldTask }),
  'tasks.submit': () => ({ taskId: seed.heldTask, verdict: 'correct', label: 'bug', reason: 'the proof corrects it' }),
  'tasks.release': () => ({ taskId: seed.heldTask }),
  'tasks.skip': () => ({ taskId: seed.heldTask }),
  'tasks.escalate': () => ({ taskId: seed.heldTask, reason: 'the proof escalates it' }),
  'items.list': empty,
  'decisions.search': () => ({ includeTotal: true }),
  'items.get': item,
  'items.timeline': item,
  'audit.verifyItem': item,
  'audit.verifyStream': () => ({ stream: 'security' }),
  'models.calibrations': empty,
  'models.usage': empty,
  'models.capabilities': none,
  'models.probe': empty,
  'models.calibrate': () => ({ agent: 'support-classifier', minLabels: 20 }),
  'trust.states': none,
  'trust.accuracy': empty,
  'trust.history': state,
  'trust.certificate': () => ({ certificateId: randomUUID() }),
  'trust.certify': state,
  'trust.applyCertificate': () => ({ certificateId: randomUUID(), reason: 'the proof applies it' }),
  'trust.pause': () => ({ ...state(), reason: 'the proof pauses it' }),
  'trust.resume': () => ({ ...state(), reason: 'the proof resumes it' }),
  'labels.adjudicate': () => ({ decisionId: seed.decisionId, label: 'account', reason: 'the proof settles it' }),
  'examples.import': () => ({ agent: 'pii-proof-agent', examples: [{ text: 'a plain example', label: 'a' }] }),
  'users.list': none,
  'users.create': () => ({
    email: `made-${randomUUID().slice(0, 8)}@pii.test`,
    name: 'Made',
    role: 'reviewer',
    password: PASSWORD,
  }),
  'users.update': () => ({ ...spare(), name: 'Spare Renamed' }),
  'users.disable': spare,
  'users.enable': spare,
  'users.memberships': spare,
  'users.setQueues': () => ({ ...spare(), queues: ['pii-claims'] }),
  'queues.list': none,
  'queues.addMember': () => ({ queue: 'pii-claims', ...spare() }),
  'queues.removeMember': () => ({ queue: 'pii-claims', ...spare() }),
  'apiKeys.list': none,
  'apiKeys.create': () => ({ name: 'pii proof key', scopes: ['items:submit'] }),
  'apiKeys.revoke': () => ({ keyId: randomUUID() }),
  'dashboards.options': none,
  'dashboards.accuracy': empty,
  'dashboards.automation': empty,
  'dashboards.overrides': empty,
  'dashboards.agreement': empty,
  'dashboards.usage': empty,
  'dashboards.confusion': empty,
  'dashboards.calibration': empty,
  'dashboards.fieldAccuracy': empty,
  'dashboards.fieldCalibration': empty,
  'dashboards.fields': empty,
  'dashboards.stateTimes': empty,
  'dashboards.queues': empty,
  'dashboards.reviewVolume': empty,
  'dashboards.throughput': empty,
  'datasets.create': () => ({ name: `pii-proof-${randomUUID().slice(0, 8)}` }),
  'datasets.list': empty,
  'datasets.get': () => ({ snapshotId: seed.snapshotId }),
  'leads.queues': none,
  'leads.tasks': () => ({ queue: 'pii-claims' }),
  'leads.reassign': () => ({ taskId: seed.pendingTask, userId: users.get('reviewer')?.id }),
  'leads.progress': empty,
  'leads.escalations': empty,
  'leads.members': () => ({ queue: 'pii-claims', taskId: seed.pendingTask }),
  'policies.history': empty,
  'pii.unmask': () => ({ itemId: seed.itemIds[0], path: '/input/customer/email' }),
  // The compliance slices (issue 12).
  'audit.status': none,
  'audit.checkpoints': empty,
  'audit.publicKey': none,
  'audit.itemCoverage': item,
  'trail.get': item,
  'retention.status': empty,
  'retention.purge': () => ({ dryRun: true }),
};

// Run last, in this order: they end the task or the session the other calls use.
const LAST = ['tasks.submit', 'tasks.release', 'tasks.skip', 'tasks.escalate', 'auth.logout'];
const procedures = Object.keys(appRouter._def.procedures);
const ordered = [...procedures.filter((p) => !LAST.includes(p)), ...LAST.filter((p) => procedures.includes(p))];

describe('the seed really holds the PII (else the proof below would prove nothing)', () => {
  it('in inputs, context, state outputs, decisions, review reasons, labels and outputs', async () => {
    const dump = async (table: 'items' | 'state_runs' | 'decisions' | 'reviews' | 'labels') =>
      JSON.stringify(await s.db.selectFrom(table).selectAll().execute());
    for (const table of ['items', 'state_runs', 'decisions', 'reviews', 'labels'] as const)
      expect(leaks(await dump(table)), table).toEqual(expect.arrayContaining([PII.email, PII.card]));
    expect(leaks(await dump('items'))).toEqual(expect.arrayContaining(Object.values(PII)));
  });
});

describe('no PII in any answer', () => {
  it('every procedure of the router has an input here', () => {
    expect([...procedures].sort()).toEqual(Object.keys(INPUTS).sort());
  });

  it('the ingestion API answer', () => {
    expect(leaks(seed.ingestAnswer)).toEqual([]);
  });

  for (const role of ROLES_TESTED) {
    it(`every procedure, as ${role}`, async () => {
      const seen: string[] = [];
      let answered = 0;
      for (const path of ordered) {
        // The one explicit reveal, for the roles allowed it (tested in pii-unmask.test.ts).
        if (path === 'pii.unmask' && (role === 'compliance' || role === 'admin')) continue;
        const input = INPUTS[path];
        if (!input) throw new Error(`no input for ${path}`);
        const r = await call(role, path, input());
        expect(r.status, `${path} as ${role}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
        if (r.status === 200) answered++;
        for (const leak of leaks(r.text)) seen.push(`${path} as ${role} shows ${leak}: ${r.text.slice(0, 500)}`);
      }
      expect(seen).toEqual([]);
      // Not a run of refusals: each role reaches a good share of the API.
      expect(answered).toBeGreaterThan(10);
    });
  }

  it('item data shows as mask tokens', async () => {
    await signIn('lead');
    const r = await call('lead', 'items.get', item());
    const data = r.body.result?.data as { input: { customer: { email: string }; body: string } };
    expect(data.input.customer.email).toBe('[email]');
    expect(data.input.body).toBe(
      'Please refund my card [card …1111] to IBAN [iban]. Member [member-id]. Call me on [phone].',
    );
  });
});

describe('no PII in downloads and exports', () => {
  const formats = ['jsonl', 'csv', 'chat', 'parquet'] as const;

  it('dataset downloads (every format) over HTTP', async () => {
    await signIn('data_scientist');
    for (const format of formats) {
      const r = await fetch(`${s.url}/api/v1/datasets/${seed.snapshotId}/export?format=${format}`, {
        headers: { authorization: `Bearer ${tokens.get('data_scientist')}` },
      });
      expect(r.status, format).toBe(200);
      const text = fileText(Buffer.from(await r.arrayBuffer()), format);
      expect(leaks(text), format).toEqual([]);
      // The masked values are there, as tokens (the row's input text and the reviewer's reason).
      expect(text, format).toContain('[card …1111]');
    }
  });

  it('the trail (JSON, PDF), decision search (CSV, JSON) and audit bundle downloads over HTTP', async () => {
    await signIn('compliance');
    const get = async (path: string) => {
      const r = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${tokens.get('compliance')}` } });
      expect(r.status, path).toBe(200);
      return Buffer.from(await r.arrayBuffer());
    };
    for (const itemId of seed.itemIds) {
      const json = (await get(`/api/v1/items/${itemId}/trail?format=json`)).toString();
      expect(leaks(json), `trail ${itemId} json`).toEqual([]);
      expect(json).toContain('[card …1111]');
      const pdf = (await pdfText(new Uint8Array(await get(`/api/v1/items/${itemId}/trail?format=pdf`)))).text;
      expect(leaks(pdf), `trail ${itemId} pdf`).toEqual([]);
      expect(pdf).toContain('[email]');
    }
    for (const format of ['csv', 'json']) {
      const text = (await get(`/api/v1/decisions/export?format=${format}`)).toString();
      expect(leaks(text), `decisions ${format}`).toEqual([]);
    }
    expect(leaks((await get('/api/v1/audit/bundle')).toString()), 'bundle').toEqual([]);
  });

  it('CLI: the trail, decision search, policy history and audit bundle mask too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pii-cli-'));
    const itemId = seed.itemIds[0] as string;
    for (const format of ['json', 'pdf']) {
      const out = join(dir, `trail.${format}`);
      const r = await runSignoff(['audit', 'trail', itemId, '--format', format, '--out', out], s.databaseUrl);
      expect(r.code, r.stderr).toBe(0);
      const text =
        format === 'pdf' ? (await pdfText(new Uint8Array(readFileSync(out)))).text : readFileSync(out, 'utf8');
      expect(leaks(text + r.stdout), `audit trail ${format}`).toEqual([]);
    }
    for (const format of ['csv', 'json']) {
      const r = await runSignoff(['decisions', 'search', '--format', format], s.databaseUrl);
      expect(r.code, r.stderr).toBe(0);
      expect(leaks(r.stdout), `decisions search ${format}`).toEqual([]);
    }
    const history = await runSignoff(['policy', 'history', '--format', 'json'], s.databaseUrl);
    expect(history.code, history.stderr).toBe(0);
    expect(leaks(history.stdout)).toEqual([]);
    const bundle = join(dir, 'bundle.json');
    const exported = await runSignoff(['audit', 'export', '--out', bundle], s.databaseUrl);
    expect(exported.code, exported.stderr).toBe(0);
    expect(leaks(readFileSync(bundle, 'utf8'))).toEqual([]);
  }, 240_000);

  it('CLI: signoff dataset export (every format) and signoff export mask by default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pii-export-'));
    for (const format of formats) {
      const out = join(dir, `snapshot.${format}`);
      const r = await runSignoff(
        ['dataset', 'export', seed.snapshotId, '--format', format, '--out', out],
        s.databaseUrl,
      );
      expect(r.code, r.stderr).toBe(0);
      const text = fileText(readFileSync(out), format);
      expect(leaks(text), format).toEqual([]);
      expect(text, format).toContain('[card …1111]');
    }
    const out = join(dir, 'labels.jsonl');
    const r = await runSignoff(['export', '--out', out], s.databaseUrl);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('[email]');
    expect(leaks(text)).toEqual([]);
  }, 240_000);

  it('CLI: --include-pii writes it as stored, and is audited on the security stream first', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pii-export-')), 'labels.jsonl');
    const r = await runSignoff(['export', '--out', out, '--include-pii'], s.databaseUrl);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain(PII.email);
    const events = await s.db
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'actor_id', 'data'])
      .where('stream', '=', 'security')
      .where('action', '=', 'pii.export_unmasked')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_type: 'system', actor_id: 'cli', data: { command: 'export', out } });
  });
});
