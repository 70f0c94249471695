// The structured fields' dashboards in a real browser (issue 13), on a history written row by row:
// a data scientist picks a field and sees its accuracy and its calibration drawn with their
// figures; compliance sees the accuracy, not the calibration (a diagnostic).
import { DEMO_PASSWORD } from '@signoff/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { DashboardHistory } from '../support/dashboard-history';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

let s: TestSignoff;
let browser: Browser;
let page: Page;

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workers: false })]);
  const h = new DashboardHistory(s.db);
  const ann = await h.reviewer('Ann');
  // Four routed decisions of wf-s / extract, all reviewed: the person changed the tax id of the
  // first only, the amount of none. taxId: 3 of 4 right (75%); amount: 4 of 4 (100%).
  for (let i = 0; i < 4; i++) {
    const d = await h.decision({
      at: hoursAgo(30 + i * 5),
      workflow: 'wf-s',
      state: 'extract',
      route: 'review',
      pi: 1,
      label: '{"amount":1,"taxId":"x"}',
      fields: { taxId: 0.6 + i / 10, amount: 0.95 },
    });
    await h.label({
      decision: d,
      reviewerId: ann,
      human: '{"amount":1,"taxId":"y"}',
      at: hoursAgo(29 + i * 5),
      changedFields: i === 0 ? ['taxId'] : [],
    });
  }
  await s.db
    .insertInto('workflow_versions')
    .values({
      name: 'wf-s',
      version: 2,
      hash: 'wf-s-structured',
      definition: JSON.stringify({
        states: {
          extract: {
            kind: 'decide',
            output: {
              jsonSchema: {},
              fields: [
                { path: 'taxId', name: 'taxId', type: 'string', optional: false },
                { path: 'amount', name: 'amount', type: 'number', optional: false },
              ],
            },
          },
        },
      }),
    })
    .execute();
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

const region = (name: string) => page.getByRole('region', { name, exact: true });

async function openDashboards(role: 'data_scientist' | 'compliance') {
  await signIn(page, demoUser(role).email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboards' }).click();
  await page.getByRole('heading', { name: 'Dashboards', level: 1 }).waitFor();
}

it('a data scientist picks a field and sees its accuracy and calibration', async () => {
  await openDashboards('data_scientist');
  const group = region('Structured fields');
  await group.waitFor();
  await region('Accuracy per field').getByRole('figure').locator('svg').first().waitFor();
  await region('Calibration of every field').getByRole('figure').locator('svg').first().waitFor();
  await group.getByLabel('Field', { exact: true }).selectOption('taxId');
  const accuracy = region('Accuracy of taxId');
  await accuracy.waitFor();
  await accuracy.getByText('Show as a table').click();
  const rows = accuracy.getByRole('row', { name: /taxId/ });
  expect(await rows.count()).toBeGreaterThan(0);
  // Routed only: 4 labelled, 3 left as the AI gave them.
  expect(await rows.first().textContent()).toMatch(/4\s*75%/);
  const calibration = region('Calibration of taxId');
  await calibration.getByRole('figure').locator('svg').first().waitFor();
  await calibration.getByText('Show as a table').click();
  // taxId at 0.6 (changed), 0.7, 0.8, 0.9: one per bin from 60%.
  expect(await calibration.getByRole('row', { name: /^60%–70%/ }).textContent()).toMatch(/1\s*60%\s*0%$/);
  await screenshot(page, 'dashboards-fields-data-scientist.png');
});

it('compliance sees the field accuracy, not the field calibration', async () => {
  await openDashboards('compliance');
  await region('Accuracy per field').waitFor();
  expect(await region('Calibration of every field').count()).toBe(0);
});
