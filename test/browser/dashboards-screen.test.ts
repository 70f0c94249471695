// The Dashboards screen in a real browser, on a small history written row by row: a data scientist
// sees every dashboard drawn, and the empty states say what is missing; a reviewer sees the
// operations dashboards only, compliance the quality ones and no diagnostics.
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
  for (let i = 0; i < 12; i++) {
    const routed = i % 3 === 0;
    const d = await h.decision({
      at: hoursAgo(30 + i * 20),
      modelVersion: i < 6 ? 'v1' : 'v2',
      route: routed ? 'review' : i % 2 === 0 ? 'sampled' : 'auto',
      pi: routed ? 1 : 0.5,
      label: 'yes',
      calibrated: routed ? 0.4 + i / 100 : 0.85 + i / 100,
    });
    if (routed || i % 2 === 0)
      await h.label({ decision: d, reviewerId: ann, human: i === 3 ? 'no' : 'yes', at: hoursAgo(29 + i * 20) });
  }
  const q = await h.item('wf-a');
  await h.task({ itemId: q, queue: 'triage', createdAt: hoursAgo(5) });
  await h.task({ itemId: q, queue: 'triage', createdAt: hoursAgo(50), completedAt: hoursAgo(49) });
  await h.stateRun(q, 'classify', { startedAt: hoursAgo(10), finishedAt: hoursAgo(9.9) });
  await h.item('wf-a', { status: 'succeeded', finishedAt: hoursAgo(8) });
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

async function openDashboards(role: 'data_scientist' | 'reviewer' | 'compliance') {
  await signIn(page, demoUser(role).email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboards' }).click();
  await page.getByRole('heading', { name: 'Dashboards', level: 1 }).waitFor();
}

it('a data scientist sees every dashboard, drawn, and what is missing where there is nothing', async () => {
  await openDashboards('data_scientist');
  for (const name of [
    'Queue depth and age',
    'Review volume',
    'Throughput',
    'Accuracy against human labels',
    'Automation rate',
    'Overrides per reviewer',
    'Inter-reviewer agreement',
    'AI calls, tokens and cost',
    'Confusion matrix',
    'Reliability diagram and ECE',
    'Time per state',
  ])
    await region(name).waitFor();
  // Charts are drawn (an SVG surface per figure), each with its figures as a table.
  const accuracy = region('Accuracy against human labels');
  await accuracy.getByRole('figure', { name: 'Accuracy per model version' }).locator('svg').first().waitFor();
  await region('Reliability diagram and ECE').getByRole('figure').locator('svg').first().waitFor();
  await region('Queue depth and age').getByText('Show as a table').click();
  expect(
    await region('Queue depth and age')
      .getByRole('row', { name: /triage/ })
      .textContent(),
  ).toContain('1');
  await region('Inter-reviewer agreement').getByText('No items reviewed twice yet').waitFor();
  // 8 labelled decisions, all AI "yes": the routed ones (i = 0, 3, 6, 9) and the QA samples (2, 4,
  // 8, 10); the person said "no" to i = 3. Row "yes": 1 under "no", 7 under "yes".
  const matrix = region('Confusion matrix').getByRole('table').first();
  expect(await matrix.getByRole('row', { name: /^yes/ }).textContent()).toMatch(/^yes\s*1\s*7$/);
  await screenshot(page, 'dashboards-data-scientist.png');
});

it('a reviewer sees the operations dashboards only', async () => {
  await openDashboards('reviewer');
  await region('Queue depth and age').waitFor();
  await region('Throughput').waitFor();
  expect(await region('Accuracy against human labels').count()).toBe(0);
  expect(await region('Confusion matrix').count()).toBe(0);
  // Reviewers see items only through their tasks: no workflow/state/model filters, and no alert
  // from a refused filter list.
  expect(await page.getByLabel('Workflow').count()).toBe(0);
  expect(await page.getByLabel('Range').count()).toBe(1);
  expect(await page.getByRole('alert').count()).toBe(0);
  await screenshot(page, 'dashboards-reviewer.png');
});

it('compliance sees the quality dashboards, not diagnostics or queues', async () => {
  await openDashboards('compliance');
  await region('Accuracy against human labels').waitFor();
  await region('Overrides per reviewer').waitFor();
  expect(await region('Confusion matrix').count()).toBe(0);
  expect(await region('Queue depth and age').count()).toBe(0);
});
