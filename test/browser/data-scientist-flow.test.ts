// Issue 10 point 6: a data scientist's morning in a real browser, on the demo's imported history
// (six weeks, 10 items a day): the dashboards have something to say (several model versions, a drift), then
// a dataset snapshot is created from the console and downloaded, and the file is the snapshot:
// as many rows as its manifest says, and the SHA-256 it shows.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DEMO_PASSWORD, DEMO_USERS } from '@signoff/server';
import { seedSupportHistory } from '@signoff/server/demo';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

let s: TestSignoff;
let browser: Browser;
let page: Page;
let labels: number;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workers: false })]);
  const reviewers = await s.db
    .selectFrom('users')
    .select('id')
    .where(
      'email',
      'in',
      DEMO_USERS.filter((u) => u.role === 'reviewer').map((u) => u.email),
    )
    .execute();
  await seedSupportHistory(s.db, { days: 42, perDay: 10, reviewerIds: reviewers.map((r) => r.id) });
  const n = await s.db
    .selectFrom('labels')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workflow_name', '=', 'support-triage')
    .executeTakeFirstOrThrow();
  labels = Number(n.n);
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('a data scientist opens the dashboards and sees the model versions and the accuracy over time', async () => {
  await signIn(page, demoUser('data_scientist').email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboards' }).click();
  await page.getByRole('heading', { name: 'Dashboards', level: 1 }).waitFor();
  const accuracy = page.getByRole('region', { name: 'Accuracy against human labels', exact: true });
  await accuracy.getByRole('figure', { name: 'Accuracy per model version' }).locator('svg').first().waitFor();
  await accuracy.getByText('Show as a table').click();
  for (const version of ['lr-history-v2', 'lr-history-v3'])
    expect(await accuracy.getByRole('row', { name: new RegExp(version) }).count()).toBeGreaterThan(0);
  await page
    .getByRole('region', { name: 'Inter-reviewer agreement', exact: true })
    .getByText(/kappa/i)
    .first()
    .waitFor();
  await screenshot(page, 'data-scientist-dashboards.png', { fullPage: true });
});

it('creates a snapshot of the support labels and downloads it: the manifest’s rows, the shown hash', async () => {
  await signIn(page, demoUser('data_scientist').email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets' }).click();
  await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
  const form = page.getByRole('region', { name: 'New snapshot' });
  await form.getByLabel('Name').fill('support history');
  await form.getByLabel('Workflow').fill('support-triage');
  await form.getByRole('button', { name: 'Create snapshot' }).click();
  const manifest = page.getByRole('region', { name: 'support history' });
  await manifest.waitFor();
  expect(await manifest.textContent()).toContain(`${labels} on `);
  await screenshot(page, 'data-scientist-snapshot.png', { fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    manifest.getByRole('link', { name: 'Download all as JSONL' }).click(),
  ]);
  const path = await download.path();
  const body = await readFile(path);
  expect(body.toString('utf8').trimEnd().split('\n')).toHaveLength(labels);
  const shown = (await manifest.textContent())?.match(/SHA-256\s*([0-9a-f]{64})/)?.[1];
  expect(shown).toBe(createHash('sha256').update(body).digest('hex'));
});
