// The demo's imported history (issue 10 point 5): several model versions, audit samples, double
// reviews and one drifting state, so a fresh `npm start` has dashboards with something to say.
// Real PostgreSQL; the expectations come from what the history is meant to show, not from its code.
import { WorkflowRegistry } from '@signoff/engine';
import { upsertUser, verifyAuditStream } from '@signoff/governance';
import { seedSupportHistory, supportTriage } from '@signoff/server/demo';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
const NOW = new Date('2026-11-30T12:00:00Z');
let reviewers: string[];
let lead: string;

beforeAll(async () => {
  t = await createTestDatabase();
  await new WorkflowRegistry().register(t.db, supportTriage);
  reviewers = [];
  for (const email of ['riley@demo.test', 'sam@demo.test'])
    reviewers.push(
      (await upsertUser(t.db, { email, name: email, role: 'reviewer', password: 'correct horse battery' })).id,
    );
  lead = (
    await upsertUser(t.db, { email: 'lee@demo.test', name: 'Lee', role: 'lead', password: 'correct horse battery' })
  ).id;
});
afterAll(() => t?.drop());

it('imports six weeks once: 42 days x 40 items, and nothing on a second run', async () => {
  expect(await seedSupportHistory(t.db, { reviewerIds: reviewers, leadId: lead, now: NOW })).toEqual({ items: 1680 });
  expect(await seedSupportHistory(t.db, { reviewerIds: reviewers, leadId: lead, now: NOW })).toEqual({ items: 0 });
  // Days before the given clock, counted in SQL: day 0 is the last 24 hours before NOW, day 41 the
  // oldest. Six weeks of 40 decisions each, none on or after NOW (day -1) or before the window.
  const perDay = await sql<{ day: number; n: number }>`
    SELECT floor(extract(epoch FROM (${NOW}::timestamptz - created_at)) / 86400)::int AS day, count(*)::int AS n
      FROM decisions GROUP BY 1 ORDER BY 1`.execute(t.db);
  expect(perDay.rows).toEqual(Array.from({ length: 42 }, (_, day) => ({ day, n: 40 })));
});

it('has three model versions one after another, each with human labels', async () => {
  const rows = await sql<{ model_version: string; first: Date; labels: number }>`
    SELECT d.model_version, min(d.created_at) AS first, count(l.id)::int AS labels
      FROM decisions d LEFT JOIN labels l ON l.decision_id = d.id
     GROUP BY d.model_version ORDER BY first`.execute(t.db);
  expect(rows.rows.map((r) => r.model_version)).toEqual(['lr-history-v1', 'lr-history-v2', 'lr-history-v3']);
  for (const r of rows.rows) expect(r.labels).toBeGreaterThan(50);
});

it('labels an audit sample of the auto-accepted decisions, with their inclusion probability', async () => {
  const r = await sql<{ route: string; n: number; labelled: number; p: number }>`
    SELECT d.route, count(DISTINCT d.id)::int AS n, count(DISTINCT l.decision_id)::int AS labelled, min(d.audit_probability) AS p
      FROM decisions d LEFT JOIN labels l ON l.decision_id = d.id GROUP BY d.route ORDER BY d.route`.execute(t.db);
  const by = Object.fromEntries(r.rows.map((x) => [x.route, x]));
  expect(by.auto?.labelled).toBe(0);
  expect(by.sampled?.n).toBeGreaterThan(20);
  expect(by.sampled?.labelled).toBe(by.sampled?.n);
  expect(by.sampled?.p).toBe(0.1);
  expect(by.review?.labelled).toBe(by.review?.n);
  expect(by.review?.p).toBe(1);
});

