// A compliance officer's whole errand in the real console (issue 12 point 7): find the
// auto-accepted decisions below 0.9 confidence, open one's decision trail, download its PDF report,
// read the policy history, and check that the audit trail verifies under a signed checkpoint.
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { defineWorkflow } from '@signoff/core';
import { auditSignerFromPem, createCheckpoint } from '@signoff/governance';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeOpenAI } from '../fixtures/fake-openai';
import { launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { pdfText } from '../support/pdf-text';
import { startTestSignoff, type TestSignoff } from '../support/signoff';
import {
  seedAutoDecision,
  seedTrailItem,
  startTrailFake,
  TRAIL_OFFICER,
  TRAIL_PASSWORD,
  trailAutoFlow,
  trailEnv,
  trailFlow,
} from '../support/trail-item';

const CHANGE_NOTE = 'Auto-accept from 0.6 after the Q1 audit';

let fake: FakeOpenAI;
let s: TestSignoff;
let browser: Browser;
let page: Page;
let autoItem: string;

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  fake = await startTrailFake();
  [browser, s] = await Promise.all([
    launchBrowser(),
    startTestSignoff({
      workflows: [trailFlow, trailAutoFlow],
      env: { ...trailEnv(fake), SIGNOFF_AUDIT_SIGNING_KEY: pem },
    }),
  ]);
  await seedTrailItem(s);
  autoItem = await seedAutoDecision(s);
  // A policy change for the history: version 2 raises the auto-accept threshold, with its reason.
  const settle = trailAutoFlow.states.settle as Extract<(typeof trailAutoFlow.states)['settle'], { kind: 'decide' }>;
  await s.registry.register(
    s.testDb.db,
    defineWorkflow({
      ...trailAutoFlow,
      changeNote: CHANGE_NOTE,
      states: { ...trailAutoFlow.states, settle: { ...settle, policy: { autoAcceptAt: 0.6, queue: 'trail-claims' } } },
    }),
  );
  await createCheckpoint(s.testDb.db, auditSignerFromPem(pem));
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
  await fake?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

it('search, trail, PDF report, policy history and verification, one after the other', async () => {
  await signIn(page, TRAIL_OFFICER.email, TRAIL_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).click();
  await page.getByRole('heading', { name: 'Decision search', level: 1 }).waitFor();

  // Every auto-accepted (or sampled) decision below 0.9: the one of trail-auto, not the reviewed one.
  const filters = page.getByRole('search', { name: 'Decision filters' });
  await filters.getByLabel('auto').check();
  await filters.getByLabel('sampled').check();
  await filters.getByLabel('Confidence below').fill('0.9');
  await filters.getByRole('button', { name: 'Search' }).click();
  const results = page.getByRole('region', { name: 'Decisions' });
  await results.getByText('Page 1 of 1 decision').waitFor();
  await screenshot(page, 'compliance-flow-1-search.png');

  const short = autoItem.slice(-8);
  await results.getByRole('link', { name: `Decision trail of item ${short}` }).click();
  await page.getByRole('heading', { name: /Decision trail/, level: 1 }).waitFor();
  expect(new URL(page.url()).pathname).toBe(`/items/${autoItem}/trail`);
  const verification = page.getByRole('status').filter({ hasText: 'Audit chain' });
  await verification.getByText(/Audit chain verified: \d+ events intact/).waitFor();
  await verification.getByText(/Signed checkpoint 1 .* covers the head/).waitFor();
  expect(await page.getByRole('article', { name: 'Decision 1 at settle' }).textContent()).toContain('route auto');
  await screenshot(page, 'compliance-flow-2-trail.png');

  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download PDF report' }).click(),
  ]);
  expect(pdf.suggestedFilename()).toBe(`decision-trail-${autoItem}.pdf`);
  const bytes = await readFile(await pdf.path());
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  const text = (await pdfText(bytes)).text.replace(/\s+/g, ' ');
  expect(text).toContain(`Item ${autoItem}`);
  expect(text).toContain('85.0% (logprobs)');
  expect(text).toContain('covered: checkpoint 1 of');

  await page.goto('/compliance/policies');
  await page.getByRole('heading', { name: 'Policy history', level: 1 }).waitFor();
  const changes = page.getByRole('region', { name: 'Policy changes' });
  await changes.getByRole('row').filter({ hasText: CHANGE_NOTE }).first().waitFor();
  await screenshot(page, 'compliance-flow-3-policies.png');

  await page.getByRole('navigation', { name: 'Compliance' }).getByRole('link', { name: 'Verification' }).click();
  await page.getByRole('heading', { name: 'Audit trail verification', level: 1 }).waitFor();
  await page.getByRole('region', { name: 'The audit trail verifies' }).waitFor();
  await page
    .getByRole('region', { name: 'Signed checkpoints' })
    .getByRole('cell', { name: '1', exact: true })
    .waitFor();
  await screenshot(page, 'compliance-flow-4-verification.png');
});
