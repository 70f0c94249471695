// The walking skeleton, end to end against real PostgreSQL: items arrive over HTTP, the built-in
// model decides, confident ones complete, the rest wait for review; a reviewer corrects one through
// the tRPC client exactly as the console does; it resumes and completes; its label is exported by
// the CLI and its timeline lists every step.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppRouter } from '@signoff/api';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { generateSupportItems } from '@signoff/server/demo';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ demoItems: 0 });
});
afterAll(() => s?.close());

function client(token?: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${s.url}/trpc`, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

async function signIn(email: string) {
  const { token } = await client().auth.login.mutate({ email, password: DEMO_PASSWORD, session: 'bearer' });
  return client(token);
}

function post(body: unknown, key = DEMO_API_KEY) {
  return fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const countItems = async () =>
  Number(
    (
      await s.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

// A refund above the limit always goes to the `refunds` queue, whatever the model's confidence.
const refundTicket = {
  ticketId: 'T-E2E-1',
  channel: 'email',
  language: 'en',
  subject: 'Charged twice for my annual plan',
  body: 'Hello, my card was charged twice for the annual Pro plan this month. Please refund the duplicate charge of $450.',
  customer: { id: 'C-E2E', name: 'Jordan Blake', email: 'jordan@example.com', tier: 'free', lifetimeValue: 120 },
  refundAmount: 450,
};

describe('walking skeleton', () => {
  it('answers /healthz when the database is reachable', async () => {
    const r = await fetch(`${s.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('rejects a bad input with the failing field paths and creates nothing', async () => {
    const before = await countItems();
    const r = await post({
      workflow: 'support-triage',
      input: { ...refundTicket, customer: { ...refundTicket.customer, email: 'nope', tier: 'gold' }, subject: '' },
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('BAD_INPUT');
    const paths = body.error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['input.customer.email', 'input.customer.tier', 'input.subject']));
    expect((await post({ workflow: 'no-such-flow', input: {} })).status).toBe(404);
    expect((await post({ workflow: 'support-triage', input: refundTicket }, 'sk_wrong')).status).toBe(401);
    expect(await countItems()).toBe(before);
  });

  it('runs items to completion or review, and resumes one after a human correction', async () => {
    // Ordinary traffic (no big refunds, so the refunds queue holds only our ticket).
    const traffic = generateSupportItems(30, 7).filter((i) => (i.input.refundAmount ?? 0) <= 200);
    for (const it of traffic) expect((await post({ workflow: 'support-triage', ...it })).status).toBe(201);
    const first = await post({ workflow: 'support-triage', input: refundTicket, idempotencyKey: 'e2e-refund-1' });
    expect(first.status).toBe(201);
    const { id: itemId } = (await first.json()) as { id: string };
    // The same idempotency key never creates a second item.
    const again = await post({ workflow: 'support-triage', input: refundTicket, idempotencyKey: 'e2e-refund-1' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string; created: boolean }).id).toBe(itemId);

    const total = traffic.length + 1;
    const statuses = await waitFor(
      async () => {
        const rows = await s.db.selectFrom('items').select(['status']).execute();
        return rows.length === total && rows.every((r) => r.status !== 'running') ? rows : undefined;
      },
      { message: 'every item finished or waiting for review' },
    );
    expect(statuses.filter((r) => r.status === 'succeeded').length).toBeGreaterThan(0);
    expect(statuses.filter((r) => r.status === 'waiting').length).toBeGreaterThan(0);
    // Every decision records provider, model, prompt version, output and confidence.
    const decisions = await s.db.selectFrom('decisions').selectAll().execute();
    expect(decisions.length).toBeGreaterThanOrEqual(total);
    for (const d of decisions) {
      expect(d).toMatchObject({ provider: 'local', model: 'signoff-local-logreg' });
      expect(d.prompt_version).toMatch(/^[0-9a-f]{12}$/);
      expect(d.confidence).toBeGreaterThan(0);
      expect(d.output).toHaveProperty('label');
    }

    const reviewer = await signIn('reviewer@demo.signoff');
    const queues = await reviewer.tasks.queues.query();
    expect(queues.find((q) => q.queue === 'refunds')?.pending).toBe(1);
    const task = await reviewer.tasks.claimNext.mutate({ queue: 'refunds' });
    expect(task?.item_id).toBe(itemId);
    expect(task?.reasons.map((r) => r.code)).toContain('risk_rule');
    expect(task?.decision?.label).toBeTruthy();
    const aiLabel = task?.decision?.label as string;
    const corrected = aiLabel === 'billing' ? 'account' : 'billing';

    // Overriding the AI needs a reason.
    await expect(
      reviewer.tasks.submit.mutate({ taskId: task?.id as string, verdict: 'correct', label: corrected }),
    ).rejects.toThrow(/reason/);
    // Another reviewer cannot answer a task someone else holds.
    const other = await signIn('reviewer2@demo.signoff');
    await expect(
      other.tasks.submit.mutate({
        taskId: task?.id as string,
        verdict: 'correct',
        label: corrected,
        reason: 'Duplicate charge',
      }),
    ).rejects.toThrow(/another reviewer/);

    const verdict = await reviewer.tasks.submit.mutate({
      taskId: task?.id as string,
      verdict: 'correct',
      label: corrected,
      reason: 'Duplicate charge is an account issue',
    });
    expect(verdict.label).toBe(corrected);
    // A verdict is final: a second submit is refused.
    const second = await reviewer.tasks.submit
      .mutate({ taskId: task?.id as string, verdict: 'confirm' })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(TRPCClientError);
    expect((second as TRPCClientError<AppRouter>).data?.code).toBe('CONFLICT');

    const done = await waitFor(
      async () => {
        const i = await s.db
          .selectFrom('items')
          .select(['status', 'context'])
          .where('id', '=', itemId)
          .executeTakeFirstOrThrow();
        return i.status === 'succeeded' ? i : undefined;
      },
      { message: 'the corrected item completes' },
    );
    expect(done.context.classify).toMatchObject({ label: corrected, decidedBy: 'human' });
    expect(done.context.handoff).toBeDefined();

    // The label, with provenance, in the CLI's export.
    const out = join(mkdtempSync(join(tmpdir(), 'signoff-export-')), 'labels.jsonl');
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', 'export', '--format', 'jsonl', '--out', out],
      {
        env: { ...process.env, DATABASE_URL: s.testDb.url },
      },
    );
    const labels = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const label = labels.find((l) => l.item_id === itemId);
    expect(label).toMatchObject({
      workflow: 'support-triage',
      state: 'classify',
      agent: 'support-classifier',
      model: 'signoff-local-logreg',
      ai_output: { label: aiLabel },
      human_output: { label: corrected },
      is_correction: true,
      reviewer: { email: 'reviewer@demo.signoff' },
      verdict: 'correct',
    });
    expect(label.decision_id).toBeTruthy();
    expect(label.prompt_version).toMatch(/^[0-9a-f]{12}$/);

    // The timeline lists every step in order: for a lead (reviewers see items only through their tasks).
    await expect(reviewer.items.timeline.query({ itemId })).rejects.toThrow(/needs item:read/);
    const lead = await signIn('lead@demo.signoff');
    const timeline = await lead.items.timeline.query({ itemId });
    expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i + 1));
    const actions = timeline.map((e) => `${e.action}${typeof e.data.state === 'string' ? `:${e.data.state}` : ''}`);
    expect(actions).toEqual([
      'item.submitted',
      'decision.made:classify',
      'review.requested:classify',
      'task.claimed',
      'review.submitted',
      'state.completed:classify',
      'state.completed:lookupCustomer',
      'state.completed:route',
      'state.completed:handoff',
      'item.finished:resolved',
    ]);
    expect(timeline.find((e) => e.action === 'review.submitted')?.actor_name).toBe('Riley Reviewer');

    // Compliance can prove the trail is intact.
    const compliance = await signIn('compliance@demo.signoff');
    expect(await compliance.audit.verifyItem.query({ itemId })).toMatchObject({ ok: true, checked: timeline.length });
  });

  it('never gives two reviewers the same task', async () => {
    const [a, b] = await Promise.all([signIn('reviewer@demo.signoff'), signIn('reviewer2@demo.signoff')]);
    const admin = await signIn('admin@demo.signoff');
    const claimed = await Promise.all([a, b, admin].map((c) => c.tasks.claimNext.mutate({})));
    const ids = claimed.filter((t) => t !== null).map((t) => t?.id);
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
