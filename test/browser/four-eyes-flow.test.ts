// Four-eyes in the real console: a refund above 1,000 USD needs two reviewers. Both are members of
// the refunds queue; the second does not see the first's verdict; they disagree; the lead finds the
// adjudication on the lead screen, settles it in the task view, and the item completes with the
// lead's label.
import { DEMO_API_KEY, DEMO_PASSWORD, DEMO_USERS } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConsolePage,
  demoUser,
  launchBrowser,
  openConsolePage,
  openConsolePageEachTest,
  screenshot,
  signIn,
} from '../support/browser';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const FIRST = demoUser('reviewer');
const SECOND = DEMO_USERS.find((u) => u.email === 'reviewer2@demo.signoff') as (typeof DEMO_USERS)[number];
const LEAD = demoUser('lead');

let s: TestSignoff;
let browser: Browser;
let page: Page;
const others: ConsolePage[] = [];

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ demoItems: 0 })]);
});

afterAll(async () => {
  for (const o of others) await o.context.close();
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

const ticket = {
  ticketId: 'SUP-4242',
  channel: 'email',
  language: 'en',
  subject: 'Refund for our annual plan',
  body: 'We cancelled the annual plan within the trial period but were charged 1,500 USD. Please refund it.',
  customer: { id: 'cus_4242', name: 'Noor Haddad', email: 'noor@example.com', tier: 'free', lifetimeValue: 300 },
  refundAmount: 1500,
};

/** Another person's console, in a browser context of their own; checked and closed like the test's page. */
async function consoleOf(email: string): Promise<Page> {
  const opened = await openConsolePage(browser, s.url);
  others.push(opened);
  await signIn(opened.page, email, DEMO_PASSWORD);
  return opened.page;
}

/** Claims the next task from the queue screen and returns its id. */
async function claimNext(p: Page): Promise<string> {
  await p.getByRole('heading', { name: 'Review queue' }).waitFor();
  await waitFor(async () => p.getByRole('button', { name: 'Claim next task', exact: true }).isEnabled(), {
    message: 'the queue to offer a task',
  });
  await p.getByRole('button', { name: 'Claim next task', exact: true }).click();
  await p.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  return p.url().split('/').pop() as string;
}

/** Chooses `label` (by its number key), gives a reason, and submits with Ctrl+Enter. */
async function answerWith(
  p: Page,
  labels: readonly string[],
  label: string,
  reason: { field: string; text: string },
): Promise<void> {
  await p.keyboard.press(String(labels.indexOf(label) + 1));
  // On an adjudication each label also names who gave it ("bug · Sam Second").
  expect(await p.getByRole('radio', { name: new RegExp(`^${label}\\b`) }).isChecked()).toBe(true);
  await p.getByLabel(reason.field).fill(reason.text);
  await p.keyboard.press('Control+Enter');
}

it('two reviewers disagree blind, the lead adjudicates in the console, and the item completes with the lead’s label', async () => {
  const posted = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'support-triage', input: ticket }),
  });
  expect(posted.status).toBe(201);
  const { id: itemId } = (await posted.json()) as { id: string };
  const slots = await waitFor(
    async () => {
      const rows = await s.db
        .selectFrom('review_tasks')
        .select(['id', 'slot', 'queue', 'reviewers_required', 'labels', 'decision_id'])
        .where('item_id', '=', itemId)
        .orderBy('slot')
        .execute();
      return rows.length === 2 ? rows : undefined;
    },
    { timeoutMs: 60_000, message: 'the refund to wait for two reviewers' },
  );
  expect(slots.map((t) => [t.slot, t.queue, t.reviewers_required])).toEqual([
    [1, 'refunds', 2],
    [2, 'refunds', 2],
  ]);
  const labels = slots[0]?.labels as string[];
  const decision = await s.db
    .selectFrom('decisions')
    .select('label')
    .where('id', '=', slots[0]?.decision_id as string)
    .executeTakeFirstOrThrow();
  const aiLabel = decision.label as string;
  // The answer the second reviewer and the lead give: not the AI's, and one that ends the ticket
  // with a hand-off (a complaint would go on to a support lead's review).
  const other = ['billing', 'bug', 'account'].find((l) => l !== aiLabel) as string;

  // The first reviewer confirms the AI.
  await signIn(page, FIRST.email, DEMO_PASSWORD);
  const firstTask = await claimNext(page);
  expect(slots.map((t) => t.id)).toContain(firstTask);
  await page.getByRole('button', { name: new RegExp(`^Confirm ${aiLabel}`) }).waitFor();
  await screenshot(page, 'four-eyes-first-review.png');
  await page.getByRole('button', { name: new RegExp(`^Confirm ${aiLabel}`) }).click();
  await waitFor(
    async () =>
      (await s.db.selectFrom('reviews').select('label').where('task_id', '=', firstTask).executeTakeFirst())?.label ===
      aiLabel,
    { message: 'the first verdict to be recorded' },
  );

  // The second reviewer gets the other slot and sees nothing of the first verdict.
  const second = await consoleOf(SECOND.email);
  const secondTask = await claimNext(second);
  expect(secondTask).not.toBe(firstTask);
  expect(slots.map((t) => t.id)).toContain(secondTask);
  await second.getByRole('button', { name: new RegExp(`^Confirm ${aiLabel}`) }).waitFor();
  const seen = (await second.getByRole('main').textContent()) ?? '';
  expect(seen).not.toContain(FIRST.name);
  expect(await second.getByRole('region', { name: 'The reviewers’ verdicts' }).count()).toBe(0);
  await screenshot(second, 'four-eyes-second-review-blind.png');
  await answerWith(second, labels, other, {
    field: 'Reason for the correction',
    text: 'The customer wants the money back, not a fix.',
  });
  const adjudication = await waitFor(
    async () =>
      s.db
        .selectFrom('review_tasks')
        .select(['id', 'queue', 'status'])
        .where('item_id', '=', itemId)
        .where('kind', '=', 'adjudication')
        .executeTakeFirst(),
    { message: 'the disagreement to create an adjudication task' },
  );
  expect(adjudication).toMatchObject({ queue: 'refunds', status: 'pending' });

  // The lead sees it waiting on the lead screen, takes it and opens it.
  const lead = await consoleOf(LEAD.email);
  await lead.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lead' }).click();
  const waiting = lead.getByRole('region', { name: 'Adjudications waiting' });
  await waiting.getByRole('button', { name: /^Adjudicate support-triage/ }).waitFor();
  await screenshot(lead, 'four-eyes-lead-adjudications.png');
  await waiting.getByRole('button', { name: /^Adjudicate support-triage/ }).click();
  await lead.waitForURL(new RegExp(`/tasks/${adjudication.id}$`));
  // The adjudication shows both verdicts, with who gave them.
  const verdicts = lead.getByRole('region', { name: 'The reviewers’ verdicts' });
  await verdicts.waitFor();
  const byReviewer = async (name: string) =>
    (await verdicts.getByRole('row').filter({ hasText: name }).textContent()) ?? '';
  expect(await byReviewer(FIRST.name)).toContain(aiLabel);
  expect(await byReviewer(SECOND.name)).toContain(other);
  await screenshot(lead, 'four-eyes-adjudication.png');
  await answerWith(lead, labels, other, {
    field: 'Why this label (optional)',
    text: 'The customer asks for a refund.',
  });

  // The item completes with the lead's label, which is the review point's final answer.
  const item = await waitFor(
    async () => {
      const i = await s.db
        .selectFrom('items')
        .select(['status', 'context'])
        .where('id', '=', itemId)
        .executeTakeFirstOrThrow();
      return i.status === 'succeeded' ? i : undefined;
    },
    { message: 'the item to complete after the adjudication' },
  );
  expect((item.context.classify as { label: string }).label).toBe(other);
  const leadId = (await s.db.selectFrom('users').select('id').where('email', '=', LEAD.email).executeTakeFirstOrThrow())
    .id;
  const final = await s.db
    .selectFrom('labels')
    .select(['human_label', 'reviewer_id', 'adjudicated'])
    .where('item_id', '=', itemId)
    .where('final', '=', true)
    .execute();
  expect(final).toEqual([{ human_label: other, reviewer_id: leadId, adjudicated: true }]);
  await lead.goto(`/items/${itemId}`);
  await lead.getByRole('heading', { name: `Item ${itemId.slice(-8)} succeeded` }).waitFor();
  await screenshot(lead, 'four-eyes-item-done.png');
  for (const o of others) {
    expect(o.pageErrors).toEqual([]);
    expect(o.cspViolations).toEqual([]);
  }
});
