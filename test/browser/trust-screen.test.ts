// Certified auto-accept through the real console in a real browser. Items arrive over the REST API
// and a reviewer answers them over tRPC with their true labels, as a program would; a data
// scientist watches the fair labels accumulate, certifies from the console, reads the trade-off
// chart, applies the certificate, pauses and resumes it; a compliance officer reads it all and can
// change nothing. The tests run in order: each starts where the one before left the state.
import { DEMO_API_KEY, DEMO_PASSWORD } from '@signoff/server';
import { findPolicyInForce, trustOverview } from '@signoff/trust';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiClient, signInApi } from '../support/api-client';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { countPendingTasks } from '../support/database';
import { joinQueuesByEmail } from '../support/queue-members';
import { startTestSignoff, type TestSignoff, waitFor } from '../support/signoff';
import { TRUST_QUEUE, trustAnswer, trustFlow, trustInput, trustSeedExamples } from '../support/trust-flow';

const DATA_SCIENTIST = demoUser('data_scientist');
const COMPLIANCE = demoUser('compliance');
const REVIEWER = demoUser('reviewer');
const WORKFLOW = trustFlow.name;
const STATE = 'classify';
const STATE_PATH = `/trust/${WORKFLOW}/${STATE}`;
/** Fair labels a certificate needs at the least for 5% at 95%, all right: ln 0.05 / ln 0.95. */
const LABELS_NEEDED = 59;

let s: TestSignoff;
let browser: Browser;
let page: Page;
let reviewer: ApiClient;
let submitted = 0;

