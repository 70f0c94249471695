// The policy history screen (/compliance/policies) in a real browser: a compliance officer reaches it
// from the main navigation, reads each change with who, when, why and old -> new, filters it, opens
// a certificate's facts and its trust screen, downloads it as CSV, and gets a field error for a bad
// date range; a data scientist reads it too; a reviewer cannot open it.
import { readFileSync } from 'node:fs';
import { WorkflowRegistry } from '@signoff/engine';
import { DEMO_PASSWORD } from '@signoff/server';
import { parse } from 'csv-parse/sync';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { seedPolicyHistory } from '../support/policy-history';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const COMPLIANCE = demoUser('compliance');
const DATA_SCIENTIST = demoUser('data_scientist');
const REVIEWER = demoUser('reviewer');

let s: TestSignoff;
let browser: Browser;
let page: Page;
let certificateId: string;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workers: false })]);
  const ds = await s.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', DATA_SCIENTIST.email)
    .executeTakeFirstOrThrow();
  certificateId = await seedPolicyHistory(s.db, new WorkflowRegistry({ deployedBy: 'release-bot@bank.test' }), ds.id);
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

const table = () => page.getByRole('region', { name: 'Policy changes' }).getByRole('table');
/** The rows of the table whose text has all of `parts`. */
const rowWith = (...parts: string[]): Locator =>
  parts.reduce((rows, part) => rows.filter({ hasText: part }), table().getByRole('row'));
const cellTexts = async (row: Locator) => {
  expect(await row.count()).toBe(1);
  return (await row.getByRole('cell').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
};

it('a compliance officer reads every change with who, when, why and old -> new', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  // Compliance opens the section's first screen; its tabs lead to the policy history.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).click();
  await page.getByRole('navigation', { name: 'Compliance' }).getByRole('link', { name: 'Policy history' }).click();
  await page.getByRole('heading', { name: 'Policy history', level: 1 }).waitFor();
  expect(
    await page
      .getByRole('navigation', { name: 'Compliance' })
      .getByRole('link', { name: 'Policy history' })
      .getAttribute('aria-current'),
  ).toBe('page');
  expect(new URL(page.url()).pathname).toBe('/compliance/policies');

  // Version 2's three changes, each with the deployer and the change note.
  const threshold = rowWith('Threshold Changed', 'autoAcceptAt');
  await threshold.waitFor();
  const [, where, change, values, who, why, record] = await cellTexts(threshold);
  expect(where).toBe('policy-refunds v2 classify');
  expect(change).toBe('Threshold Changed autoAcceptAt');
  expect(values).toBe('Old value: 0.8 ↓ New value: 0.85');
  expect(who).toBe('deploy: release-bot@bank.test deploy');
  expect(why).toBe('Q3 audit: stricter refunds, VIPs to their own queue');
  expect(record).toMatch(/^config #\d+ workflow\.registered$/);
  expect((await cellTexts(rowWith('Sampling Changed', 'sampleRate')))[3]).toBe('Old value: 0.1 ↓ New value: 0.2');
  const vip = await cellTexts(rowWith('Risk rule', 'vip'));
  expect(vip[2]).toBe('Risk rule Added vip');
  expect(vip[3]).toMatch(
    /^Old value: none ↓ New value: queue vip reason VIP customer when c=>c\.input\.amount>(5000|5e3)$/,
  );

  // The drift guard's pause, with its evidence; the certificate applied by a person, with the reason.
  const paused = await cellTexts(rowWith('Auto-accept Paused'));
  expect(paused[2]).toBe('Auto-accept Paused status');
  expect(paused[3]).toBe('Old value: certified ↓ New value: paused');
  expect(paused[4]).toBe('drift guard system');
  expect(paused[5]).toMatch(
    /^drift guard: after 12 audit samples \(12 wrong\).*Evidence: 12 audit samples, 12 wrong; e-value \d+\.\d \(alarm at 20\)$/,
  );
  const applied = await cellTexts(rowWith('Certificate Applied'));
  expect(applied[4]).toBe(`${DATA_SCIENTIST.email} user`);
  expect(applied[5]).toBe('Q3 fair labels are in');
  expect(applied[3]).toBe(`Old value: none ↓ New value: id ${certificateId} threshold 2.5 modelVersion lr-v1`);
  await screenshot(page, 'compliance-policies.png');

  // A certificate's facts on demand, and its state's trust screen.
  await rowWith('Certificate Applied')
    .getByText(`Certificate ${certificateId.slice(-8)}`)
    .click();
  const facts = rowWith('Certificate Applied').locator('details');
  await facts.getByText('at most 5% wrong, 95% confidence').waitFor();
  expect(await facts.textContent()).toContain('on 120 fair labels (1 wrong)');
  await screenshot(page, 'compliance-policies-certificate.png');
  await facts.getByRole('link', { name: 'Open classify in Trust' }).click();
  await page.getByRole('heading', { name: 'classify', level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/trust/policy-certified/classify');
});

it('filters by workflow and kind, and names a bad date range under its field', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.goto('/compliance/policies');
  await table().waitFor();
  await page.getByLabel('Workflow').fill('policy-refunds');
  await page.getByLabel('Kind').selectOption({ label: 'Risk rule' });
  await page.getByRole('button', { name: 'Show changes' }).click();
  await table().getByRole('row').nth(2).waitFor({ state: 'detached' });
  const rows = table().getByRole('row');
  expect(await rows.count()).toBe(2); // the header and version 2's new rule
  expect((await cellTexts(rows.nth(1)))[2]).toBe('Risk rule Added vip');
  await screenshot(page, 'compliance-policies-filtered.png');

  // The CSV takes what the filters take, every page of it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('policy-history.csv');
  const csv = parse(readFileSync(await download.path()), { columns: true }) as Record<string, string>[];
  expect(csv.map((r) => [r.who, r.workflow, r.version, r.kind, r.field, r.old, r.why])).toEqual([
    [
      'deploy: release-bot@bank.test',
      'policy-refunds',
      '2',
      'risk_rule',
      'risks.vip',
      '(none)',
      'Q3 audit: stricter refunds, VIPs to their own queue',
    ],
  ]);
  expect(csv[0]?.new).toMatch(/^queue: vip; reason: VIP customer; when: c=>c\.input\.amount>(5000|5e3)$/);

  await page.getByLabel('From').fill('2026-02-01T00:00');
  await page.getByLabel('Before').fill('2026-01-01T00:00');
  await page.getByRole('button', { name: 'Show changes' }).click();
  const before = page.getByLabel('Before');
  await page.getByText('Must be after from').waitFor();
  expect(await before.getAttribute('aria-invalid')).toBe('true');
  await page.getByRole('alert').filter({ hasText: 'Check the filters marked above.' }).waitFor();

  await page.getByRole('button', { name: 'Clear' }).click();
  await rowWith('Threshold Changed', 'autoAcceptAt').waitFor();
  expect(await before.getAttribute('aria-invalid')).toBeNull();
});

it('a data scientist, who changes policy, reads it too: it is their only compliance screen', async () => {
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).click();
  await page.getByRole('heading', { name: 'Policy history', level: 1 }).waitFor();
  await rowWith('Auto-accept Paused').waitFor();
});

it('a reviewer has no Compliance link and may not open the screen', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Queue' }).waitFor();
  expect(await nav.getByRole('link', { name: 'Compliance' }).count()).toBe(0);
  await page.goto('/compliance/policies');
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
});
