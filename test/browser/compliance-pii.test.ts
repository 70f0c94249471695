// Masked personal data in the real console: a reviewer's task view and a lead's item detail show
// mask tokens and no way to reveal; a compliance officer (pii:read) reveals one field of the item
// detail with a reason, which the audit log records; an admin reveals a field in the task view.
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLAIM_REF_PATTERNS, PII, PII_FRAGMENTS, piiInput, piiWorkflow } from '../fixtures/pii-workflow';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { joinQueuesByEmail } from '../support/queue-members';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

let s: TestSignoff;
let browser: Browser;
let page: Page;
let itemId: string;

const leaksOn = async (p: Page) => {
  const html = await p.content();
  return PII_FRAGMENTS.filter((f) => html.includes(f));
};

beforeAll(async () => {
  [browser, s] = await Promise.all([
    launchBrowser(),
    startTestSignoff({ demoItems: 0, workflows: [piiWorkflow()], env: { SIGNOFF_PII_PATTERNS: CLAIM_REF_PATTERNS } }),
  ]);
  await joinQueuesByEmail(s.db, demoUser('reviewer').email, ['pii-claims']);
  const r = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'pii-claims', input: piiInput(1) }),
  });
  itemId = ((await r.json()) as { id: string }).id;
  await waitFor(() => s.db.selectFrom('review_tasks').select('id').where('item_id', '=', itemId).executeTakeFirst());
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('a reviewer sees mask tokens in the task view, and no reveal', async () => {
  await signIn(page, demoUser('reviewer').email, DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Claim from pii-claims' }).click();
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: 'Item', exact: true }).waitFor();
  const item = page.getByRole('region', { name: 'Customer' });
  expect(await item.textContent()).toContain('[email]');
  expect(await page.locator('.message-body').textContent()).toBe(
    'Please refund my card [card …1111] to IBAN [iban]. Member [member-id]. Call me on [phone].',
  );
  expect(await page.getByRole('region', { name: 'Step lookup' }).textContent()).toContain('[card …1111]');
  expect(await page.getByRole('button', { name: /^Reveal/ }).count()).toBe(0);
  expect(await leaksOn(page)).toEqual([]);
  await screenshot(page, 'compliance-pii-reviewer-masked.png');
});

it('a lead sees the item detail masked, without reveal', async () => {
  await signIn(page, demoUser('lead').email, DEMO_PASSWORD);
  await page.getByText(demoUser('lead').name).waitFor();
  await page.goto(`/items/${itemId}`);
  await page.getByRole('heading', { name: 'Input', exact: true }).waitFor();
  await page.getByRole('heading', { name: 'Gathered by its steps' }).waitFor();
  expect(await page.locator('.message-body').textContent()).toContain('[card …1111]');
  expect(await page.getByRole('button', { name: /^Reveal/ }).count()).toBe(0);
  expect(await leaksOn(page)).toEqual([]);
});

it('compliance reveals one field of the item detail, with a reason the audit log keeps', async () => {
  await signIn(page, demoUser('compliance').email, DEMO_PASSWORD);
  await page.getByText(demoUser('compliance').name).waitFor();
  await page.goto(`/items/${itemId}`);
  await page.getByRole('heading', { name: 'Input', exact: true }).waitFor();
  const reveal = page.getByRole('button', { name: 'Reveal /input/customer/email' });
  await reveal.waitFor();
  // Masked until asked: every masked field has its own button, and nothing shows the PII yet.
  expect(await page.getByRole('button', { name: 'Reveal /input/body' }).count()).toBe(1);
  expect(await page.getByRole('button', { name: 'Reveal /context/lookup/cardOnFile' }).count()).toBe(1);
  expect(await leaksOn(page)).toEqual([]);
  await screenshot(page, 'compliance-pii-item-masked.png');

  await reveal.click();
  await page.getByLabel('Why (recorded in the audit log)').fill('Subject access request 17');
  await page.getByRole('button', { name: 'Show value' }).click();
  await page.getByText(PII.email).waitFor();
  expect(await page.locator('.pii-revealed').textContent()).toBe(`${PII.email}revealed`);
  // Only that field: the body and the card on file stay masked.
  expect(await page.locator('.message-body').textContent()).toContain('[card …1111]');
  expect((await leaksOn(page)).filter((f) => !PII.email.includes(f))).toEqual([]);
  await screenshot(page, 'compliance-pii-item-revealed.png');

  const events = await s.db
    .selectFrom('audit_events as e')
    .innerJoin('users as u', (j) => j.onRef('u.id', '=', (eb) => eb.cast('e.actor_id', 'uuid')))
    .select(['u.email', 'e.data'])
    .where('e.stream', '=', 'security')
    .where('e.action', '=', 'pii.unmasked')
    .execute();
  expect(events).toEqual([
    {
      email: demoUser('compliance').email,
      data: {
        itemId,
        path: '/input/customer/email',
        userId: expect.any(String),
        reason: 'Subject access request 17',
      },
    },
  ]);
});

it('an admin reveals a field in the task view', async () => {
  const task = await s.db
    .selectFrom('review_tasks')
    .select('id')
    .where('item_id', '=', itemId)
    .executeTakeFirstOrThrow();
  await signIn(page, demoUser('admin').email, DEMO_PASSWORD);
  await page.getByText(demoUser('admin').name).waitFor();
  await page.goto(`/tasks/${task.id}`);
  await page.getByRole('heading', { name: 'Item', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Reveal /context/lookup/cardOnFile' }).click();
  await page.getByRole('button', { name: 'Show value' }).click();
  await page.getByText(PII.card).waitFor();
  await screenshot(page, 'compliance-pii-task-revealed.png');
});
