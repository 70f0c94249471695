// Decision search and the filtered, paged items list through the real console in a real browser:
// a compliance officer finds every auto-accepted decision below 0.9 confidence in November, the
// search survives a reload (it lives in the URL), pages through a longer result, follows a row to
// the item, downloads the result set; the items list filters and pages; a reviewer has no
// Compliance screen. Expected rows worked out by hand from SEARCH_SPECS.
import { readFile } from 'node:fs/promises';
import { DEMO_PASSWORD } from '@signoff/server';
import { parse } from 'csv-parse/sync';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectAccessible } from '../support/accessibility';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { insertBulkDecisions, insertDecisions, SEARCH_SPECS } from '../support/search-decisions';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const COMPLIANCE = demoUser('compliance');
const REVIEWER = demoUser('reviewer');

let s: TestSignoff;
let browser: Browser;
let page: Page;
let seeded: Awaited<ReturnType<typeof insertDecisions>>;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workers: false })]);
  seeded = await insertDecisions(s.testDb.db, SEARCH_SPECS, { policies: ['pv1', 'pv2'], certificates: ['c1'] });
  // 120 more decisions (and items) of one workflow, in October: pages of 50 decisions, of 100 items.
  await insertBulkDecisions(s.testDb.db, 'bulk', 120, '2026-10-10T10:00:00.000Z');
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

const results = () => page.getByRole('region', { name: 'Decisions' });
const itemLinks = async () =>
  (
    await results()
      .getByRole('link', { name: /^Item / })
      .allTextContents()
  ).map((t) => t.trim());
const short = (key: string) => (seeded.itemIds.get(key) as string).slice(-8);

it('a compliance officer finds the auto-accepted decisions below 0.9 in November, bookmarkably', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).click();
  await page.getByRole('heading', { name: 'Decision search', level: 1 }).waitFor();
  // No filter: all 131 decisions, the newest (F, December 1st) first.
  await results().getByText('Page 1 of 131 decisions').waitFor();
  expect((await itemLinks())[0]).toBe(short('F'));
  await screenshot(page, 'compliance-search-all.png');

  const filters = page.getByRole('search', { name: 'Decision filters' });
  await filters.getByLabel('Decided from').fill('2026-11-01');
  await filters.getByLabel('Decided before').fill('2026-12-01');
  await filters.getByLabel('auto').check();
  await filters.getByLabel('sampled').check();
  await filters.getByLabel('Confidence below').fill('0.9');
  await filters.getByRole('button', { name: 'Search' }).click();
  await results().getByText('Page 1 of 4 decisions').waitFor();
  // C (sampled, 0.88), G (0.70), J (0.89), A (0.85); B at exactly 0.9 is not below it.
  expect(await itemLinks()).toEqual(['C', 'G', 'J', 'A'].map(short));
  const rowC = results()
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: `Item ${short('C')}`, exact: true }) });
  const c = await rowC.textContent();
  expect(c).toContain('0.880 / 0.700');
  expect(c).toContain('sampled');
  expect(c).toContain('yes by ada');
  expect(c).toContain('overridden');
  expect(c).toContain('v2');
  const url = new URL(page.url());
  expect(url.pathname).toBe('/compliance/search');
  expect(Object.fromEntries(url.searchParams)).toEqual({
    from: '2026-11-01',
    to: '2026-12-01',
    routes: 'auto,sampled',
    confidenceMax: '0.9',
  });
  await screenshot(page, 'compliance-search-example.png');
  await expectAccessible(page, 'decision search');

  // A bookmark opens the same search, the form filled in.
  await page.reload();
  await results().getByText('Page 1 of 4 decisions').waitFor();
  expect(await itemLinks()).toEqual(['C', 'G', 'J', 'A'].map(short));
  expect(await page.getByLabel('Confidence below').inputValue()).toBe('0.9');
  expect(await page.getByLabel('sampled').isChecked()).toBe(true);

  // The whole result set downloads, as the table shows it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  const rows = parse(await readFile((await download.path()) as string, 'utf8'), { columns: true }) as {
    item_id: string;
  }[];
  expect(rows.map((r) => r.item_id)).toEqual(['C', 'G', 'J', 'A'].map((k) => seeded.itemIds.get(k)));

  // Each row links to the item's timeline and its decision trail.
  expect(
    await results()
      .getByRole('link', { name: `Decision trail of item ${short('G')}` })
      .getAttribute('href'),
  ).toBe(`/items/${seeded.itemIds.get('G')}/trail`);
  await results()
    .getByRole('link', { name: `Item ${short('G')}`, exact: true })
    .click();
  await page.getByRole('heading', { name: 'Audit timeline' }).waitFor();
  expect(new URL(page.url()).pathname).toBe(`/items/${seeded.itemIds.get('G')}`);
  // Back returns to the search.
  await page.goBack();
  await results().getByText('Page 1 of 4 decisions').waitFor();
});

