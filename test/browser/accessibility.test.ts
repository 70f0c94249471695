// Accessibility of the console's main screens (issue 11 point 6): axe-core, injected into the
// real page, finds no serious or critical violation of WCAG 2.1 A/AA on the sign-in page, the
// reviewer's queue and task view (with its shortcut help open), the lead's overview, and the
// screens of the other roles (items, an item's timeline, dashboards, trust, datasets, the admin's
// users, queues and API keys). Screenshots of some.
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, it } from 'vitest';
import { expectAccessible } from '../support/accessibility';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { countPendingTasks } from '../support/database';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';

const REVIEWER = demoUser('reviewer');
const ADMIN = demoUser('admin');
const LEAD = demoUser('lead');

let s: TestSignoff;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ demoItems: 30 })]);
  await waitFor(
    async () => {
      const items = await s.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll<number>().filterWhere('status', '=', 'running').as('running'))
        .executeTakeFirstOrThrow();
      return Number(items.running) === 0 && (await countPendingTasks(s.db, ['support'])) >= 1;
    },
    { timeoutMs: 100_000, message: 'the demo items settled with a pending task in support' },
  );
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('the sign-in page, the queue and the task view have no serious accessibility violations', async () => {
  await page.goto('/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await expectAccessible(page, 'sign-in');

  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.getByRole('button', { name: 'Claim from support' }).waitFor();
  await expectAccessible(page, 'queue');

  await page.getByRole('button', { name: 'Claim from support' }).click();
  await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
  await page.getByRole('heading', { name: 'Your verdict' }).waitFor();
  // The history opened too: its contents are part of the screen.
  await page.getByText(/^Item history/).click();
  await expectAccessible(page, 'task view');
  await screenshot(page, 'a11y-task-view.png');

  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Task shortcuts' }).waitFor();
  await expectAccessible(page, 'shortcut help');
  await page.keyboard.press('Escape');
});

it('items, a timeline, dashboards, trust, datasets and the admin screens have no serious accessibility violations', async () => {
  await signIn(page, ADMIN.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();

  await page.goto('/items');
  await page.getByRole('heading', { name: 'Items', exact: true }).waitFor();
  await page
    .getByRole('link', { name: /^Timeline of item/ })
    .first()
    .waitFor();
  await expectAccessible(page, 'items');

  await page
    .getByRole('link', { name: /^Timeline of item/ })
    .first()
    .click();
  await page.getByRole('heading', { name: 'Audit timeline' }).waitFor();
  await expectAccessible(page, 'timeline');

  await page.goto('/dashboards');
  await page.getByRole('heading', { name: 'Dashboards', exact: true }).waitFor();
  await waitFor(async () => (await page.locator('.loading').count()) === 0, { message: 'the dashboards loaded' });
  await expectAccessible(page, 'dashboards');
  await screenshot(page, 'a11y-dashboards.png');

  await page.goto('/trust');
  await page.getByRole('heading', { name: 'Trust', exact: true }).waitFor();
  await waitFor(async () => (await page.locator('.loading').count()) === 0, { message: 'the trust screen loaded' });
  await expectAccessible(page, 'trust');

  await page.goto('/datasets');
  await page.getByRole('heading', { name: 'Datasets', exact: true }).waitFor();
  await expectAccessible(page, 'datasets');

  for (const [path, name] of [
    ['/admin/users', 'admin users'],
    ['/admin/queues', 'admin queues'],
    ['/admin/keys', 'admin keys'],
  ] as const) {
    await page.goto(path);
    await page.getByRole('heading', { name: 'Administration', exact: true }).waitFor();
    await waitFor(async () => (await page.locator('.loading').count()) === 0, { message: `${name} loaded` });
    await expectAccessible(page, name);
  }
});

it('the lead overview has no serious accessibility violations', async () => {
  await signIn(page, LEAD.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.goto('/lead');
  await page.getByRole('heading', { name: 'Lead overview', exact: true }).waitFor();
  await waitFor(async () => (await page.locator('.loading').count()) === 0, { message: 'the lead overview loaded' });
  await expectAccessible(page, 'lead overview');
  await screenshot(page, 'a11y-lead.png');
});