beforeAll(async () => {
  [browser, s] = await Promise.all([launchBrowser(), startTestSignoff({ workflows: [trustFlow] })]);
  await s.db.insertInto('seed_examples').values(trustSeedExamples).execute();
  await joinQueuesByEmail(s.db, REVIEWER.email, [TRUST_QUEUE]);
  reviewer = await signInApi(s.url, REVIEWER.email, DEMO_PASSWORD);
  // Uncertified, the state sends every decision to people: 80 review tasks.
  await submitTickets(80);
  await waitFor(async () => (await pendingTasks()) === 80, { message: '80 review tasks', timeoutMs: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('a data scientist sees the state uncertified, with its fair labels against what a certificate needs', async () => {
  expect(await answerTasks(30)).toBe(30);
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Items' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trust' }).click();
  await page.getByRole('heading', { name: 'Trust', level: 1 }).waitFor();

  const card = page.getByRole('region', { name: `${WORKFLOW} / ${STATE}` });
  await card.getByText('Not certified', { exact: true }).waitFor();
  const progress = card.getByRole('meter', { name: 'Fair labels towards a certificate' });
  expect(await progress.getAttribute('aria-valuetext')).toBe(`30 of at least ${LABELS_NEEDED} fair labels`);
  expect(await card.textContent()).toContain(`30 fair labels so far of the ${LABELS_NEEDED} a certificate needs`);
  await screenshot(page, 'trust-uncertified.png');

  await card.getByRole('link', { name: `${WORKFLOW} / ${STATE}` }).click();
  await page.waitForURL(`**${STATE_PATH}`);
  await page.getByRole('heading', { name: STATE, level: 1 }).waitFor();
  // Nothing is auto-accepted yet; everything was routed to people, and 30 of those are labelled.
  const automated = page.getByRole('region', { name: 'Error of the automated path' });
  await automated.getByText('Nothing auto-accepted yet').waitFor();
  const routed = page.getByRole('region', { name: 'AI accuracy on decisions routed to people' });
  expect(await routed.textContent()).toContain('Not a random sample');
  const modelVersion = await latestModelVersion();
  expect(await cells(routed.getByRole('row', { name: new RegExp(modelVersion) }))).toEqual([
    modelVersion,
    '80',
    '30',
    expect.stringMatching(/^\d+$/),
    expect.stringMatching(/%$/),
  ]);
  await page.getByRole('region', { name: 'Policy history' }).getByText('Version 1').waitFor();
});

it('after enough reviews, certifies from the console, shows the trade-off chart, and applies the certificate', async () => {
  expect(await answerTasks()).toBe(50);
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Items' }).waitFor();
  await page.goto(STATE_PATH);
  await page.getByRole('heading', { name: STATE, level: 1 }).waitFor();

  const certifyPanel = page.getByRole('region', { name: 'Certify' });
  await certifyPanel.getByRole('button', { name: 'Certify', exact: true }).click();
  const certificate = await waitFor(() =>
    s.db.selectFrom('certificates').selectAll().where('workflow_name', '=', WORKFLOW).executeTakeFirst(),
  );
  expect(certificate.labels_used).toBeGreaterThanOrEqual(LABELS_NEEDED);
  const threshold = certificate.threshold.toPrecision(4);
  await certifyPanel.getByRole('heading', { name: `Certified threshold: ${threshold}` }).waitFor();
  expect(await certifyPanel.getByRole('status').textContent()).toContain(
    `certified: auto-accept scores >= ${threshold}`,
  );

  // The chart: automation against the error's upper bound, the target as a line, the threshold marked.
  const chart = certifyPanel.getByRole('figure', { name: 'Trade-off of this certification' });
  await chart.waitFor();
  await screenshot(page, 'trust-certify-result.png');
  await expectTradeoffChart(chart, 'Trade-off of this certification', threshold);
  // The chart takes focus, and the arrow keys walk its candidates in a tooltip.
  await chart.getByRole('application', { name: 'Trade-off of this certification' }).focus();
  await page.keyboard.press('ArrowRight');
  await chart
    .locator('.chart-tooltip')
    .getByText(/^Threshold -?\d/)
    .waitFor();

  // Applying puts it in force, after a confirmation.
  await certifyPanel.getByRole('button', { name: 'Apply certificate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Apply this certificate?' });
  await dialog.waitFor();
  expect(await dialog.textContent()).toContain(threshold);
  await screenshot(page, 'trust-apply-dialog.png', { fullPage: false });
  // Applying changes policy: without a reason the server refuses, naming the field.
  await dialog.getByRole('button', { name: 'Apply certificate' }).click();
  await dialog.getByText('Say why (at least 3 characters)').waitFor();
  expect((await findPolicyInForce(s.db, WORKFLOW, STATE))?.status).toBe('uncertified');
  await dialog.getByRole('textbox', { name: 'Why apply it now' }).fill('Q3 fair labels are in');
  await dialog.getByRole('button', { name: 'Apply certificate' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Certificate applied: auto-accepting scores ≥ ${threshold}.` })
    .waitFor();
  await page.getByRole('heading', { name: STATE, level: 1 }).getByText('Certified', { exact: true }).waitFor();
  expect(await findPolicyInForce(s.db, WORKFLOW, STATE)).toMatchObject({
    status: 'certified',
    version: 2,
    certificateId: certificate.id,
  });
  const inForce = page.getByRole('region', { name: 'Certificate in force' });
  await expectTradeoffChart(
    inForce.getByRole('figure', { name: 'Trade-off curve of the certificate' }),
    'Trade-off curve of the certificate',
    threshold,
  );
  expect(await inForce.textContent()).toContain(
    `${certificate.labels_used} fair labels, ${certificate.wrong_used} wrong`,
  );
  const history = page.getByRole('region', { name: 'Policy history' });
  await history.getByText('Version 2').waitFor();
  expect(await history.textContent()).toContain(`certificate applied: auto-accept scores >= ${threshold}`);
  expect(await history.textContent()).toContain('Q3 fair labels are in');
  await screenshot(page, 'trust-certified.png');

  // Audit samples arrive under the certificate: the drift guard counts them, the automated path gets its error.
  const sampled = await submitUntilSampled(certificate.id);
  await answerTasks();
  const guard = await waitFor(() =>
    s.db.selectFrom('drift_guards').selectAll().where('samples', '>=', sampled).executeTakeFirst(),
  );
  expect(guard).toMatchObject({ samples: sampled, wrong: 0, alarm_at: expect.closeTo(20), alarmed_at: null });
  await page.reload();
  const guardFacts = page.getByRole('region', { name: 'Drift guard' });
  await guardFacts.getByText(`${guard.samples} audit samples, 0 wrong`).waitFor();
  expect(await guardFacts.textContent()).toContain('against an alarm level of 20');
  const auto = await s.db
    .selectFrom('decisions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('certificate_id', '=', certificate.id)
    .where('route', '<>', 'review')
    .executeTakeFirstOrThrow();
  const automated = page.getByRole('region', { name: 'Error of the automated path' });
  expect(await cells(automated.getByRole('row', { name: new RegExp(certificate.model_version) }))).toEqual([
    certificate.model_version,
    String(auto.n),
    String(guard.samples),
    '0',
    '0%',
    expect.stringMatching(/^0% – \d+(\.\d+)?%$/),
  ]);
  await screenshot(page, 'trust-drift-guard.png');
});

it('pauses with a reason, resumes by keyboard, and shows the refusal when the state changed underneath', async () => {
  await signIn(page, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Items' }).waitFor();
  await page.goto(STATE_PATH);
  const title = page.getByRole('heading', { name: STATE, level: 1 });
  await title.getByText('Certified', { exact: true }).waitFor();

  await page.getByRole('button', { name: 'Pause auto-accept' }).click();
  const pause = page.getByRole('dialog', { name: `Pause auto-accept of ${STATE}?` });
  await pause.waitFor();
  // No reason: the server's field error sits under the field.
  await pause.getByRole('button', { name: 'Pause auto-accept' }).click();
  const reason = pause.getByRole('textbox', { name: 'Why pause it?' });
  await pause.getByText('Say why (at least 3 characters)').waitFor();
  expect(await reason.getAttribute('aria-invalid')).toBe('true');
  expect((await findPolicyInForce(s.db, WORKFLOW, STATE))?.status).toBe('certified');
  await screenshot(page, 'trust-pause-dialog.png', { fullPage: false });
  await reason.fill('Checking the new refund form');
  await pause.getByRole('button', { name: 'Pause auto-accept' }).click();
  await page.getByRole('status').filter({ hasText: 'Auto-accept paused.' }).waitFor();
  await title.getByText('Paused').waitFor();
  expect(await findPolicyInForce(s.db, WORKFLOW, STATE)).toMatchObject({
    status: 'paused',
    reason: 'paused by a person: Checking the new refund form',
  });
  expect(await page.getByRole('region', { name: 'Status' }).textContent()).toContain(
    'Auto-accept is paused; everything goes to review. paused by a person: Checking the new refund form',
  );
  await screenshot(page, 'trust-paused.png');

  // Resume with the keyboard alone: the button, the reason (focused on opening), Tab to the confirmation.
  await page.getByRole('button', { name: 'Resume auto-accept' }).focus();
  await page.keyboard.press('Enter');
  const resume = page.getByRole('dialog', { name: `Resume auto-accept of ${STATE}?` });
  await resume.waitFor();
  await page.keyboard.type('Refund form checked');
  expect(await resume.getByRole('textbox', { name: 'Why resume it?' }).inputValue()).toBe('Refund form checked');
  await page.keyboard.press('Tab'); // Cancel
  await page.keyboard.press('Tab'); // Resume auto-accept
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Auto-accept resumed.' }).waitFor();
  await title.getByText('Certified', { exact: true }).waitFor();
  expect(await findPolicyInForce(s.db, WORKFLOW, STATE)).toMatchObject({
    status: 'certified',
    reason: 'resumed: Refund form checked',
  });
  await page.getByRole('region', { name: 'Policy history' }).getByText('resumed: Refund form checked').waitFor();

  // Someone else pauses it while the dialog is open: the server refuses, and the dialog says why.
  await page.getByRole('button', { name: 'Pause auto-accept' }).click();
  const again = page.getByRole('dialog', { name: `Pause auto-accept of ${STATE}?` });
  await again.waitFor();
  const colleague = await signInApi(s.url, DATA_SCIENTIST.email, DEMO_PASSWORD);
  await colleague.trust.pause.mutate({ workflow: WORKFLOW, state: STATE, reason: 'paused from a script' });
  await again.getByRole('textbox', { name: 'Why pause it?' }).fill('Pausing twice');
  await again.getByRole('button', { name: 'Pause auto-accept' }).click();
  await again.getByRole('alert').filter({ hasText: 'is not running, so it cannot be paused' }).waitFor();
  await page.keyboard.press('Escape');
  await again.waitFor({ state: 'detached' });
  await title.getByText('Paused').waitFor();
  expect((await findPolicyInForce(s.db, WORKFLOW, STATE))?.reason).toBe('paused by a person: paused from a script');
});

it('a compliance officer reads the trust screens but has no controls', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trust' }).click();
  const card = page.getByRole('region', { name: `${WORKFLOW} / ${STATE}` });
  await card.waitFor();
  // The status in words is the API's, whatever the state is in by now.
  const [trust] = await trustOverview(s.db);
  expect(await card.textContent()).toContain(trust?.explanation);

  await card.getByRole('link', { name: `${WORKFLOW} / ${STATE}` }).click();
  await page.getByRole('heading', { name: STATE, level: 1 }).waitFor();
  await page.getByRole('region', { name: 'Error of the automated path' }).getByRole('table').waitFor();
  await page.getByRole('region', { name: 'AI accuracy on decisions routed to people' }).getByRole('table').waitFor();
  await page.getByRole('region', { name: 'Policy history' }).getByText('Version 1').waitFor();
  if (trust?.certificate)
    await page
      .getByRole('figure', { name: 'Trade-off curve of the certificate' })
      .getByRole('application', { name: 'Trade-off curve of the certificate' })
      .waitFor();
  for (const name of [/^Certify/, /^Apply certificate/, /^Pause auto-accept/, /^Resume auto-accept/])
    expect(await page.getByRole('button', { name }).count()).toBe(0);
  expect(await page.getByRole('region', { name: 'Certify', exact: true }).count()).toBe(0);
  await screenshot(page, 'trust-compliance.png');
});

it('a reviewer has no Trust screen', async () => {
  await signIn(page, REVIEWER.email, DEMO_PASSWORD);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  expect(await page.getByRole('link', { name: 'Trust' }).count()).toBe(0);
  await page.goto('/trust');
  await page.getByRole('heading', { name: 'Not available for your role' }).waitFor();
});

/** The chart's SVG with both series, the target line and the certified threshold's mark. */
async function expectTradeoffChart(chart: Locator, title: string, threshold: string) {
  const svg = chart.getByRole('application', { name: title });
  await svg.waitFor();
  const series = svg.locator('.recharts-line-curve');
  expect(await series.count()).toBe(2);
  // A real path of several points. The bounds of the highest thresholds can lie above the axis
  // (it stops at four times the target), where the path goes off the plot, clipped.
  for (const d of await series.evaluateAll((paths) => paths.map((p) => p.getAttribute('d') ?? '')))
    expect(d).toMatch(/^M-?[\d.]+,-?[\d.]+(L-?[\d.]+,-?[\d.]+)+$/);
  const legend = await chart.locator('.recharts-legend-wrapper').textContent();
  expect(legend).toContain('Upper bound on the error (95% confidence)');
  expect(legend).toContain('Estimated error');
  // Recharts draws labels in a layer of their own, above the lines and the dot they belong to.
  expect(await svg.locator('.recharts-reference-line').count()).toBe(1);
  expect(await svg.locator('.recharts-reference-dot').count()).toBe(1);
  const labels = await svg.locator('.recharts-label').allTextContents();
  expect(labels).toContain('Target: at most 5%');
  expect(labels).toContain(`Certified: τ = ${threshold}`);
  expect(await chart.textContent()).toContain(`Certified threshold ${threshold}`);
}

/** The text of a table row's cells, header cell included. */
async function cells(row: Locator): Promise<string[]> {
  return (await row.locator('th, td').allTextContents()).map((t) => t.trim());
}

/** Submits `count` tickets over the REST API with the demo API key. */
async function submitTickets(count: number): Promise<void> {
  const items = Array.from({ length: count }, (_, k) => {
    const i = submitted + k;
    return { workflow: WORKFLOW, input: trustInput(i), idempotencyKey: `trust-${i}` };
  });
  const r = await fetch(`${s.url}/api/v1/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items }),
  });
  expect(r.status).toBe(200);
  expect(((await r.json()) as { summary: { created: number } }).summary.created).toBe(count);
  submitted += count;
}

/**
 * Submits tickets until some were drawn for audit under the certificate (the workers' cached
 * policy catches up with a new certificate within seconds) and they all settled; returns how many
 * were drawn.
 */
async function submitUntilSampled(certificateId: string): Promise<number> {
  for (let round = 0; round < 10; round++) {
    await submitTickets(20);
    await waitFor(async () => {
      const r = await s.db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll<number>().filterWhere('status', '=', 'running').as('running'))
        .executeTakeFirstOrThrow();
      return Number(r.running) === 0;
    });
    const r = await s.db
      .selectFrom('decisions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('certificate_id', '=', certificateId)
      .where('route', '=', 'sampled')
      .executeTakeFirstOrThrow();
    if (Number(r.n) > 0) return Number(r.n);
  }
  throw new Error('no decision was drawn for audit under the certificate');
}

/** Claims and answers open tasks over tRPC, with each ticket's true label, up to `limit`; returns how many. */
async function answerTasks(limit = Number.POSITIVE_INFINITY): Promise<number> {
  let answered = 0;
  while (answered < limit) {
    const task = await reviewer.tasks.claimNext.mutate({ queue: TRUST_QUEUE });
    if (!task) break;
    const label = trustAnswer((task.input as { truth: string }).truth);
    await reviewer.tasks.submit.mutate(
      task.decision?.label === label
        ? { taskId: task.id, verdict: 'confirm' }
        : { taskId: task.id, verdict: 'correct', label, reason: 'the ticket says otherwise' },
    );
    answered++;
  }
  return answered;
}

function pendingTasks(): Promise<number> {
  return countPendingTasks(s.db);
}

async function latestModelVersion(): Promise<string> {
  const d = await s.db
    .selectFrom('decisions')
    .select('model_version')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  return d.model_version;
}