it('names a wrong filter and searches nothing until it is right; pages through a long result', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).waitFor();
  await page.goto('/compliance/search?confidenceMin=0.9&confidenceMax=0.5');
  await page.getByText('"confidenceMax" must be above "confidenceMin" (0.9)').waitFor();
  await page.getByText('Correct the filters above to search.').waitFor();
  await screenshot(page, 'compliance-search-field-error.png');

  await page.goto('/compliance/search?workflow=bulk');
  await results().getByText('Page 1 of 120 decisions').waitFor();
  expect(await itemLinks()).toHaveLength(50);
  const first = await itemLinks();
  await page.getByRole('button', { name: 'Older →' }).click();
  await results().getByText('Page 2 of 120 decisions').waitFor();
  const second = await itemLinks();
  await page.getByRole('button', { name: 'Older →' }).click();
  await results().getByText('Page 3 of 120 decisions').waitFor();
  const third = await itemLinks();
  expect(third).toHaveLength(20);
  expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true);
  expect(new Set([...first, ...second, ...third]).size).toBe(120);
  await screenshot(page, 'compliance-search-page-3.png');
  await page.getByRole('button', { name: '← Newer' }).click();
  await results().getByText('Page 2 of 120 decisions').waitFor();
  expect(await itemLinks()).toEqual(second);
});

it('the items list filters by workflow, status and overrides, and pages', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Items' }).click();
  await page.getByRole('heading', { name: 'Items', level: 1 }).waitFor();
  const items = page.getByRole('region', { name: 'Items' });
  const timelines = async () =>
    (await items.getByRole('link', { name: /^Timeline of item / }).allTextContents()).map((t) => t.trim());
  // 131 items, 100 a page.
  await items.getByText('Page 1', { exact: true }).waitFor();
  expect(await timelines()).toHaveLength(100);
  await page.getByRole('button', { name: 'Older →' }).click();
  await items.getByText('Page 2', { exact: true }).waitFor();
  expect(await timelines()).toHaveLength(31);
  await screenshot(page, 'items-page-2.png');

  const filters = page.getByRole('search', { name: 'Item filters' });
  await filters.getByLabel('Workflow').selectOption('refunds');
  await filters.getByLabel('Overridden').selectOption('true');
  await filters.getByRole('button', { name: 'Filter' }).click();
  // Refunds items with an overridden decision: I (adjudicated no) and C (ada's yes); H is an orders item.
  await page.waitForURL(/overridden=true/);
  await waitFor(async () => (await timelines()).join() === ['I', 'C'].map(short).join(), {
    message: 'the filtered items',
  });
  await items.getByText('Page 1', { exact: true }).waitFor();
  expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true);
  await screenshot(page, 'items-filtered.png');
  await expectAccessible(page, 'filtered items');

  await filters.getByLabel('Overridden').selectOption('');
  await filters.getByLabel('Status').selectOption('waiting');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/status=waiting/);
  await items.getByRole('link', { name: `Timeline of item ${short('D')}` }).waitFor();
  expect(await timelines()).toEqual([short('D')]);
});

it('a reviewer has no Compliance screen', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Claim next task' }).waitFor();
  expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).count()).toBe(
    0,
  );
  await page.goto('/compliance/search');
  await page.getByText('cannot open this page').first().waitFor();
  expect(await page.getByRole('heading', { name: 'Decision search' }).count()).toBe(0);
});
