// Reviewing a structured decision in the real console (issue 13, the correction form): the form is
// generated from the state's schema, shows each field's confidence (low ones highlighted) and the
// routing's flags; a reviewer corrects two fields with the keyboard alone and the item completes
// with the corrected record; another corrects a draft (its diff against the AI's), a list's rows
// and a tax id, and bad values are refused at their fields before anything is stored.
import { upsertUser } from '@signoff/governance';
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AI_INVOICE,
  FOUR_EYES,
  INVOICE_QUEUE,
  type Invoice,
  invoiceExtractor,
  invoiceWorkflow,
  UNREADABLE,
} from '../fixtures/invoice-extract-workflow';
import { expectAccessible } from '../support/accessibility';
import { signInApi } from '../support/api-client';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { startTestEngine, type TestEngine } from '../support/engine';
import { joinQueues, joinQueuesByEmail } from '../support/queue-members';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const RIA = { email: 'ria@records.test', name: 'Ria Records', password: 'fields, not labels' };
const SAM = { email: 'sam@records.test', name: 'Sam Second', password: 'a second pair of eyes' };

let s: TestSignoff;
let engine: TestEngine;
let browser: Browser;
let page: Page;
let riaId: string;
const items: string[] = [];

beforeAll(async () => {
  // The server (API and console) without its own workers; this file's workers answer the decide
  // state with the test provider, which extracts a known record.
  [browser, s] = await Promise.all([
    launchBrowser(),
    startTestSignoff({ demoItems: 0, workers: false, workflows: [invoiceWorkflow()] }),
  ]);
  engine = await startTestEngine(s.testDb, [invoiceWorkflow()], { provider: invoiceExtractor() });
  riaId = (await upsertUser(s.db, { ...RIA, role: 'reviewer' })).id;
  await joinQueues(s.db, riaId, [INVOICE_QUEUE]);
  for (const n of [1, 2]) items.push(await submitInvoice(`Invoice ${n} from Acme Tools Ltd`));
  await waitFor(
    async () => {
      const tasks = await s.db.selectFrom('review_tasks').select('id').where('queue', '=', INVOICE_QUEUE).execute();
      return tasks.length === 2;
    },
    { message: 'both invoices wait for review' },
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await engine?.stop();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('a reviewer corrects two fields with the keyboard alone, and the item completes with them', async () => {
  await page.goto('/');
  await page.getByLabel('Email').waitFor();
  await page.keyboard.type(RIA.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(RIA.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();

  await page.keyboard.press('n');
  const taskId = await openedTask(page);
  const itemId = await itemOf(taskId);

  // ? lists the form's keys.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Task shortcuts' });
  await help.waitFor();
  for (const action of ['Next field', 'Previous field', 'Reset the field you are in to the AI value', 'Escalate'])
    expect(await help.textContent()).toContain(action);
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });

  // J from outside the form goes to its first field; Enter goes on field by field.
  await page.keyboard.press('j');
  expect(await focused(page)).toEqual({ label: 'Name', value: 'Acme Tools Ltd' });
  await page.keyboard.press('Enter');
  expect(await focused(page)).toEqual({ label: 'Tax id', value: '12-3456789' });
  await page.keyboard.press('Enter');
  expect((await focused(page)).label).toBe('Invoice number');
  await page.keyboard.press('Enter');
  expect(await focused(page)).toEqual({ label: 'Total', value: '125.5' });

  // 1. The total: select what the AI wrote, type the right one.
  await page.keyboard.press('Control+a');
  await page.keyboard.type('1250.50');
  // Enter in a one-line field moves on: it submits nothing.
  await page.keyboard.press('Enter');
  expect(await focused(page)).toEqual({ label: 'Currency', value: 'USD' });

  // 2. The currency: the next option of the picker (USD, EUR, GBP).
  await page.keyboard.press('ArrowDown');
  expect(await focused(page)).toEqual({ label: 'Currency', value: 'EUR' });

  // Alt+↓ moves on from a picker too; Space ticks "Paid", Alt+R puts it back to the AI's.
  await page.keyboard.press('Alt+ArrowDown');
  expect((await focused(page)).label).toBe('Paid');
  await page.keyboard.press('Space');
  expect(await fieldClasses(page, 'paid')).toContain('sf-changed');
  await page.keyboard.press('Alt+r');
  expect(await fieldClasses(page, 'paid')).not.toContain('sf-changed');
  expect(await page.getByLabel('Paid', { exact: true }).isChecked()).toBe(false);
  // Alt+↑ goes back.
  await page.keyboard.press('Alt+ArrowUp');
  expect((await focused(page)).label).toBe('Currency');

  // On to the reason, field by field.
  for (let i = 0; i < 15 && (await focused(page)).label !== 'Reason for the correction'; i++)
    await page.keyboard.press('Alt+ArrowDown');
  expect((await focused(page)).label).toBe('Reason for the correction');
  await page.getByRole('status').filter({ hasText: '2 fields changed: total, currency.' }).waitFor();
  const reason = 'Total is 1,250.50 EUR on page 2.';
  await page.keyboard.type(reason);
  await screenshot(page, 'structured-keyboard-correction.png');
  await page.keyboard.press('Control+Enter');

  // Stored: the corrected record as the human label, the two fields as its diff.
  const corrected: Invoice = { ...AI_INVOICE, total: 1250.5, currency: 'EUR' };
  const label = await labelOf(taskId);
  expect(label).toMatchObject({
    verdict: 'correct',
    reviewer_id: riaId,
    is_correction: true,
    reason,
    changed_fields: ['total', 'currency'],
    field_changes: [
      { field: 'total', ai: 125.5, human: 1250.5 },
      { field: 'currency', ai: 'USD', human: 'EUR' },
    ],
  });
  expect(JSON.parse(label.human_label)).toEqual(corrected);
  expect(JSON.parse(label.ai_label as string)).toEqual(AI_INVOICE);

  // The item goes on with the corrected record and completes with it.
  const done = await engine.settle(itemId);
  expect(done.status).toBe('succeeded');
  expect(done.context.extract).toMatchObject({ value: corrected, decidedBy: 'human' });
  const final = await s.db
    .selectFrom('state_runs')
    .select('output')
    .where('item_id', '=', itemId)
    .where('state', '=', 'done')
    .executeTakeFirstOrThrow();
  expect(final.output).toEqual(corrected);
});

it('shows confidence and flags per field, diffs a draft, edits rows, and refuses bad values at their fields', async () => {
  await signIn(page, RIA.email, RIA.password);
  await page.getByRole('button', { name: `Claim from ${INVOICE_QUEUE}` }).click();
  const taskId = await openedTask(page);

  // Low: the total and tax id under their fields' thresholds (95%), the currency under 80%.
  // Flagged: what the routing named (the fields below their thresholds). Neither: the name.
  expect(await fieldClasses(page, 'total')).toEqual(expect.arrayContaining(['sf-low', 'sf-flagged']));
  expect(await fieldClasses(page, 'vendor.taxId')).toEqual(expect.arrayContaining(['sf-low', 'sf-flagged']));
  expect(await fieldClasses(page, 'currency')).toContain('sf-low');
  expect(await fieldClasses(page, 'currency')).not.toContain('sf-flagged');
  expect(await fieldClasses(page, 'vendor.name')).not.toContain('sf-low');
  expect(await fieldClasses(page, 'vendor.name')).not.toContain('sf-flagged');
  expect(await field(page, 'total').locator('.sf-conf').textContent()).toBe('AI confidence 41% low');
  expect(await field(page, 'vendor.name').locator('.sf-conf').textContent()).toBe('AI confidence 97%');
  // A screen reader hears the confidence and the flag with the field.
  expect(await page.getByLabel('Total', { exact: true }).getAttribute('aria-describedby')).toMatch(/-conf .*-flag/);
  // Nested objects are fieldsets named by their field.
  await page.getByRole('group', { name: 'Vendor' }).getByLabel('Tax id', { exact: true }).waitFor();
  await expectAccessible(page, 'structured task');

  // A free-text draft: the diff against the AI's, by words.
  await page.getByLabel('Note', { exact: true }).fill('Thank you for the invoice. We will pay it within 14 days.');
  const diff = page.getByTestId('draft-diff');
  expect(await diff.locator('del').allTextContents()).toEqual(['removed: 30']);
  expect(await diff.locator('ins').allTextContents()).toEqual(['added: 14']);

  // A row added to the list, filled in, moved up to second place.
  await page.getByRole('button', { name: 'Add lines row' }).click();
  const lines = page.getByRole('group', { name: 'Lines' });
  await lines.getByLabel('Description', { exact: true }).nth(2).fill('Discount');
  await lines.getByLabel('Amount', { exact: true }).nth(2).fill('-10');
  await page.getByRole('button', { name: 'Move Lines row 3 up' }).click();
  expect(await lines.getByLabel('Description', { exact: true }).nth(1).inputValue()).toBe('Discount');

  // A tax id off the schema's pattern: refused at its field before any request.
  await page.getByLabel('Tax id', { exact: true }).fill('12-34');
  await page.getByLabel('Reason for the correction').fill('Tax id, new line and reply to the vendor.');
  await page.getByRole('button', { name: /^Submit correction/ }).click();
  expect(await field(page, 'vendor.taxId').locator('.field-error').textContent()).toBe(
    'Tax id does not have the expected format',
  );
  expect(await page.getByLabel('Tax id', { exact: true }).getAttribute('aria-invalid')).toBe('true');
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.id))
    .toBe(await page.getByLabel('Tax id', { exact: true }).getAttribute('id'));

  // What only the server's schema knows (a refinement): its message at the field, nothing stored.
  await page.getByLabel('Tax id', { exact: true }).fill('98-7654321');
  await page.getByLabel('Invoice number', { exact: true }).fill('2042');
  await page.getByRole('button', { name: /^Submit correction/ }).click();
  await field(page, 'invoiceNumber')
    .locator('.field-error')
    .filter({ hasText: 'An invoice number starts with INV-' })
    .waitFor();
  expect(await s.db.selectFrom('reviews').select('id').where('task_id', '=', taskId).execute()).toEqual([]);
  await screenshot(page, 'structured-form-errors.png');

  await page.getByLabel('Invoice number', { exact: true }).fill('INV-2042');
  await screenshot(page, 'structured-form-diff.png');
  await page.getByRole('button', { name: /^Submit correction/ }).click();
  const label = await labelOf(taskId);
  const corrected: Invoice = {
    ...AI_INVOICE,
    vendor: { name: 'Acme Tools Ltd', taxId: '98-7654321' },
    invoiceNumber: 'INV-2042',
    lines: [
      { description: 'Torque wrench', amount: 100 },
      { description: 'Discount', amount: -10 },
      { description: 'Delivery', amount: 25.5 },
    ],
    note: 'Thank you for the invoice. We will pay it within 14 days.',
  };
  expect(label.changed_fields).toEqual(['vendor.taxId', 'invoiceNumber', 'lines', 'note']);
  expect(JSON.parse(label.human_label)).toEqual(corrected);
});

it('a record the AI could not give is filled in from a blank form and sent as an answer', async () => {
  const itemId = await submitInvoice(`A ${UNREADABLE} invoice from Bolt & Nut GmbH`);
  const taskId = (
    await waitFor(() => s.db.selectFrom('review_tasks').select('id').where('item_id', '=', itemId).executeTakeFirst())
  ).id;
  await signIn(page, RIA.email, RIA.password);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  // The only invoice waiting.
  await page.getByRole('button', { name: `Claim from ${INVOICE_QUEUE}` }).click();
  await page.waitForURL(`/tasks/${taskId}`);
  await page.getByText('The AI gave no record: fill it in.').waitFor();
  expect(await page.getByRole('button', { name: /^Confirm the record/ }).count()).toBe(0);
  expect(await page.getByText('The AI could not answer this one: fill in the record yourself.').count()).toBe(1);

  // Blank: nothing to compare with, nothing marked changed; required fields asked for.
  expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('');
  await page.getByRole('button', { name: /^Submit record/ }).click();
  expect(await field(page, 'total').locator('.field-error').textContent()).toBe('Enter total');
  expect(await field(page, 'currency').locator('.field-error').textContent()).toBe('Choose currency');
  expect(await page.locator('.sf-changed').count()).toBe(0);

  await page.getByLabel('Name', { exact: true }).fill('Bolt & Nut GmbH');
  await page.getByLabel('Tax id', { exact: true }).fill('45-1234567');
  await page.getByLabel('Invoice number', { exact: true }).fill('INV-77');
  await page.getByLabel('Total', { exact: true }).fill('80');
  await page.getByLabel('Currency', { exact: true }).selectOption('EUR');
  await page.getByLabel('Paid', { exact: true }).check();
  await page.getByRole('button', { name: 'Add lines row' }).click();
  await page.getByLabel('Description', { exact: true }).fill('Bolts');
  await page.getByLabel('Amount', { exact: true }).fill('80');
  await page.getByLabel('Note', { exact: true }).fill('Paid by card.');
  await page.getByRole('button', { name: /^Submit record/ }).click();

  const label = await labelOf(taskId);
  expect(label).toMatchObject({ verdict: 'answer', reviewer_id: riaId, ai_label: null });
  expect(JSON.parse(label.human_label)).toEqual({
    vendor: { name: 'Bolt & Nut GmbH', taxId: '45-1234567' },
    invoiceNumber: 'INV-77',
    total: 80,
    currency: 'EUR',
    paid: true,
    lines: [{ description: 'Bolts', amount: 80 }],
    note: 'Paid by card.',
  });
  expect((await engine.settle(itemId)).status).toBe('succeeded');
});

it('two reviewers correct different fields, and the lead settles the record in the form', async () => {
  const samId = (await upsertUser(s.db, { ...SAM, role: 'reviewer' })).id;
  await joinQueues(s.db, samId, [INVOICE_QUEUE]);
  await joinQueuesByEmail(s.db, demoUser('lead').email, [INVOICE_QUEUE]);
  const itemId = await submitInvoice(`Invoice 9, ${FOUR_EYES}`);
  await waitFor(() => s.db.selectFrom('review_tasks').select('id').where('item_id', '=', itemId).executeTakeFirst());

  // Through the API: Ria corrects the total, Sam the currency.
  for (const [who, value] of [
    [RIA, { ...AI_INVOICE, total: 1000 }],
    [SAM, { ...AI_INVOICE, currency: 'EUR' }],
  ] as const) {
    const api = await signInApi(s.url, who.email, who.password);
    const task = await waitFor(() => api.tasks.claimNext.mutate({ queue: INVOICE_QUEUE }));
    expect(task.item_id).toBe(itemId);
    await api.tasks.submit.mutate({ taskId: task.id, verdict: 'correct', value, reason: `${who.name} checked it` });
  }
  const adjudication = await waitFor(() =>
    s.db
      .selectFrom('review_tasks')
      .select('id')
      .where('item_id', '=', itemId)
      .where('kind', '=', 'adjudication')
      .executeTakeFirst(),
  );

  await signIn(page, demoUser('lead').email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lead' }).click();
  await page.getByRole('button', { name: /^Adjudicate invoice-intake/ }).click();
  await page.waitForURL(new RegExp(`/tasks/${adjudication.id}$`));
  // Each reviewer's record as the fields they changed from the AI's.
  const verdicts = page.getByRole('region', { name: 'The reviewers’ verdicts' });
  const row = async (name: string) => (await verdicts.getByRole('row').filter({ hasText: name }).textContent()) ?? '';
  expect(await row(RIA.name)).toContain('total 1000');
  expect(await row(SAM.name)).toContain('currency EUR');
  expect(await row(SAM.name)).not.toContain('total');

  // The form starts from the AI's record; the lead takes both corrections.
  expect(await page.getByLabel('Total', { exact: true }).inputValue()).toBe('125.5');
  await page.getByLabel('Total', { exact: true }).fill('1000');
  await page.getByLabel('Currency', { exact: true }).selectOption('EUR');
  await page.getByLabel('Why this record (optional)').fill('Both are right.');
  await screenshot(page, 'structured-adjudication.png');
  await page.getByRole('button', { name: /^Submit final record/ }).click();

  const settled: Invoice = { ...AI_INVOICE, total: 1000, currency: 'EUR' };
  const done = await engine.settle(itemId);
  expect(done.status).toBe('succeeded');
  expect(done.context.extract).toMatchObject({ value: settled });
  const final = await s.db
    .selectFrom('labels')
    .select(['human_label', 'adjudicated', 'changed_fields'])
    .where('item_id', '=', itemId)
    .where('final', '=', true)
    .executeTakeFirstOrThrow();
  expect(final).toMatchObject({ adjudicated: true, changed_fields: ['total', 'currency'] });
  expect(JSON.parse(final.human_label)).toEqual(settled);
});

async function submitInvoice(document: string): Promise<string> {
  const r = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'invoice-intake', input: { document } }),
  });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

