// Certified fields in the real console, in a real browser: a structured state that certifies its
// record as a whole and its tax id on its own has two policies; the Trust screen lists both, and the
// state's screen shows one at a time with a picker, the field's status, history and certify button
// (which names the field when it has nothing to certify on yet).
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { FIELD_VENDORS, fieldVendorsFlow } from '../support/field-vendors';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const WORKFLOW = FIELD_VENDORS;
const flow = fieldVendorsFlow({
  autoAccept: { maxError: 0.05, confidence: 0.95 },
  fields: { taxId: { autoAccept: { maxError: 0.01, confidence: 0.95 } } },
});
const DATA_SCIENTIST = demoUser('data_scientist');

let s: TestSignoff;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workflows: [flow] })]);
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('lists the field policy beside its state, and shows it, picked, with its own target, history and certify', async () => {
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Items' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trust' }).click();
  await page.getByRole('heading', { name: 'Trust', level: 1 }).waitFor();

  const stateCard = page.getByRole('region', { name: `${WORKFLOW} / extract`, exact: true });
  const fieldCard = page.getByRole('region', { name: `${WORKFLOW} / extract · field taxId` });
  await stateCard.getByText('Not certified', { exact: true }).waitFor();
  await fieldCard.getByText('Not certified', { exact: true }).waitFor();
  expect(await fieldCard.textContent()).toContain('at most 1% wrong with 95% confidence');
  expect(await fieldCard.textContent()).toContain('Field "taxId": Not certified yet: everything goes to review.');
  expect(await stateCard.textContent()).toContain('at most 5% wrong with 95% confidence');
  await screenshot(page, 'trust-fields.png');

  await fieldCard.getByRole('link', { name: `${WORKFLOW} / extract · field taxId` }).click();
  await page.waitForURL(`**/trust/${WORKFLOW}/extract?field=taxId`);
  await page.getByRole('heading', { name: 'extract · field taxId', level: 1 }).waitFor();
  const picker = page.getByLabel('Policy of');
  expect(await picker.inputValue()).toBe('taxId');
  await page.getByRole('region', { name: 'Policy history' }).getByText('Version 1').waitFor();

  // Certifying the field with no decisions yet: refused, naming the field; nothing is stored.
  await page.getByRole('region', { name: 'Certify' }).getByRole('button', { name: 'Certify', exact: true }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'field "taxId" of "extract" of "field-vendors" has no scored decisions yet' })
    .waitFor();
  await screenshot(page, 'trust-field-state.png');
  expect(await s.db.selectFrom('certificates').select('id').execute()).toEqual([]);

  // The picker goes to the record's own policy, and back.
  await picker.selectOption({ label: 'the whole decision (uncertified)' });
  await page.waitForURL(`**/trust/${WORKFLOW}/extract`);
  await page.getByRole('heading', { name: 'extract', exact: false, level: 1 }).waitFor();
  expect(await page.getByLabel('Policy of').inputValue()).toBe('');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).not.toContain('field');
});
