// The vendor onboarding demo end to end, over HTTP on real PostgreSQL with the built-in models: a
// submission of a large vendor goes to two reviewers, who correct the record in the same way
// through the tRPC client as the console does; the item resumes with the corrected record, the
// registry check retries through its outage, each contract clause is classified, only the risky
// one goes to legal (who sees the clause, not the tax form), and the vendor is created from the
// corrected record without the clause legal struck. Then the demo seed: its vendor history (labels
// with field-level diffs for the extractor to learn from) and its submissions, once.
import { DEMO_API_KEY, DEMO_PASSWORD, seedDemo } from '@signoff/server';
import { registryOutages, type VendorRecord } from '@signoff/server/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInApi } from '../support/api-client';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

let s: TestSignoff;
beforeAll(async () => {
  s = await startTestSignoff({ demoItems: 0 });
});
afterAll(() => s?.close());

const signIn = (email: string) => signInApi(s.url, email, DEMO_PASSWORD);

// Written by hand: what the document below says, and one clause of it that breaks the contract
// policy (unlimited liability for us). The tax id's registry has an outage on the first try.
const RISKY =
  'The customer’s liability under this agreement is unlimited; the vendor’s liability shall not exceed USD 500.';
const TRUTH: VendorRecord = {
  legalName: 'Kestrel Analytics Inc.',
  taxId: '46-1938279',
  formType: 'W-9',
  entityType: 'c_corporation',
  address: { street: '55 Market St, Suite 400', city: 'Boston', postalCode: '02110', country: 'US' },
  annualSpend: 48_000,
  paymentTerms: 'net_30',
  bankCountry: 'US',
  contactEmail: 'ap@kestrel-analytics.example',
  clauses: [
    'Invoices are payable within the agreed payment terms; late amounts bear interest of 1% per month.',
    RISKY,
    'Either party may terminate this agreement for convenience on 30 days’ written notice.',
  ],
};
const DOCUMENT = `Supplier portal: new vendor registration
Legal name: Kestrel Analytics Inc.
Tax ID: 46-1938279
Tax form: W-9
Entity type: C Corporation
Street address: 55 Market St, Suite 400
City: Boston
Postal code: 02110
Country: US
Expected annual spend: $48,000
Payment terms: Net 30
Bank country: US
Contact e-mail: ap@kestrel-analytics.example

Contract clauses:
1. ${TRUTH.clauses[0]}
2. ${RISKY}
3. ${TRUTH.clauses[2]}`;
// What the reviewers learned on the phone: payables go to another mailbox, on net 45.
const CORRECTED: VendorRecord = {
  ...TRUTH,
  paymentTerms: 'net_45',
  contactEmail: 'payables@kestrel-analytics.example',
};

async function submit(input: unknown) {
  const r = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'vendor-onboarding', input }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