/** Waits for a task to open, ready to answer; returns its id. */
async function openedTask(p: Page): Promise<string> {
  await p.waitForURL((u) => /^\/tasks\/[0-9a-f-]{36}$/.test(u.pathname));
  await p.getByRole('button', { name: /^Confirm the record/ }).waitFor();
  await waitFor(async () => p.getByRole('button', { name: /^Confirm the record/ }).isEnabled(), {
    message: 'the task to be answerable',
  });
  return new URL(p.url()).pathname.split('/').pop() as string;
}

async function itemOf(taskId: string): Promise<string> {
  const t = await s.db.selectFrom('review_tasks').select('item_id').where('id', '=', taskId).executeTakeFirstOrThrow();
  return t.item_id;
}

function field(p: Page, path: string) {
  return p.locator(`[data-field-path="${path}"]`);
}

async function fieldClasses(p: Page, path: string): Promise<string[]> {
  return ((await field(p, path).getAttribute('class')) ?? '').split(/\s+/);
}

/** The focused control's label (by `<label for>`) and value. */
function focused(p: Page): Promise<{ label: string | null; value: string | null }> {
  return p.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    const label = el?.id ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? null) : null;
    return { label, value: el && 'value' in el && el.type !== 'checkbox' ? el.value : null };
  });
}

function labelOf(taskId: string) {
  return waitFor(() =>
    s.db
      .selectFrom('reviews as r')
      .innerJoin('labels as l', 'l.review_id', 'r.id')
      .select([
        'r.verdict',
        'r.reviewer_id',
        'l.human_label',
        'l.ai_label',
        'l.is_correction',
        'l.reason',
        'l.changed_fields',
        'l.field_changes',
      ])
      .where('r.task_id', '=', taskId)
      .executeTakeFirst(),
  );
}