it('has four-eyes decisions: two blind verdicts by different people who mostly agree, a lead settling the rest', async () => {
  // The two slots of each four-eyes point, side by side.
  const r = await sql<{ pairs: number; agree: number; different: number }>`
    SELECT count(*)::int AS pairs, count(*) FILTER (WHERE a.human_label = b.human_label)::int AS agree,
           count(*) FILTER (WHERE a.reviewer_id <> b.reviewer_id)::int AS different
      FROM labels a JOIN reviews ra ON ra.id = a.review_id JOIN review_tasks ta ON ta.id = ra.task_id
      JOIN labels b ON b.decision_id = a.decision_id
      JOIN reviews rb ON rb.id = b.review_id JOIN review_tasks tb ON tb.id = rb.task_id
     WHERE ta.kind = 'decision' AND tb.kind = 'decision' AND ta.reviewers_required = 2
       AND ta.slot = 1 AND tb.slot = 2`.execute(t.db);
  const pairs = r.rows[0]?.pairs ?? 0;
  expect(pairs).toBeGreaterThan(20);
  expect(r.rows[0]?.different).toBe(pairs);
  expect((r.rows[0]?.agree ?? 0) / pairs).toBeGreaterThan(0.85);
  // Every decision has exactly one final label: the second of two agreeing verdicts, else the lead's.
  const finals = await sql<{ n: number; decisions: number }>`
    SELECT count(*)::int AS n, count(DISTINCT decision_id)::int AS decisions FROM labels WHERE final`.execute(t.db);
  const labelled = await sql<{ n: number }>`SELECT count(DISTINCT decision_id)::int AS n FROM labels`.execute(t.db);
  expect(finals.rows[0]).toEqual({ n: labelled.rows[0]?.n, decisions: labelled.rows[0]?.n });
  const settled = await sql<{ disagreements: number; adjudicated: number; byLead: number }>`
    SELECT (SELECT count(*)::int FROM labels a JOIN labels b ON a.decision_id = b.decision_id AND a.id < b.id
             WHERE NOT a.adjudicated AND NOT b.adjudicated AND a.human_label <> b.human_label) AS disagreements,
           count(*)::int AS adjudicated, count(*) FILTER (WHERE reviewer_id = ${lead})::int AS "byLead"
      FROM labels WHERE adjudicated AND final`.execute(t.db);
  expect(settled.rows[0]?.adjudicated).toBe(settled.rows[0]?.disagreements);
  expect(settled.rows[0]?.byLead).toBe(settled.rows[0]?.adjudicated);
  expect(settled.rows[0]?.adjudicated).toBeGreaterThan(0);
});

it('shows the classify state drifting in the last week: the latest version’s accuracy falls', async () => {
  // Horvitz-Thompson: each labelled decision weighs 1 / its inclusion probability (1 when routed),
  // so the audit sample stands for all auto-accepted decisions.
  const r = await sql<{ period: string; accuracy: number }>`
    SELECT CASE WHEN d.created_at >= ${new Date(NOW.getTime() - 7 * 86_400_000)} THEN 'drift' ELSE 'before' END AS period,
           sum((l.human_label = d.label)::int / d.audit_probability) / sum(1 / d.audit_probability) AS accuracy
      FROM decisions d JOIN labels l ON l.decision_id = d.id
     WHERE d.model_version = 'lr-history-v3'
       AND l.id = (SELECT min(l2.id::text)::uuid FROM labels l2 WHERE l2.decision_id = d.id)
     GROUP BY 1`.execute(t.db);
  const by = Object.fromEntries(r.rows.map((x) => [x.period, Number(x.accuracy)]));
  expect(by.before).toBeGreaterThan(0.85);
  expect(by.drift).toBeLessThan(0.8);
});

it('says in each history item’s audit trail that it was imported, and the trail verifies', async () => {
  const item = await t.db
    .selectFrom('items')
    .select('id')
    .where('idempotency_key', '=', 'demo-history-0')
    .executeTakeFirstOrThrow();
  const events = await t.db
    .selectFrom('audit_events')
    .select(['action', 'data'])
    .where('stream', '=', item.id)
    .execute();
  expect(events.map((e) => e.action)).toEqual(['demo.history_imported']);
  expect(await verifyAuditStream(t.db, item.id)).toMatchObject({ ok: true, checked: 1 });
});
