// The audit verification screen in a real browser: a compliance officer sees that the trail
// verifies (the key's fingerprint, the checkpoints), downloads the public key and a bundle that
// verifies offline, checks one item's coverage, and, after a superuser edits an event, sees the
// tampering named.
import { readFile } from 'node:fs/promises';
import { type AuditSigner, createCheckpoint, verifyBundle } from '@signoff/governance';
import { DEMO_PASSWORD } from '@signoff/server';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auditedItems, testSigningKey } from '../support/audited-items';
import { demoUser, launchBrowser, openConsolePageEachTest, screenshot, signIn } from '../support/browser';
import { startTestSignoff, type TestSignoff } from '../support/signoff';

const COMPLIANCE = demoUser('compliance');

let s: TestSignoff;
let browser: Browser;
let page: Page;
let signer: AuditSigner;
const items: string[] = [];

beforeAll(async () => {
  const key = testSigningKey();
  signer = key.signer;
  [browser, s] = await Promise.all([
    launchBrowser(),
    startTestSignoff({ workers: false, env: { SIGNOFF_AUDIT_SIGNING_KEY: key.pem } }),
  ]);
  const itemWithEvents = await auditedItems(s.testDb.db, 'audit-screen');
  for (let n = 0; n < 3; n++) items.push(await itemWithEvents(3));
  await createCheckpoint(s.testDb.db, signer);
});

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

openConsolePageEachTest(
  () => ({ browser, url: s.url }),
  (c) => ({ page } = c),
);

async function openAuditScreen() {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).waitFor();
  await page.goto('/compliance/audit');
  await page.getByRole('heading', { name: 'Audit trail verification', level: 1 }).waitFor();
}

it('a compliance officer sees the trail verify, downloads the public key and a bundle that verifies offline', async () => {
  await signIn(page, COMPLIANCE.email, DEMO_PASSWORD);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compliance' }).click();
  await page.getByRole('navigation', { name: 'Compliance' }).getByRole('link', { name: 'Verification' }).click();
  await page.getByRole('heading', { name: 'Audit trail verification', level: 1 }).waitFor();
  const status = page.getByRole('region', { name: 'The audit trail verifies' });
  await status.waitFor();
  const facts = await status.textContent();
  expect(facts).toContain(signer.fingerprint);
  expect(facts).toContain('#1');
  const checkpoints = page.getByRole('region', { name: 'Signed checkpoints' });
  await checkpoints.getByRole('cell', { name: '1', exact: true }).waitFor();
  await screenshot(page, 'compliance-audit-verified.png', { fullPage: true });

  const [keyDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download public key' }).click(),
  ]);
  const publicKey = await readFile(await keyDownload.path(), 'utf8');
  expect(publicKey).toBe(signer.publicKeyPem);

  await page.getByLabel('Item ids (empty: every item, config and security)').fill(items[0] as string);
  const [bundleDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download bundle' }).click(),
  ]);
  expect(bundleDownload.suggestedFilename()).toMatch(/^signoff-audit-.*\.json$/);
  const v = verifyBundle(await readFile(await bundleDownload.path(), 'utf8'), publicKey);
  expect(v.status).toBe('verified');
  if (v.status === 'bad-input') return;
  expect(v.streams.map((x) => [x.stream, x.events, x.coveredUpTo?.seq])).toEqual([[items[0], 3, 3]]);
});

it('a wrong item id is named before any download', async () => {
  await openAuditScreen();
  await page.getByLabel('Item ids (empty: every item, config and security)').fill('not-an-id');
  await page.getByText('Not an item id: not-an-id').waitFor();
  expect(await page.getByRole('button', { name: 'Download bundle' }).isDisabled()).toBe(true);
});

it('one item shows its coverage, and an event edited by a superuser is named as tampering', async () => {
  const [item] = items as [string];
  await openAuditScreen();
  await page.getByLabel('Item id', { exact: true }).fill(item);
  await page.getByRole('button', { name: 'Check item' }).click();
  const result = page.getByRole('list', { name: 'Item verification' });
  await result.getByText('Head covered by signed checkpoint #1').waitFor();
  await result.getByText('Chain: intact up to its head, event 3').waitFor();

  await s.testDb.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await sql`UPDATE audit_events SET data = '{"i": 99}' WHERE stream = ${items[1]} AND seq = 2`.execute(trx);
  });
  await page.getByRole('button', { name: 'Verify again' }).click();
  const tampered = page.getByRole('region', { name: 'Tampering found' });
  await tampered.waitFor();
  await tampered.getByText(`Stream ${items[1]} event 2: its content does not match its hash (edited)`).waitFor();
  const streams =
    (await s.testDb.db.selectFrom('items').select('id').execute()).length +
    (await s.testDb.db.selectFrom('audit_heads').select('stream').execute()).length;
  expect(await tampered.textContent()).toContain(`${streams - 1} of ${streams} streams intact`);
  await screenshot(page, 'compliance-audit-tampered.png', { fullPage: true });
});