const item = (id: string) =>
  s.db
    .selectFrom('items')
    .select(['status', 'current_state', 'context'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

/** The item's open tasks at `state`, once the item waits there. */
async function openTasks(itemId: string, state: string, count = 1) {
  return waitFor(
    async () => {
      const tasks = await s.db
        .selectFrom('review_tasks')
        .select(['id', 'queue', 'slot', 'reviewers_required', 'summary', 'reasons'])
        .where('item_id', '=', itemId)
        .where('state', '=', state)
        .where('status', '<>', 'done')
        .orderBy('slot')
        .execute();
      return tasks.length >= count ? tasks : undefined;
    },
    { message: `${count} open task(s) at ${state}`, timeoutMs: 60_000 },
  );
}

describe('vendor onboarding', () => {
  it('creates the vendor from the record two reviewers corrected, after legal struck the one risky clause', {
    timeout: 180_000,
  }, async () => {
    expect(registryOutages(TRUTH.taxId)).toBeGreaterThan(0);
    const riley = await signIn('reviewer@demo.signoff');
    const sam = await signIn('reviewer2@demo.signoff');
    const lou = await signIn('legal@demo.signoff');
    const id = await submit({
      submissionId: 'VOB-E2E-1',
      source: 'supplier_portal',
      requestedBy: 'IT',
      document: DOCUMENT,
    });

    // Spend over 10,000: two reviewers, blind, in the vendors queue (one when no extractor answered:
    // the risk rule reads the AI's record).
    const [firstTask] = await openTasks(id, 'extract');
    const unanswered = JSON.stringify(firstTask?.reasons).includes('ai_unavailable');
    const tasks = await openTasks(id, 'extract', unanswered ? 1 : 2);
    expect(tasks.map((t) => [t.queue, t.reviewers_required])).toEqual(
      unanswered
        ? [['vendors', 1]]
        : [
            ['vendors', 2],
            ['vendors', 2],
          ],
    );
    const reviewers = unanswered ? [riley] : [riley, sam];
    for (const [who, reason] of (
      [
        [riley, 'Vendor asked for net 45 on the call'],
        [sam, 'Confirmed net 45 and the payables mailbox by phone'],
      ] as const
    ).slice(0, reviewers.length)) {
      const task = await who.tasks.claimNext.mutate({ queue: 'vendors' });
      expect(task?.item_id).toBe(id);
      const view = await who.tasks.get.query({ taskId: task?.id as string });
      expect(view.structured?.fields.map((f) => f.path)).toContain('taxId');
      if (!unanswered) expect(view.structured?.flagged).toContain('annualSpend');
      // The AI may have read nothing (no extractor answer): then the reviewer answers with the record.
      const verdict = view.structured?.aiValue ? 'correct' : 'answer';
      await who.tasks.submit.mutate({ taskId: task?.id as string, verdict, value: CORRECTED, reason });
    }

    // The clause agent reads each clause; an uncertain answer comes to the vendors queue, where
    // the reviewer gives the right one. Only the risky clause reaches legal.
    let legalTask: { id: string; summary: unknown } | undefined;
    const clauseReviews: string[] = [];
    await waitFor(
      async () => {
        const now = await item(id);
        if (now.status !== 'waiting' && now.status !== 'running') return true;
        if (now.current_state === 'clauseRisk') {
          const task = await riley.tasks.claimNext.mutate({ queue: 'vendors' });
          if (task) {
            const view = await riley.tasks.get.query({ taskId: task.id });
            const truth = view.decision?.input_text === RISKY ? 'risky' : 'standard';
            clauseReviews.push(view.decision?.input_text ?? '');
            await riley.tasks.submit.mutate(
              view.decision?.label === truth
                ? { taskId: task.id, verdict: 'confirm' }
                : { taskId: task.id, verdict: 'correct', label: truth, reason: 'read against the contract policy' },
            );
          }
        }
        if (now.current_state === 'legalReview') {
          const [open] = await openTasks(id, 'legalReview');
          legalTask = open;
          const task = await lou.tasks.claimNext.mutate({ queue: 'legal' });
          expect(task?.id).toBe(open?.id);
          await lou.tasks.submit.mutate({
            taskId: task?.id as string,
            verdict: 'answer',
            label: 'strike',
            reason: 'We never accept unlimited liability',
          });
        }
        return false;
      },
      { message: 'the item to finish', timeoutMs: 90_000 },
    );

    // Legal saw the one clause, not the tax form, the tax id or the bank.
    expect(legalTask).toBeDefined();
    const shown = JSON.stringify(legalTask?.summary);
    expect(shown).toContain('liability under this agreement is unlimited');
    expect(shown).not.toContain(TRUTH.taxId);
    expect(shown).not.toContain('Invoices are payable');
    const legalTasks = await s.db
      .selectFrom('review_tasks')
      .select('id')
      .where('item_id', '=', id)
      .where('state', '=', 'legalReview')
      .execute();
    expect(legalTasks).toHaveLength(1);

    const done = await item(id);
    expect(done.status).toBe('succeeded');
    const created = (done.context as Record<string, unknown>).created as Record<string, unknown>;
    expect(created.record).toEqual({ ...CORRECTED, clauses: [CORRECTED.clauses[0], CORRECTED.clauses[2]] });
    expect(created.struckClauses).toEqual([RISKY]);
    expect(created.recordBy).toBe('human');
    expect(created.correctedFields).toEqual(expect.arrayContaining(['paymentTerms', 'contactEmail']));
    expect(created.taxIdCheck).toBe('verified_by_irs_tin_matching');
    expect(created.vendorId).toMatch(/^VND-[0-9A-Z]{7}$/);

    // The clause agent read each clause once, in order; a person checked the ones it was unsure of
    // or called standard on a policy topic (the risky one among them, unless it flagged it itself).
    const clauseDecisions = await s.db
      .selectFrom('decisions')
      .select('input_text')
      .where('item_id', '=', id)
      .where('state', '=', 'clauseRisk')
      .orderBy('created_at')
      .execute();
    expect(clauseDecisions.map((d) => d.input_text)).toEqual(TRUTH.clauses);
    expect(clauseReviews.every((c) => TRUTH.clauses.includes(c))).toBe(true);

    // The registry's outage was retried: the check took more than one try.
    const check = await s.db
      .selectFrom('state_runs')
      .select(['attempts', 'status'])
      .where('item_id', '=', id)
      .where('state', '=', 'verifyTaxId')
      .executeTakeFirstOrThrow();
    expect(check).toEqual({ attempts: registryOutages(TRUTH.taxId) + 1, status: 'done' });

    // Both reviewers' labels keep the corrected record and the fields they changed.
    const labels = await s.db
      .selectFrom('labels')
      .select(['human_label', 'changed_fields', 'final'])
      .where('item_id', '=', id)
      .where('state', '=', 'extract')
      .execute();
    expect(labels).toHaveLength(reviewers.length);
    for (const l of labels) {
      expect(JSON.parse(l.human_label)).toEqual(CORRECTED);
      expect(l.changed_fields).toEqual(expect.arrayContaining(['paymentTerms', 'contactEmail']));
    }
  });

  it('refuses a submission without a document, naming the field, and creates nothing', async () => {
    const r = await fetch(`${s.url}/api/v1/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        workflow: 'vendor-onboarding',
        input: { submissionId: 'VOB-X', source: 'fax', requestedBy: 'IT' },
      }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('BAD_INPUT');
    expect(body.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['input.document', 'input.source']));
    const rows = await s.db
      .selectFrom('items')
      .select('id')
      .where('input', '@>', JSON.stringify({ submissionId: 'VOB-X' }) as never)
      .execute();
    expect(rows).toEqual([]);
  });

  it('seeds a history of corrected records for the extractor and the demo submissions, once', async () => {
    const seed = () => seedDemo(s.db, { registry: s.registry, boss: s.boss }, { items: 0, vendorItems: 5 });
    const first = await seed();
    expect(first.submitted).toBe(5);
    const history = await s.db
      .selectFrom('labels')
      .select(['changed_fields', 'human_label', 'input_text', 'agent', 'final'])
      .where('workflow_name', '=', 'vendor-onboarding')
      .where('item_id', 'in', (eb) =>
        eb.selectFrom('items').select('id').where('idempotency_key', 'like', 'demo-vendor-history-%'),
      )
      .execute();
    // 120 records, those over 10,000 USD with two labels.
    expect(new Set(history.map((h) => h.input_text)).size).toBe(120);
    expect(history.every((h) => h.agent === 'tax-form-reader' && Array.isArray(h.changed_fields))).toBe(true);
    expect(history.some((h) => (h.changed_fields?.length ?? 0) > 0)).toBe(true);
    expect(history.some((h) => h.changed_fields?.length === 0)).toBe(true);
    expect(history.filter((h) => h.final)).toHaveLength(120);
    const again = await seed();
    expect(again).toEqual({ submitted: 0, history: 0 });
  });
});
