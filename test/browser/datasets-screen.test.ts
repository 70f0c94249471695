// Dataset snapshots through the real console in a real browser: a data scientist is told which
// field is wrong, creates a snapshot, reads its manifest and downloads a split, whose bytes are
// the snapshot's; a reviewer has no Datasets screen.
import { readFile } from 'node:fs/promises';
import { writeSnapshot } from '@signoff/datasets';
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { collector } from '../support/collect';
import { countRows } from '../support/database';
import { insertLabels } from '../support/dataset-labels';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const DATA_SCIENTIST = demoUser('data_scientist');
const REVIEWER = demoUser('reviewer');

let s: TestSignoff;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workers: false })]);
  await insertLabels(s.testDb.db, [
    ...Array.from({ length: 30 }, (_, i) => ({ human: i % 3 ? 'yes' : 'no', modelVersion: i % 2 ? 'v2' : 'v1' })),
    ...Array.from({ length: 5 }, () => ({ human: 'no', ai: 'yes', source: 'audit_sample' as const })),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('a data scientist creates a snapshot, reads its manifest and downloads its train split', async () => {
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Items' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets' }).click();
  await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
  await page.getByText('No snapshots yet').waitFor();

  await page.getByLabel('Name').fill('refunds for fine-tuning');
  await page.getByLabel('Labelled from').fill('2026-03-01T00:00');
  await page.getByLabel('Labelled before').fill('2026-02-01T00:00');
  await page.getByRole('button', { name: 'Create snapshot' }).click();
  await page.getByText('"to" must be after "from"').waitFor();
  expect(await page.getByLabel('Labelled before').getAttribute('aria-invalid')).toBe('true');
  expect(await countRows(s.testDb.db, 'dataset_snapshots')).toBe(0);
  await screenshot(page, 'datasets-field-error.png');

  await page.getByLabel('Labelled from').fill('');
  await page.getByLabel('Labelled before').fill('');
  await page.getByLabel('Routed review').check();
  await page.getByLabel('Split seed').fill('browser');
  await page.getByRole('button', { name: 'Create snapshot' }).click();
  await page.getByRole('heading', { name: 'refunds for fine-tuning', level: 2 }).waitFor();
  const id = page.url().split('/').at(-1) as string;
  const manifest = await page.getByRole('region', { name: 'refunds for fine-tuning' }).textContent();
  // 30 routed labels on 30 items (the 5 audit samples left out); 20 yes, 10 no: 16 / 2 / 2 and 8 / 1 / 1.
  expect(manifest).toContain('30 on 30 items (0 corrections)');
  expect(manifest).toContain('train24 labels, 24 items');
  expect(manifest).toContain('review 30');
  await page
    .getByRole('region', { name: 'Snapshots' })
    .getByRole('link', { name: 'refunds for fine-tuning' })
    .waitFor();
  await screenshot(page, 'datasets-manifest.png');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download train as CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`refunds-for-fine-tuning-${id.slice(0, 8)}-train.csv`);
  const saved = await download.path();
  const { sink, bytes } = collector();
  await writeSnapshot(s.testDb.db, id, { format: 'csv', split: 'train' }, sink);
  expect((await readFile(saved)).equals(bytes())).toBe(true);
  expect(bytes().toString('utf8').trim().split('\n')).toHaveLength(25);
});

it('a reviewer has no Datasets screen', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets' }).count()).toBe(0);
  await page.goto('/datasets');
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
});
